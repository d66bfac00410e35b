import { SPAN_WINDOW_SQL } from './window.js';

/**
 * The project's spans in a window, each with the agent it is attributed to:
 * its own `agent_name`, else its trace's agent, picked as the trace
 * summary picks it (the root span's agent, else the earliest span's that
 * has one), among the trace's spans in the window. LLM calls made inside an
 * agent run rarely repeat the agent's name (OTel puts
 * `gen_ai.agent.name` on the `invoke_agent` span), so without this their
 * cost would belong to no agent.
 *
 * A CTE list (`s`, `trace_agent`, `a`) to continue with `SELECT … FROM a`;
 * parameters $1 project id, $2 from, $3 to (µs). Token and cost columns
 * are summed as stored: a span whose usage aggregates its children has them
 * null (docs/semconv.md, "No double counting"), so every call is counted on
 * exactly one row, as in the trace totals.
 */
export const ATTRIBUTED_SPANS_CTE = `
  s AS NOT MATERIALIZED (
    SELECT trace_id, parent_span_id, started_at, status, type, agent_name, provider,
      coalesce(response_model, request_model) AS model, tool_name, server_name, duration_ms,
      input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd
    FROM all_spans WHERE ${SPAN_WINDOW_SQL}),
  trace_agent AS (
    SELECT trace_id, coalesce(any_value(agent_name) FILTER (WHERE parent_span_id IS NULL), arg_min(agent_name, started_at)) AS trace_agent
    FROM s WHERE agent_name IS NOT NULL GROUP BY trace_id),
  a AS (
    SELECT s.*, coalesce(s.agent_name, t.trace_agent) AS agent FROM s LEFT JOIN trace_agent t USING (trace_id))`;

// What counts as a model call and an unpriced one is defined beside the rollups, which count them per hour.
export { IS_CALL_SQL, IS_UNPRICED_SQL } from '../store/lake/rollup.js';
