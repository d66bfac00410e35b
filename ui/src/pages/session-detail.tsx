import { useMemo } from 'preact/hooks';
import type { SessionDetail as Session } from '../api/types.js';
import { Badge, Figure, HealthTag, Status } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatCost, formatCount, formatDuration, formatTime } from '../lib/format.js';
import { traceHref } from '../lib/routes.js';
import { sessionLanes } from '../lib/session-timeline.js';
import { timelineTicks } from '../lib/span-tree.js';
import { Link } from '../router.js';

/** One session: its agents as lanes on one time axis, each trace a bar (a link to it), and the trace table. */
export function SessionDetail({ sessionId }: { sessionId: string }) {
  useTitle(`Session ${sessionId}`);
  const s = useApi<Session>(`/api/sessions/${encodeURIComponent(sessionId)}`);
  return (
    <>
      <p><Link href="/sessions">← Sessions</Link></p>
      <Status {...s} what="the session">{(session) => <SessionView session={session} />}</Status>
    </>
  );
}

function SessionView({ session }: { session: Session }) {
  const tl = useMemo(() => sessionLanes(session.traces), [session.traces]);
  const names = new Map(session.traces.map((t) => [t.id, t.name ?? t.id]));
  return (
    <>
      <h1 tabIndex={-1}>Session {session.id} <HealthTag tag={session.healthTag} /></h1>
      <div class="figures">
        <Figure label="duration" value={formatDuration(session.durationMs)} hint={formatTime(session.startedAt)} />
        <Figure label="traces" value={formatCount(session.traceCount)} hint={`${formatCount(session.spanCount)} spans`} />
        <Figure label="errors" value={formatCount(session.errorCount)} hint={`${formatCount(session.failedToolCalls)} failed tool calls`} />
        <Figure label="cost" value={formatCost(session.costUsd)} hint={`${formatCount(session.inputTokens + session.outputTokens)} tokens`} />
      </div>
      <section aria-label="Multi-agent timeline">
        <h2>Timeline</h2>
        {tl.lanes.length === 0 ? <p class="muted">No traces in this session.</p> : (
          <div class="lanes">
            <div class="lane lane-axis" aria-hidden="true">
              <span class="lane-name" />
              <span class="wf-ticks">{timelineTicks(tl.totalMs, 4).map((ms, i) => <span key={i}>{formatDuration(ms)}</span>)}</span>
            </div>
            {tl.lanes.map((lane) => (
              <div class="lane" key={lane.agent} role="group" aria-label={`Agent ${lane.agent}: ${lane.bars.length} traces`}>
                <span class="lane-name">{lane.agent}</span>
                <span class="wf-track">
                  {lane.bars.map((b) => (
                    <Link key={b.traceId} href={traceHref(b.traceId)} class={`lane-bar${b.status === 'error' ? ' is-error' : ''}`}
                      style={{ left: `${b.leftPct}%`, width: `${b.widthPct}%` }} aria-label={`${names.get(b.traceId)} (${b.status})`} title={names.get(b.traceId)} />
                  ))}
                </span>
              </div>
            ))}
          </div>
        )}
      </section>
      <section aria-label="Agents">
        <h2>Agents</h2>
        <table class="data">
          <thead><tr><th scope="col">Agent</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col" class="num">Spans</th><th scope="col" class="num">LLM calls</th><th scope="col" class="num">Tool calls</th><th scope="col" class="num">Errors</th></tr></thead>
          <tbody>
            {session.agentTimeline.map((a) => (
              <tr key={a.name}><td>{a.name}</td><td class="nowrap">{formatTime(a.firstSeenAt)}</td><td class="nowrap">{formatTime(a.lastSeenAt)}</td>
                <td class="num">{formatCount(a.spanCount)}</td><td class="num">{formatCount(a.llmCallCount)}</td><td class="num">{formatCount(a.toolCallCount)}</td><td class="num">{formatCount(a.errorCount)}</td></tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-label="Traces of the session">
        <h2>Traces</h2>
        <table class="data">
          <thead><tr><th scope="col">Started</th><th scope="col">Trace</th><th scope="col">Agent</th><th scope="col">Status</th><th scope="col" class="num">Duration</th><th scope="col" class="num">Cost</th></tr></thead>
          <tbody>
            {session.traces.map((t) => (
              <tr key={t.id}><td class="nowrap">{formatTime(t.startedAt)}</td><td><Link href={traceHref(t.id)}>{t.name ?? t.id}</Link></td><td>{t.agentName ?? '—'}</td>
                <td><Badge value={t.status} /></td><td class="num">{formatDuration(t.durationMs)}</td><td class="num">{formatCost(t.totalUsage.costUsd)}</td></tr>
            ))}
          </tbody>
        </table>
        {session.tracesHasMore && <p class="muted">Showing the first {session.traces.length} traces of {session.traceCount}.</p>}
      </section>
    </>
  );
}
