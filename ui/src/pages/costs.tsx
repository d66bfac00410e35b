import { useMemo } from 'preact/hooks';
import type { CostSummary, ModelPrice, Stats } from '../api/types.js';
import { TimeChart } from '../components/chart.js';
import { BarTable, Card, Figure, SelectField, Status } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { formatCost, formatCount, formatTime } from '../lib/format.js';
import { navigate } from '../router.js';

const WINDOWS = [['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['30d', 'last 30 days'], ['90d', 'last 90 days'], ['all', 'everything']] as const;

/** Price source of a model's calls: a local override, the bundled genai-prices table, or no price (calls counted as unpriced). */
function priceSource(row: { model: string | null; calls: number; unpricedCalls: number }, overrides: ReadonlyMap<string, ModelPrice>): string {
  const o = row.model ? overrides.get(row.model) : undefined;
  const priced = row.calls - row.unpricedCalls;
  const base = o ? 'local override' : 'reported or genai-prices';
  if (row.unpricedCalls === 0) return base;
  if (priced === 0) return `unknown (${formatCount(row.unpricedCalls)} unpriced)`;
  return `${base}; ${formatCount(row.unpricedCalls)} of ${formatCount(row.calls)} unpriced`;
}

/** Cost by day, model, provider and agent, with where each price came from. */
export function Costs({ search }: { search: string }) {
  useTitle('Costs');
  const w = new URLSearchParams(search).get('window');
  const win = WINDOWS.some(([k]) => k === w) ? w! : '7d';
  const summary = useApi<CostSummary>(`/api/costs/summary?window=${win}&limit=20`);
  const stats = useApi<Stats>(`/api/stats?window=${win}`);
  const prices = useApi<{ models: ModelPrice[] }>('/api/costs/models');
  const overrides = useMemo(() => new Map((prices.data?.models ?? []).map((m) => [m.model_id, m])), [prices.data]);
  const perDay = useMemo(() => {
    const rows = stats.data?.costPerDay ?? [];
    return {
      times: rows.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000),
      series: [{ label: 'Cost', values: rows.map((r) => r.costUsd), colorVar: '--accent', format: formatCost, bars: true }],
      rows,
    };
  }, [stats.data]);
  return (
    <>
      <h1 tabIndex={-1}>Costs</h1>
      <form class="filters" aria-label="Cost window" onSubmit={(e) => e.preventDefault()}>
        <SelectField id="c-window" label="Window" value={win} options={WINDOWS} onChange={(v) => navigate(`/costs?window=${v}`, { replace: true })} />
      </form>
      <Status {...summary} what="costs">
        {(c) => (
          <div class="grid">
            <Card title="Total">
              <div class="figures">
                <Figure label="cost" value={formatCost(c.total.costUsd)} hint={`${formatTime(c.window.from)} → now`} />
                <Figure label="LLM calls" value={formatCount(c.total.llmCalls)} hint={`${formatCount(c.total.unpricedCalls)} without a known price`} />
                <Figure label="tokens" value={formatCount(c.total.inputTokens + c.total.outputTokens)} hint={`${formatCount(c.total.inputTokens)} in / ${formatCount(c.total.outputTokens)} out`} />
              </div>
              <p class="muted small">
                A cost is <em>reported</em> when the span carried one, <em>computed</em> from the tokens and the price table
                (the bundled genai-prices data, or a local override below), or <em>unknown</em> when no price is known
                (counted as unpriced). Each span's source is shown in its trace.
              </p>
            </Card>
            <Card title="Cost per day (UTC)" wide>
              <Status {...stats} what="cost per day">
                {() => (
                  <>
                    <TimeChart daily times={perDay.times} series={perDay.series} summary={`Cost per day over the ${WINDOWS.find(([k]) => k === win)![1]}`} />
                    <details><summary>As a table</summary>
                      <table class="data"><thead><tr><th scope="col">Day</th><th scope="col" class="num">Cost</th><th scope="col" class="num">LLM calls</th></tr></thead>
                        <tbody>{perDay.rows.map((r) => <tr key={r.date}><td>{r.date}</td><td class="num">{formatCost(r.costUsd)}</td><td class="num">{formatCount(r.llmCalls)}</td></tr>)}</tbody></table>
                    </details>
                  </>
                )}
              </Status>
            </Card>
            <Card title="By model" wide>
              <BarTable caption="Cost by model" rows={c.byModel} label={(r) => <>{r.model ?? '(no model)'} <span class="muted">{r.provider ?? ''}</span></>}
                value={(r) => r.costUsd} format={formatCost} extra={{ head: 'Price source', cell: (r) => priceSource(r, overrides) }} />
            </Card>
            <Card title="By provider">
              <BarTable caption="Cost by provider" rows={c.byProvider} label={(r) => r.provider ?? '(none)'} value={(r) => r.costUsd} format={formatCost}
                extra={{ head: 'Calls', cell: (r) => formatCount(r.calls) }} />
            </Card>
            <Card title="By agent">
              <BarTable caption="Cost by agent" rows={c.byAgent} label={(r) => r.agent ?? '(no agent)'} value={(r) => r.costUsd} format={formatCost}
                extra={{ head: 'Calls', cell: (r) => formatCount(r.calls) }} />
            </Card>
            <Card title="Local price overrides">
              <Status {...prices} what="price overrides">
                {(p) => p.models.length === 0 ? <p class="muted">None: every price comes from the bundled genai-prices table.</p> : (
                  <table class="data"><thead><tr><th scope="col">Model</th><th scope="col" class="num">Input $/Mtok</th><th scope="col" class="num">Output $/Mtok</th><th scope="col">Source</th></tr></thead>
                    <tbody>{p.models.map((m) => <tr key={m.model_id}><td>{m.model_id}</td><td class="num">{m.input_per_mtok}</td><td class="num">{m.output_per_mtok}</td><td>{m.source}</td></tr>)}</tbody></table>
                )}
              </Status>
            </Card>
          </div>
        )}
      </Status>
    </>
  );
}
