import type { DuckDBConnection } from '@duckdb/node-api';
import { MERGED_TRACES } from '../store/lake/relations.js';
import { queryRows } from './rows.js';
import { windowRollups } from './span-rollup.js';
import { paramList } from './trace-window.js';
import { isoDate, type TimeWindow } from './window.js';

/** Days of costPerDay returned at most (the newest). */
export const MAX_STATS_DAYS = 400;
const DAY_US = 86_400_000_000;

export interface DayStats {
  date: string;
  spans: number;
  llmCalls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface Stats {
  traces: { total: number; errors: number; sessions: number; errorRate: number | null; latency: { p50Ms: number; p95Ms: number; p99Ms: number } | null };
  spans: { total: number; errors: number; errorRate: number | null; llmCalls: number; toolCalls: number; inputTokens: number; outputTokens: number; costUsd: number };
  /** Oldest first; only days with spans. */
  costPerDay: DayStats[];
  costPerDayHasMore: boolean;
}

/**
 * The project's activity in a window. Traces: those started in the window,
 * merged from their summary parts (the parts dated from the day before the
 * window on, so a trace that crossed midnight into the window is whole);
 * latency is the trace duration (end of its last span minus start of its
 * first), percentiles by linear interpolation (DuckDB quantile_cont).
 * Spans, tokens and cost: spans started in the window, summed per row
 * (the trace totals' rule), per UTC day and in total.
 */
export async function statsReport(conn: DuckDBConnection, q: TimeWindow & { projectId: string }): Promise<Stats> {
  // Span counts and sums from the hourly rollups (span-rollup.ts): the window's whole hours cost their groups, not their spans.
  const { params, add } = paramList([q.projectId]);
  const rollups = await windowRollups(conn, q, add);
  const spanRows = await queryRows(conn, `
    WITH r AS (${rollups}), s AS (SELECT strftime(hour, '%Y-%m-%d') AS day, * FROM r)
    SELECT GROUPING_ID(day) AS gid, day, coalesce(sum(spans), 0)::BIGINT AS spans, coalesce(sum(errors), 0)::BIGINT AS errors,
      coalesce(sum(llm_spans), 0)::BIGINT AS llm_calls, coalesce(sum(tool_spans), 0)::BIGINT AS tool_calls,
      coalesce(sum(input_tokens), 0)::BIGINT AS input_tokens, coalesce(sum(output_tokens), 0)::BIGINT AS output_tokens,
      round(coalesce(fsum(cost_usd), 0), 12) AS cost_usd
    FROM s GROUP BY GROUPING SETS ((day), ())
    QUALIFY row_number() OVER (PARTITION BY GROUPING_ID(day) ORDER BY day DESC) <= ${add(MAX_STATS_DAYS + 1)}`, params);

  const traceRows = await queryRows(conn, `
    WITH parts AS (SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND date >= $4),
    merged AS (${MERGED_TRACES})
    SELECT count(*) AS traces, count(*) FILTER (WHERE status = 'error') AS errors, count(DISTINCT session_id) AS sessions,
      quantile_cont((epoch_us(ended_at) - epoch_us(started_at)) / 1000.0, [0.5, 0.95, 0.99]) AS q
    FROM merged WHERE started_at >= make_timestamp($2::BIGINT) AND started_at < make_timestamp($3::BIGINT)`,
  [q.projectId, q.fromUs, q.toUs, isoDate(Math.max(0, q.fromUs - DAY_US))]);

  const total = spanRows.find((r) => Number(r.gid) === 1);
  const days = spanRows.filter((r) => Number(r.gid) === 0).map((r): DayStats => ({
    date: String(r.day), spans: Number(r.spans), llmCalls: Number(r.llm_calls), errors: Number(r.errors),
    inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens), costUsd: Number(r.cost_usd),
  }));
  const hasMore = days.length > MAX_STATS_DAYS;
  days.sort((x, y) => (x.date < y.date ? -1 : 1));
  if (hasMore) days.shift();

  const t = traceRows[0];
  const traces = Number(t.traces);
  const quant = t.q as number[] | null;
  const spans = total ? Number(total.spans) : 0;
  return {
    traces: {
      total: traces,
      errors: Number(t.errors),
      sessions: Number(t.sessions),
      errorRate: traces === 0 ? null : Number(t.errors) / traces,
      latency: quant === null ? null : { p50Ms: quant[0], p95Ms: quant[1], p99Ms: quant[2] },
    },
    spans: {
      total: spans,
      errors: total ? Number(total.errors) : 0,
      errorRate: spans === 0 ? null : Number(total!.errors) / spans,
      llmCalls: total ? Number(total.llm_calls) : 0,
      toolCalls: total ? Number(total.tool_calls) : 0,
      inputTokens: total ? Number(total.input_tokens) : 0,
      outputTokens: total ? Number(total.output_tokens) : 0,
      costUsd: total ? Number(total.cost_usd) : 0,
    },
    costPerDay: days,
    costPerDayHasMore: hasMore,
  };
}
