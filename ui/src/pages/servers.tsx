import { useMemo, useState } from 'preact/hooks';
import { api, type ApiError } from '../api/client.js';
import type { Anomaly, CostBreakdown, HealthCheckResult, Lineage, SchemaDrift, SecurityScan, ToolCallSpan } from '../api/types.js';
import { TimeChart } from '../components/chart.js';
import { Badge, Card, Status } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatCount, formatDuration, formatPercent, formatTime } from '../lib/format.js';
import { sessionHref, traceHref } from '../lib/routes.js';
import { Link } from '../router.js';

type Note = { text: string; bad?: boolean } | null;

/**
 * MCP servers: the health checks (issue 15's /api/health/servers…) of the
 * configured servers, and for every server the tool calls the stored spans
 * show (7 days); per server its check history, tools, schema drift, security
 * findings and failed calls.
 */
export function Servers() {
  useTitle('MCP servers');
  const health = useApi<HealthCheckResult[]>('/api/health/servers');
  const lineage = useApi<Lineage>('/api/agents/lineage?hours=168');
  const scans = useApi<SecurityScan[]>('/api/security/scans');
  const tools = useApi<CostBreakdown>('/api/costs/breakdown?window=7d&limit=1000');
  const anomalies = useApi<{ anomalies: Anomaly[] }>('/api/reliability/anomalies?kind=tool');
  const [chosen, setChosen] = useState<string | null>(null);
  const [note, setNote] = useState<Note>(null);

  const calls = useMemo(() => new Map((lineage.data?.nodes ?? []).filter((n) => n.type === 'server').map((n) => [n.label, n.metrics])), [lineage.data]);
  const scanOf = useMemo(() => new Map((scans.data ?? []).map((s) => [s.server_name, s])), [scans.data]);
  const names = useMemo(() => {
    const all = new Set([...(health.data ?? []).map((h) => h.server_name), ...calls.keys()]);
    return [...all].sort();
  }, [health.data, calls]);
  const healthOf = useMemo(() => new Map((health.data ?? []).map((h) => [h.server_name, h])), [health.data]);
  const configured = (health.data ?? []).some((h) => h.source === 'config');

  const run = async (what: 'check' | 'scan', server?: string) => {
    setNote({ text: `${what === 'check' ? 'Checking' : 'Scanning'} ${server ?? 'every configured server'}…` });
    try {
      const path = what === 'check' ? '/api/health/check' : '/api/security/scan';
      const r = await api<unknown[]>(path, { method: 'POST', body: server ? { server_name: server } : {} });
      setNote({ text: `${what === 'check' ? 'Checked' : 'Scanned'} ${r.length} server${r.length === 1 ? '' : 's'}.` });
      health.reload();
      scans.reload();
    } catch (err) {
      setNote({ text: `${what === 'check' ? 'Check' : 'Scan'} failed: ${(err as ApiError).message}`, bad: true });
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>MCP servers</h1>
      <p class="muted">
        Health from Lookspan's checks of the servers configured under <code>mcp.servers</code>; calls, errors and latency from the
        stored tool calls of the last 7 days. A server only seen in spans cannot be checked: it is listed as unknown.
      </p>
      {configured && (
        <div class="toolbar" role="group" aria-label="Checks">
          <button type="button" class="secondary" onClick={() => run('check')}>Check all now</button>
          <button type="button" class="secondary" onClick={() => run('scan')}>Security scan of all</button>
          {note && <span class={`notice${note.bad ? ' error' : ''}`} role="status">{note.text}</span>}
        </div>
      )}
      <Status {...health} what="MCP server health">
        {() => names.length === 0 ? <p class="muted">No MCP server configured or seen in the spans.</p> : (
          <div class="table-wrap">
            <table class="data" aria-label="MCP servers">
              <thead>
                <tr>
                  <th scope="col">Server</th><th scope="col">Health</th><th scope="col">Checked</th><th scope="col" class="num">Latency</th><th scope="col" class="num">Tools</th>
                  <th scope="col">Findings</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Error rate</th><th scope="col" class="num">p95</th><th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {names.map((n) => {
                  const h = healthOf.get(n);
                  const m = calls.get(n);
                  const sc = scanOf.get(n);
                  return (
                    <tr key={n} data-server={n}>
                      <td>{n} <span class="muted small">{h?.source === 'config' ? h.transport : 'seen in spans'}</span></td>
                      <td><Badge value={h?.status ?? 'unknown'} />{h?.error && <div class="muted small">{h.error}</div>}</td>
                      <td class="nowrap">{h?.checked_at ? formatTime(h.checked_at) : '—'}</td>
                      <td class="num">{formatDuration(h?.latency_ms)}</td>
                      <td class="num">{h?.source === 'config' && h.checked_at ? formatCount(h.tools_count) : '—'}</td>
                      <td>{sc ? (sc.findings_count === 0 ? <span class="muted">none</span> : <><Badge value={sc.highest_severity} /> {sc.findings_count}</>) : <span class="muted">not scanned</span>}</td>
                      <td class="num">{formatCount(m?.call_count ?? 0)}</td>
                      <td class="num">{formatPercent(m?.call_count ? m.error_count / m.call_count : null)}</td>
                      <td class="num">{formatDuration(m?.p95_latency_ms)}</td>
                      <td><button type="button" class="link" aria-expanded={chosen === n} onClick={() => setChosen(chosen === n ? null : n)}>{chosen === n ? 'Hide' : 'Show'}<span class="sr-only"> {n}</span></button></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Status>
      {chosen && <ServerDetail key={chosen} name={chosen} health={healthOf.get(chosen)} scan={scanOf.get(chosen)} run={run} />}
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

function ServerDetail({ name, health, scan, run }: { name: string; health?: HealthCheckResult; scan?: SecurityScan; run: (what: 'check' | 'scan', server?: string) => Promise<void> }) {
  const checked = health?.source === 'config';
  const q = encodeURIComponent(name);
  const history = useApi<HealthCheckResult[]>(checked ? `/api/health/servers/${q}/history?limit=50` : null);
  const drift = useApi<SchemaDrift[]>(checked ? `/api/health/servers/${q}/drift?limit=10` : null);
  const failed = useApi<{ spans: ToolCallSpan[] }>(`/api/traces/spans?server_name=${q}&status=error&limit=20`);
  const chart = useMemo(() => {
    const rows = [...(history.data ?? [])].filter((h) => h.checked_at && h.latency_ms !== null).reverse();
    return {
      times: rows.map((h) => Date.parse(h.checked_at!) / 1000),
      series: [{ label: 'Check latency', values: rows.map((h) => h.latency_ms!), colorVar: '--accent', format: (v: number) => formatDuration(v) }],
    };
  }, [history.data]);
  return (
    <section class="card server-detail" aria-label={`MCP server ${name}`}>
      <h2>{name} <Badge value={health?.status ?? 'unknown'} /></h2>
      {checked ? (
        <>
          <div class="toolbar">
            <button type="button" class="secondary" onClick={() => run('check', name)}>Check {name} now</button>
            <button type="button" class="secondary" onClick={() => run('scan', name)}>Scan {name} now</button>
          </div>
          {health?.server_info && <p class="muted">{health.server_info.name} {health.server_info.version} · MCP {health.protocol_version} · {health.transport}</p>}
          {health && health.steps.length > 0 && (
            <p>Last check: {health.steps.map((s) => <span key={s.step} class="step"><Badge value={s.status} /> {s.step} {s.latency_ms !== null ? formatDuration(s.latency_ms) : ''}</span>)}</p>
          )}
          <h3>Health history</h3>
          <Status {...history} what="check history">
            {(h) => h.length === 0 ? <p class="muted">Not checked yet.</p> : (
              <>
                {chart.times.length > 1 && <TimeChart times={chart.times} series={chart.series} height={160} summary={`Latency of the last ${chart.times.length} checks of ${name}`} />}
                <table class="data" aria-label={`Checks of ${name}`}>
                  <thead><tr><th scope="col">When</th><th scope="col">Status</th><th scope="col" class="num">Latency</th><th scope="col" class="num">Tools</th><th scope="col">Trigger</th><th scope="col">Error</th></tr></thead>
                  <tbody>{h.slice(0, 10).map((c, i) => (
                    <tr key={i}><td class="nowrap">{formatTime(c.checked_at)}</td><td><Badge value={c.status} /></td><td class="num">{formatDuration(c.latency_ms)}</td>
                      <td class="num">{formatCount(c.tools_count)}</td><td>{c.trigger ?? '—'}</td><td>{c.error ?? ''}</td></tr>
                  ))}</tbody>
                </table>
              </>
            )}
          </Status>
          <h3>Tools</h3>
          {!health?.tools.length ? <p class="muted">No tools listed.</p> : (
            <ul class="plain">{health.tools.map((t) => (
              <li key={t.name}><code>{t.name}</code> {t.description && <span class="muted">{t.description}</span>}
                {t.annotations?.destructiveHint === true && <> <Badge value="destructive" /></>}{t.annotations?.readOnlyHint === true && <span class="muted small"> read-only</span>}</li>
            ))}</ul>
          )}
          <h3>Schema drift</h3>
          <Status {...drift} what="schema drift">
            {(d) => d.length === 0 ? <p class="muted">No change of the tool schemas seen.</p> : (
              <ol class="plain">{d.map((x) => (
                <li key={x.id}>
                  <Badge value={x.has_breaking ? 'breaking' : 'compatible'} /> {formatTime(x.detected_at)} · {x.changes.length} change{x.changes.length === 1 ? '' : 's'}
                  <pre class="code">{x.diff}</pre>
                  {x.sessions.length > 0 && <p class="small">Sessions tagged schema drift: {x.sessions.slice(0, 10).map((s) => <Link key={s.session_id} href={sessionHref(s.session_id)}>{s.session_id} </Link>)}</p>}
                </li>
              ))}</ol>
            )}
          </Status>
          <h3>Security findings</h3>
          {!scan ? <p class="muted">Not scanned yet.</p> : (
            <>
              <p class="muted">Scanned {formatTime(scan.scanned_at)}{scan.error ? `; the tool rules did not run: ${scan.error}` : ''}.</p>
              {scan.findings.length === 0 ? <p>No finding.</p> : (
                <table class="data" aria-label={`Security findings of ${name}`}>
                  <thead><tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Finding</th><th scope="col">Tool</th><th scope="col">Remediation</th></tr></thead>
                  <tbody>{scan.findings.map((f, i) => (
                    <tr key={i}><td><Badge value={f.severity} /></td><td>{f.rule_id}</td><td>{f.title}<div class="muted small">{f.evidence}</div></td><td>{f.tool_name ?? '—'}</td><td class="small">{f.remediation}</td></tr>
                  ))}</tbody>
                </table>
              )}
            </>
          )}
        </>
      ) : (
        <p class="muted">
          Seen in the spans{health?.last_seen_at ? ` (last ${formatTime(health.last_seen_at)})` : ''} but not configured: add it under
          <code> mcp.servers</code> to have it checked and scanned.
        </p>
      )}
      <h3>Failed calls (stored spans)</h3>
      <Status {...failed} what="failed calls">
        {(s) => s.spans.length === 0 ? <p class="muted">No failed calls.</p> : (
          <table class="data" aria-label={`Failed calls to ${name}`}>
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
