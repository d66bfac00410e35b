import { Fragment } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { TraceDetail as Trace, TraceSpan } from '../api/types.js';
import { Payload } from '../components/payload.js';
import { Badge, Figure, Status } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatCost, formatCount, formatDuration, formatTime } from '../lib/format.js';
import { parsePayload, pretty } from '../lib/messages.js';
import { sessionHref } from '../lib/routes.js';
import { layoutWaterfall, timelineTicks } from '../lib/span-tree.js';
import { Link } from '../router.js';

/** One trace: summary, span tree with its waterfall, the chosen span's messages, tool call, cost and tokens, and the scores. */
export function TraceDetail({ traceId }: { traceId: string }) {
  useTitle(`Trace ${traceId}`);
  const t = useApi<Trace>(`/api/traces/${encodeURIComponent(traceId)}`);
  return (
    <>
      <p><Link href="/traces">← Traces</Link></p>
      <Status {...t} what="the trace">{(trace) => <TraceView trace={trace} />}</Status>
    </>
  );
}

function TraceView({ trace }: { trace: Trace }) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<number>>(new Set());
  const [selected, setSelected] = useState(0);
  const wf = useMemo(() => layoutWaterfall(trace.spans, collapsed), [trace.spans, collapsed]);
  const toggle = (i: number) => setCollapsed((c) => {
    const n = new Set(c);
    if (n.has(i)) n.delete(i);
    else n.add(i);
    return n;
  });
  const span = trace.spans[selected];
  // Arrow keys move through the tree like a list; Enter or Space opens a span, the button beside it folds it.
  const onKey = (e: KeyboardEvent, pos: number) => {
    const next = e.key === 'ArrowDown' ? pos + 1 : e.key === 'ArrowUp' ? pos - 1 : null;
    if (next === null || next < 0 || next >= wf.rows.length) return;
    e.preventDefault();
    setSelected(wf.rows[next].index);
    (document.querySelector(`[data-row="${next}"] .span-name`) as HTMLElement | null)?.focus();
  };
  return (
    <>
      <h1 tabIndex={-1}>{trace.name ?? trace.id} <Badge value={trace.status} /></h1>
      <p class="muted mono">{trace.id}</p>
      <div class="figures">
        <Figure label="duration" value={formatDuration(trace.durationMs)} hint={formatTime(trace.startedAt)} />
        <Figure label="spans" value={formatCount(trace.spanCount)} hint={`${formatCount(trace.errorCount)} errors`} />
        <Figure label="tokens" value={formatCount(trace.totalUsage.totalTokens)} hint={`${formatCount(trace.totalUsage.inputTokens)} in / ${formatCount(trace.totalUsage.outputTokens)} out`} />
        <Figure label="cost" value={formatCost(trace.totalUsage.costUsd)} />
        <Figure label="agent" value={trace.agentName ?? '—'} hint={trace.serviceName ?? undefined} />
      </div>
      {trace.sessionId && <p>Session: <Link href={sessionHref(trace.sessionId)}>{trace.sessionId}</Link></p>}

      <div class="trace-layout">
        <section class="waterfall" aria-label="Span tree and timeline">
          <h2>Spans</h2>
          <div class="wf-head" aria-hidden="true">
            <span>Span</span>
            <span class="wf-ticks">{timelineTicks(wf.totalMs, 4).map((ms, i) => <span key={i}>{formatDuration(ms)}</span>)}</span>
          </div>
          <ul class="wf-rows" role="list">
            {wf.rows.map((r, pos) => {
              const s = trace.spans[r.index];
              return (
                <li key={r.index} data-row={pos} class={`wf-row${r.index === selected ? ' selected' : ''}${s.status === 'error' ? ' is-error' : ''}`}>
                  <span class="wf-label" style={{ paddingLeft: `${r.depth * 14}px` }}>
                    {r.childCount > 0 ? (
                      <button type="button" class="fold" aria-expanded={!r.collapsed} aria-label={`${r.collapsed ? 'Expand' : 'Collapse'} ${s.name}`} onClick={() => toggle(r.index)}>
                        {r.collapsed ? '▸' : '▾'}
                      </button>
                    ) : <span class="fold-space" />}
                    <button type="button" class="span-name" aria-pressed={r.index === selected} onClick={() => setSelected(r.index)} onKeyDown={(e) => onKey(e, pos)}>
                      <span class={`type type-${s.type}`}>{s.type.replace('_call', '')}</span> {s.name}
                      {/* Not colour alone: a failed span is marked in text too. */}
                      {s.status === 'error' && <><span class="err-mark" aria-hidden="true"> ✕</span><span class="sr-only"> (error)</span></>}
                    </button>
                  </span>
                  <span class="wf-track" aria-hidden="true">
                    <span class={`wf-bar type-${s.type}`} style={{ left: `${r.leftPct}%`, width: `${r.widthPct}%` }} />
                  </span>
                  <span class="wf-dur">{formatDuration(r.durationMs)}</span>
                </li>
              );
            })}
          </ul>
        </section>
        {span && <SpanPanel span={span} />}
      </div>

      <section aria-label="Scores">
        <h2>Scores</h2>
        {trace.scores.length === 0 ? <p class="muted">No scores on this trace.</p> : (
          <table class="data">
            <thead><tr><th scope="col">Name</th><th scope="col" class="num">Value</th><th scope="col">Label</th><th scope="col">Span</th><th scope="col">Source</th><th scope="col">Comment</th><th scope="col">When</th></tr></thead>
            <tbody>
              {trace.scores.map((s) => (
                <tr key={s.id}>
                  <td>{s.name}</td><td class="num">{s.value ?? '—'}</td><td>{s.label ?? '—'}</td>
                  <td>{s.spanId ? trace.spans.find((x) => x.id === s.spanId)?.name ?? s.spanId : 'trace'}</td>
                  <td>{s.source}</td><td>{s.comment ?? ''}</td><td class="nowrap">{formatTime(s.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function SpanPanel({ span }: { span: TraceSpan }) {
  const u = span.usage;
  const isTool = span.type === 'tool_call' || span.type === 'mcp' || span.toolName !== null;
  const rows: Array<[string, string | null | undefined]> = [
    ['Type', span.type], ['Kind', span.kind], ['Started', formatTime(span.startedAt)], ['Duration', formatDuration(span.durationMs)],
    ['Agent', span.agentName], ['Service', span.serviceName], ['Provider', span.provider], ['Model', span.model], ['Operation', span.operation],
    ['Finish reason', span.finishReason], ['Tool', span.toolName], ['Tool call id', span.toolCallId], ['MCP server', span.serverName],
    ['MCP method', span.mcp?.method], ['Error type', span.errorType], ['Status message', span.statusMessage],
  ];
  return (
    <section class="span-panel" aria-label={`Span ${span.name}`} aria-live="polite">
      <h2>{span.name} <Badge value={span.status} /></h2>
      <dl class="kv">
        {rows.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd>{v}</dd></Fragment>)}
      </dl>
      {(u.inputTokens !== null || u.outputTokens !== null || u.costUsd !== null) && (
        <dl class="kv usage" aria-label="Tokens and cost">
          <dt>Input tokens</dt><dd>{formatCount(u.inputTokens)}</dd>
          <dt>Output tokens</dt><dd>{formatCount(u.outputTokens)}</dd>
          {u.cacheReadTokens ? <><dt>Cache read</dt><dd>{formatCount(u.cacheReadTokens)}</dd></> : null}
          {u.reasoningTokens ? <><dt>Reasoning</dt><dd>{formatCount(u.reasoningTokens)}</dd></> : null}
          <dt>Cost</dt><dd>{formatCost(u.costUsd)} {u.costSource && <span class="muted">({u.costSource})</span>}</dd>
        </dl>
      )}
      {isTool ? (
        <>
          <Payload label="Arguments" value={span.input} conversation={false} />
          <Payload label="Result" value={span.output} conversation={false} />
        </>
      ) : (
        <>
          <Payload label="Prompt" value={span.input} defaultRole="user" conversation />
          <Payload label="Completion" value={span.output} defaultRole="assistant" conversation />
        </>
      )}
      {span.attributes !== null && span.attributes !== undefined && Object.keys(span.attributes as object).length > 0 && (
        <details><summary>Attributes</summary><pre class="code">{pretty(parsePayload(span.attributes))}</pre></details>
      )}
      {Array.isArray(span.events) && span.events.length > 0 && (
        <details><summary>Events ({span.events.length})</summary><pre class="code">{pretty(span.events)}</pre></details>
      )}
    </section>
  );
}
