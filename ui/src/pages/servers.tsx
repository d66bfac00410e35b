import { useMemo, useState } from 'preact/hooks';
import { api, type ApiError } from '../api/client.js';
import type { AlertList, Anomaly, CostBreakdown, Lineage, SessionList, ToolCallSpan } from '../api/types.js';
import { Badge, Card, ErrorBox, HealthTag, Status } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatCount, formatDuration, formatPercent, formatTime } from '../lib/format.js';
import { sessionHref, traceHref } from '../lib/routes.js';
import { Link } from '../router.js';

/**
 * MCP servers as Lookspan observes them from the tool calls it stores:
 * calls, errors and latency per server and tool, health changes (the
 * passive mcp_down / mcp_recovered alerts), sessions tagged schema_drift,
 * security alerts, and latency or error anomalies.
 */
export function Servers() {
  useTitle('MCP servers');
  const lineage = useApi<Lineage>('/api/agents/lineage?hours=168');
  const tools = useApi<CostBreakdown>('/api/costs/breakdown?window=7d&limit=1000');
  const down = useApi<AlertList>('/api/alerts?type=mcp_down&limit=200');
  const up = useApi<AlertList>('/api/alerts?type=mcp_recovered&limit=200');
  const security = useApi<AlertList>('/api/alerts?type=security_critical&limit=50');
  const drift = useApi<SessionList>('/api/sessions?healthTag=schema_drift&limit=20');
  const anomalies = useApi<{ anomalies: Anomaly[] }>('/api/reliability/anomalies?kind=tool');
  const [chosen, setChosen] = useState<string | null>(null);
  const [note, setNote] = useState<{ text: string; bad?: boolean } | null>(null);

  const servers = useMemo(() => (lineage.data?.nodes ?? []).filter((n) => n.type === 'server').sort((a, b) => b.metrics.call_count - a.metrics.call_count), [lineage.data]);
  const history = useMemo(() => [...(down.data?.alerts ?? []), ...(up.data?.alerts ?? [])].sort((a, b) => (a.triggered_at < b.triggered_at ? 1 : -1)), [down.data, up.data]);
  const lastHealth = useMemo(() => {
    const m = new Map<string, { status: 'down' | 'up'; at: string }>();
    for (const a of [...history].reverse()) {
      if (!a.server_name) continue;
      const isDown = a.type === 'mcp_down' && a.status === 'triggered';
      m.set(a.server_name, { status: isDown ? 'down' : 'up', at: a.triggered_at });
    }
    return m;
  }, [history]);

  const discover = async () => {
    try {
      const r = await api<{ discovered: number; servers: string[] }>('/api/servers/discover', { method: 'POST' });
      setNote({ text: `${r.discovered} new server${r.discovered === 1 ? '' : 's'} recorded in the catalog${r.servers.length ? `: ${r.servers.join(', ')}` : ''}.` });
    } catch (err) {
      setNote({ text: `Discovery failed: ${(err as ApiError).message}`, bad: true });
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>MCP servers</h1>
      <p class="muted">Observed from the tool calls in the stored spans, last 7 days.</p>
      <div class="toolbar">
        <button type="button" class="secondary" onClick={discover}>Record new servers in the catalog</button>
        {note && <span class={`notice${note.bad ? ' error' : ''}`} role="status">{note.text}</span>}
      </div>
      <Status {...lineage} what="MCP servers">
        {() => servers.length === 0 ? <p class="muted">No MCP tool calls seen in the last 7 days.</p> : (
          <div class="table-wrap">
            <table class="data" aria-label="MCP servers">
              <thead><tr><th scope="col">Server</th><th scope="col">Health</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Error rate</th><th scope="col" class="num">p95</th><th scope="col" class="num">Sessions</th><th scope="col">Calls</th></tr></thead>
              <tbody>
                {servers.map((s) => {
                  const h = lastHealth.get(s.label);
                  return (
                    <tr key={s.id}>
                      <td>{s.label}</td>
                      <td>{h ? <><Badge value={h.status} /> <span class="muted small">since {formatTime(h.at)}</span></> : <span class="muted">no change seen</span>}</td>
                      <td class="num">{formatCount(s.metrics.call_count)}</td>
                      <td class="num">{formatCount(s.metrics.error_count)}</td>
                      <td class="num">{formatPercent(s.metrics.call_count ? s.metrics.error_count / s.metrics.call_count : null)}</td>
                      <td class="num">{formatDuration(s.metrics.p95_latency_ms)}</td>
                      <td class="num">{formatCount(s.metrics.session_count)}</td>
                      <td><button type="button" class="link" aria-pressed={chosen === s.label} onClick={() => setChosen(chosen === s.label ? null : s.label)}>{chosen === s.label ? 'Hide' : 'Show'} failed calls</button></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Status>
      {chosen && <FailedCalls server={chosen} />}
      <div class="grid">
        <Card title="Tools (7 days)" wide>
          <Status {...tools} what="tools">
            {(t) => t.by_tool.filter((x) => x.server_name).length === 0 ? <p class="muted">No MCP tool calls.</p> : (
              <table class="data">
                <thead><tr><th scope="col">Server</th><th scope="col">Tool</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Avg latency</th></tr></thead>
                <tbody>{t.by_tool.filter((x) => x.server_name).map((x) => (
                  <tr key={`${x.server_name}/${x.tool_name}`}><td>{x.server_name}</td><td>{x.tool_name}</td><td class="num">{formatCount(x.total_calls)}</td><td class="num">{formatCount(x.error_calls)}</td><td class="num">{formatDuration(x.avg_latency_ms)}</td></tr>
                ))}</tbody>
              </table>
            )}
          </Status>
        </Card>
        <Card title="Health history">
          {down.error ? <ErrorBox error={down.error} what="health history" /> : history.length === 0 ? <p class="muted">No server went down.</p> : (
            <ul class="plain">{history.slice(0, 20).map((a) => <li key={a.id}><Badge value={a.type === 'mcp_down' && a.status === 'triggered' ? 'down' : 'up'} /> {a.server_name} <span class="muted">{formatTime(a.triggered_at)}</span></li>)}</ul>
          )}
        </Card>
        <Card title="Schema drift">
          <Status {...drift} what="sessions with schema drift">
            {(d) => d.sessions.length === 0 ? <p class="muted">No session tagged schema drift.</p> : (
              <ul class="plain">{d.sessions.map((s) => <li key={s.id}><HealthTag tag={s.healthTag} /> <Link href={sessionHref(s.id)}>{s.id}</Link> <span class="muted">{s.servers.join(', ')}</span></li>)}</ul>
            )}
          </Status>
        </Card>
        <Card title="Security findings">
          <Status {...security} what="security alerts">
            {(s) => s.alerts.length === 0 ? <p class="muted">No security alerts.</p> : (
              <ul class="plain">{s.alerts.map((a) => <li key={a.id}><Badge value={a.severity} /> {a.title} <span class="muted">{a.server_name ?? ''} {formatTime(a.triggered_at)}</span></li>)}</ul>
            )}
          </Status>
        </Card>
        <Card title="Anomalies (last hour vs 7 days)">
          <Status {...anomalies} what="anomalies">
            {(a) => a.anomalies.length === 0 ? <p class="muted">No anomalies.</p> : (
              <ul class="plain">{a.anomalies.map((x, i) => <li key={i}><Badge value={x.severity} /> {x.server_name}/{x.tool_name}: {x.metric} z={x.z_score.toFixed(1)}</li>)}</ul>
            )}
          </Status>
        </Card>
      </div>
    </>
  );
}

function FailedCalls({ server }: { server: string }) {
  const spans = useApi<{ spans: ToolCallSpan[] }>(`/api/traces/spans?server_name=${encodeURIComponent(server)}&status=error&limit=20`);
  return (
    <section aria-label={`Failed calls to ${server}`}>
      <h2>Failed calls to {server}</h2>
      <Status {...spans} what="failed calls">
        {(s) => s.spans.length === 0 ? <p class="muted">No failed calls.</p> : (
          <table class="data">
            <thead><tr><th scope="col">When</th><th scope="col">Tool</th><th scope="col">Agent</th><th scope="col">Error</th><th scope="col" class="num">Latency</th><th scope="col">Trace</th></tr></thead>
            <tbody>{s.spans.map((x) => (
              <tr key={x.span_id}><td class="nowrap">{formatTime(x.started_at)}</td><td>{x.tool_name ?? '—'}</td><td>{x.agent_name ?? '—'}</td><td>{x.error ?? x.status}</td>
                <td class="num">{formatDuration(x.latency_ms)}</td><td><Link href={traceHref(x.trace_id)}>{x.trace_id.slice(0, 12)}</Link></td></tr>
            ))}</tbody>
          </table>
        )}
      </Status>
    </section>
  );
}
