import { useMemo } from 'preact/hooks';
import type { AlertList, CostBreakdown, CostSummary, Stats, TraceList } from '../api/types.js';
import { TimeChart } from '../components/chart.js';
import { Badge, BarTable, Card, Figure, SendTraces, Status } from '../components/ui.js';
import { useApi, useNow, useTitle } from '../hooks.js';
import { openAlerts } from '../lib/alerts.js';
import { formatAgo, formatCost, formatCount, formatDuration, formatPercent, formatRate, formatTime } from '../lib/format.js';
import { traceHref } from '../lib/routes.js';
import { dayStartUtc, weekStartUtc } from '../lib/time.js';
import { Link } from '../router.js';

/** Spans/s, error rate, cost today and this week, top models and failing MCP tools, open alerts; how to send data when there is none. */
export function Overview() {
  useTitle('Overview');
  const now = useNow(30_000);
  // The windows move with the clock, a minute at a time, so the page does not refetch on every tick.
  const minute = Math.floor(now / 60_000) * 60_000;
  const today = dayStartUtc(new Date(minute)).toISOString();
  const week = weekStartUtc(new Date(minute)).toISOString();
  // The figures refresh every half minute while the page is open.
  const every = { refreshMs: 30_000 };
  const everything = useApi<Stats>('/api/stats?window=all', every);
  const hour = useApi<Stats>('/api/stats?window=1h', every);
  const day = useApi<Stats>('/api/stats?window=24h', every);
  const costToday = useApi<CostSummary>(`/api/costs/summary?from=${encodeURIComponent(today)}&limit=5`, every);
  const costWeek = useApi<CostSummary>(`/api/costs/summary?from=${encodeURIComponent(week)}&limit=5`, every);
  const tools = useApi<CostBreakdown>('/api/costs/breakdown?window=7d&limit=1000', every);
  const alerts = useApi<AlertList>('/api/alerts?limit=200', every);
  const latest = useApi<TraceList>('/api/traces?limit=5', every);
  const topTools = useMemo(() => (tools.data?.by_tool ?? []).filter((t) => t.error_calls > 0).sort((a, b) => b.error_calls - a.error_calls).slice(0, 5), [tools.data]);
  const open = useMemo(() => openAlerts(alerts.data?.alerts ?? []).slice(0, 5), [alerts.data]);
  const days = day.data;
  const perDay = useMemo(() => {
    const rows = everything.data?.costPerDay.slice(-30) ?? [];
    return { times: rows.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000), series: [{ label: 'Cost', values: rows.map((r) => r.costUsd), colorVar: '--accent', format: formatCost, bars: true }] };
  }, [everything.data]);

  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <Status {...everything} what="statistics">
        {(all) => all.totals.spans === 0 ? <SendTraces /> : (
          <div class="grid">
            <Card title="Traffic">
              <div class="figures">
                <Figure label="spans/s" value={hour.data ? formatRate(hour.data.totals.spans / 3600) : '…'} hint="average of the last hour" />
                <Figure label="error rate" value={days ? formatPercent(days.errorRate) : '…'} hint={days ? `${formatCount(days.totals.errorTraces)} of ${formatCount(days.totals.traces)} traces, 24 h` : undefined} />
                <Figure label="traces" value={formatCount(all.totals.traces)} hint="stored" />
              </div>
            </Card>
            <Card title="Cost">
              <div class="figures">
                <Figure label="today" value={costToday.data ? formatCost(costToday.data.total.costUsd) : '…'} hint="since 00:00 UTC" />
                <Figure label="this week" value={costWeek.data ? formatCost(costWeek.data.total.costUsd) : '…'} hint="since Monday 00:00 UTC" />
                <Figure label="unpriced calls" value={costWeek.data ? formatCount(costWeek.data.total.unpricedCalls) : '…'} hint="this week, no known price" />
              </div>
            </Card>
            <Card title="Top models by cost (this week)">
              <Status {...costWeek} what="costs">
                {(c) => <BarTable caption="Top models by cost this week" rows={c.byModel.slice(0, 5)} label={(r) => r.model ?? '(no model)'} value={(r) => r.costUsd} format={formatCost} />}
              </Status>
            </Card>
            <Card title="Top MCP tools by errors (7 days)">
              <Status {...tools} what="tool calls">
                {() => topTools.length === 0 ? <p class="muted">No failed tool calls in 7 days.</p> : (
                  <BarTable caption="MCP tools with the most failed calls" rows={topTools} label={(t) => `${t.server_name ?? '—'} / ${t.tool_name}`} value={(t) => t.error_calls}
                    format={formatCount} extra={{ head: 'of calls', cell: (t) => formatCount(t.total_calls) }} />
                )}
              </Status>
            </Card>
            <Card title="Open alerts">
              <Status {...alerts} what="alerts">
                {() => open.length === 0 ? <p class="muted">No open alerts.</p> : (
                  <ul class="plain">
                    {open.map((a) => <li key={a.id}><Badge value={a.severity} /> {a.title} <span class="muted">{formatAgo(a.triggered_at, now)}</span></li>)}
                  </ul>
                )}
              </Status>
              <p><Link href="/alerts">Alert history</Link></p>
            </Card>
            <Card title="Latest traces">
              <Status {...latest} what="traces">
                {(l) => (
                  <ul class="plain">
                    {l.traces.map((t) => (
                      <li key={t.id}><Link href={traceHref(t.id)}>{t.name ?? t.id}</Link> <Badge value={t.status} />{' '}
                        <span class="muted small">{formatTime(t.startedAt)} · {formatDuration(t.durationMs)}</span></li>
                    ))}
                  </ul>
                )}
              </Status>
              <p><Link href="/traces">All traces</Link></p>
            </Card>
            <Card title="Cost per day (UTC)" wide>
              <TimeChart daily times={perDay.times} series={perDay.series} summary={`Cost per day for the last ${perDay.times.length} days with data`} />
            </Card>
          </div>
        )}
      </Status>
    </>
  );
}
