import type { DuckDBConnection } from '@duckdb/node-api';
import { ATTRIBUTED_SPANS_CTE, IS_CALL_SQL, IS_UNPRICED_SQL } from './attribution.js';
import { queryRows } from './rows.js';
import { windowRollups } from './span-rollup.js';
import { paramList } from './trace-window.js';
import type { TimeWindow } from './window.js';

export interface CostQuery extends TimeWindow {
  projectId: string;
  /** Entries kept per breakdown list (the most expensive first). */
  limit: number;
  /**
   * Attribute spans without an agent to their trace's (attribution.ts; about three times the CPU of the
   * rest); default true. Without it `byAgent` groups by each span's own agent_name only.
   */
  byAgent?: boolean;
}

/** Token and cost sums of a set of model calls. */
export interface Usage {
  /** Model calls: llm_call and embedding spans, and any span reporting tokens or a cost. */
  calls: number;
  /** Calls with tokens but no cost (no price matched): their cost is missing from costUsd. */
  unpricedCalls: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export interface ToolUsage {
  serverName: string | null;
  toolName: string;
  calls: number;
  errors: number;
  /** Cost the tool spans themselves report (a paid API); the model calls they make count under their model. */
  costUsd: number;
  avgLatencyMs: number;
}

export interface CostReport {
  /** `spans`: model calls and tool calls; `llmCalls`: model calls that are not tool spans. */
  total: Usage & { spans: number; llmCalls: number; toolCalls: number; toolCostUsd: number; llmCostUsd: number };
  byModel: Array<Usage & { model: string | null; provider: string | null }>;
  byProvider: Array<Usage & { provider: string | null }>;
  byAgent: Array<Usage & { agent: string | null }>;
  byTool: ToolUsage[];
  /** Whether a list was cut at the limit. */
  hasMore: { byModel: boolean; byProvider: boolean; byAgent: boolean; byTool: boolean };
}

const EMPTY_USAGE: Usage = { calls: 0, unpricedCalls: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

/** Sums rounded to 1e-12 USD, so the order DuckDB adds doubles in (hot rows, lake files) never shows. */
const usd = (col: string) => `round(coalesce(fsum(${col}), 0), 12)`;
const tokens = (col: string) => `coalesce(sum(${col}), 0)::BIGINT`;

// GROUPING_ID over (model, provider, agent, server_name, tool_name): a bit is set for each column not grouped.
const SET_BY_ID = new Map<number, keyof CostReport['hasMore'] | 'total'>([
  [0b00111, 'byModel'], [0b10111, 'byProvider'], [0b11011, 'byAgent'], [0b11100, 'byTool'], [0b11111, 'total'],
]);

/**
 * Cost and token sums of the project's spans started in the window: totals,
 * by model (with its provider), by provider, by agent (attribution.ts) and
 * by tool, in one scan, each list ordered by cost, then
 * calls, then name, and cut at `limit`.
 */
export async function costReport(conn: DuckDBConnection, q: CostQuery): Promise<CostReport> {
  const withAgents = q.byAgent ?? true;
  // Two levels: the spans are summed once at the finest grain (few rows: models × agents, tools × agents),
  // and only those rows are rolled up into the five lists; five grouping sets straight over every span cost
  // several times the scan (bench/read-aggregates.ts).
  // The attributed spans read $2 and $3 (the window); the rollups append their own bounds.
  const { params, add } = paramList(withAgents ? [q.projectId, q.fromUs, q.toUs] : [q.projectId]);
  // Without the attribution every sum is one of a span's own fields: the hourly rollups hold them (span-rollup.ts).
  // The attribution needs each span's trace (its agent among the trace's spans in the window), so it reads the spans.
  const finest = withAgents ? `
    ${ATTRIBUTED_SPANS_CTE},
    r AS (SELECT *, ${IS_CALL_SQL} AS is_call, tool_name IS NOT NULL AS is_tool FROM a),
    f AS (
      SELECT model, provider, agent, server_name, tool_name,
        count(*) FILTER (WHERE is_call) AS calls,
        count(*) FILTER (WHERE is_call AND ${IS_UNPRICED_SQL}) AS unpriced,
        fsum(cost_usd) AS cost, fsum(cost_usd) FILTER (WHERE is_tool) AS tool_cost, fsum(cost_usd) FILTER (WHERE NOT is_tool) AS llm_cost,
        sum(input_tokens) FILTER (WHERE is_call) AS input_tokens, sum(output_tokens) FILTER (WHERE is_call) AS output_tokens,
        sum(cache_read_tokens) FILTER (WHERE is_call) AS cache_read_tokens, sum(cache_write_tokens) FILTER (WHERE is_call) AS cache_write_tokens,
        sum(reasoning_tokens) FILTER (WHERE is_call) AS reasoning_tokens,
        count(*) AS spans, count(*) FILTER (WHERE is_call AND NOT is_tool) AS llm_calls, count(*) FILTER (WHERE is_tool) AS tool_calls,
        count(*) FILTER (WHERE is_tool AND status = 'error') AS tool_errors, sum(duration_ms) FILTER (WHERE is_tool) AS tool_ms
      FROM r WHERE is_call OR is_tool GROUP BY ALL),` : `
    r AS (${await windowRollups(conn, q, add)}),
    f AS (
      SELECT model, provider, agent_name AS agent, server_name, tool_name,
        coalesce(sum(spans) FILTER (WHERE is_call), 0)::BIGINT AS calls, sum(unpriced)::BIGINT AS unpriced,
        fsum(cost_usd) AS cost, fsum(cost_usd) FILTER (WHERE is_tool) AS tool_cost, fsum(cost_usd) FILTER (WHERE NOT is_tool) AS llm_cost,
        sum(input_tokens) FILTER (WHERE is_call) AS input_tokens, sum(output_tokens) FILTER (WHERE is_call) AS output_tokens,
        sum(cache_read_tokens) FILTER (WHERE is_call) AS cache_read_tokens, sum(cache_write_tokens) FILTER (WHERE is_call) AS cache_write_tokens,
        sum(reasoning_tokens) FILTER (WHERE is_call) AS reasoning_tokens,
        sum(spans)::BIGINT AS spans, coalesce(sum(spans) FILTER (WHERE is_call AND NOT is_tool), 0)::BIGINT AS llm_calls,
        coalesce(sum(spans) FILTER (WHERE is_tool), 0)::BIGINT AS tool_calls,
        coalesce(sum(errors) FILTER (WHERE is_tool), 0)::BIGINT AS tool_errors, fsum(duration_ms) FILTER (WHERE is_tool) AS tool_ms
      FROM r WHERE is_call OR is_tool GROUP BY ALL),`;
  const rows = await queryRows(conn, `
    WITH ${finest}
    g AS (
      SELECT GROUPING_ID(model, provider, agent, server_name, tool_name) AS gid, model, provider, agent, server_name, tool_name,
        sum(calls) AS calls, sum(unpriced) AS unpriced,
        ${usd('cost')} AS cost_usd, ${usd('tool_cost')} AS tool_cost_usd, ${usd('llm_cost')} AS llm_cost_usd,
        ${tokens('input_tokens')} AS input_tokens, ${tokens('output_tokens')} AS output_tokens,
        ${tokens('cache_read_tokens')} AS cache_read_tokens, ${tokens('cache_write_tokens')} AS cache_write_tokens,
        ${tokens('reasoning_tokens')} AS reasoning_tokens,
        sum(spans) AS spans, sum(llm_calls) AS llm_calls, sum(tool_calls) AS tool_calls, sum(tool_errors) AS tool_errors,
        round(coalesce(sum(tool_ms) / nullif(sum(tool_calls), 0), 0), 9) AS tool_latency_ms
      FROM f
      GROUP BY GROUPING SETS ((model, provider), (provider), (agent), (server_name, tool_name), ()))
    SELECT * FROM g
    WHERE gid = ${0b11111} OR (gid = ${0b11100} AND tool_name IS NOT NULL) OR (gid <> ${0b11100} AND calls > 0)
    QUALIFY row_number() OVER (
      PARTITION BY gid ORDER BY CASE WHEN gid = ${0b11100} THEN tool_cost_usd ELSE cost_usd END DESC,
        CASE WHEN gid = ${0b11100} THEN tool_calls ELSE calls END DESC,
        model NULLS LAST, provider NULLS LAST, agent NULLS LAST, server_name NULLS LAST, tool_name) <= ${add(q.limit + 1)}`, params);

  const usage = (r: Record<string, unknown>): Usage => ({
    calls: Number(r.calls),
    unpricedCalls: Number(r.unpriced),
    costUsd: Number(r.cost_usd),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
  });
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const report: CostReport = {
    total: { ...EMPTY_USAGE, spans: 0, llmCalls: 0, toolCalls: 0, toolCostUsd: 0, llmCostUsd: 0 },
    byModel: [], byProvider: [], byAgent: [], byTool: [],
    hasMore: { byModel: false, byProvider: false, byAgent: false, byTool: false },
  };
  for (const r of rows) {
    const set = SET_BY_ID.get(Number(r.gid));
    if (set === 'total') {
      report.total = { ...usage(r), spans: Number(r.spans), llmCalls: Number(r.llm_calls), toolCalls: Number(r.tool_calls), toolCostUsd: Number(r.tool_cost_usd), llmCostUsd: Number(r.llm_cost_usd) };
    } else if (set === 'byModel') {
      report.byModel.push({ model: str(r.model), provider: str(r.provider), ...usage(r) });
    } else if (set === 'byProvider') {
      report.byProvider.push({ provider: str(r.provider), ...usage(r) });
    } else if (set === 'byAgent') {
      report.byAgent.push({ agent: str(r.agent), ...usage(r) });
    } else if (set === 'byTool') {
      report.byTool.push({
        serverName: str(r.server_name), toolName: String(r.tool_name), calls: Number(r.tool_calls), errors: Number(r.tool_errors),
        costUsd: Number(r.tool_cost_usd), avgLatencyMs: Number(r.tool_latency_ms),
      });
    }
  }
  // QUALIFY kept limit + 1 rows per list: the extra one only says that more exist.
  for (const key of ['byModel', 'byProvider', 'byAgent', 'byTool'] as const) {
    if (report[key].length > q.limit) {
      report[key].length = q.limit;
      report.hasMore[key] = true;
    }
  }
  return report;
}
