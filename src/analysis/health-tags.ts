/**
 * Session health tags (docs/analysis.md "Health tags"): the eight values of
 * langsight-api.txt, each assigned by one rule over the session's stored
 * spans, the first rule that holds winning. The prevention-driven tags read
 * what the spans say (the ToolCallSpan `prevented` status with the LangSight
 * SDK's `loop_detected: …` / `budget_exceeded: …` / `circuit_breaker_open: …`
 * messages, or an OTel `error.type` naming the event) until prevention
 * events of our own exist.
 */
export const HEALTH_TAGS = [
  'success', 'success_with_fallback', 'loop_detected', 'budget_exceeded',
  'tool_failure', 'circuit_breaker_open', 'timeout', 'schema_drift',
] as const;
export type HealthTag = (typeof HEALTH_TAGS)[number];

/** The events a failed span can report, by the error type the span carries (or the SDK's message prefix). */
const EVENT_TYPES = `('loop_detected', 'budget_exceeded', 'circuit_breaker_open', 'schema_drift', 'timeout')`;
const SDK_PREFIXES = `('loop_detected', 'budget_exceeded', 'circuit_breaker_open')`;

/**
 * What went wrong in one span (`all_spans` columns), or NULL: `loop_detected`,
 * `budget_exceeded`, `wall_time` (a budget stop on max_wall_time_s: the
 * reference's session timeout), `timeout`, `circuit_breaker_open`,
 * `schema_drift` or `error`. Only failed spans (status error) have one.
 */
export const SPAN_PROBLEM_SQL = `CASE
  WHEN status <> 'error' THEN NULL
  WHEN error_type = 'prevented' AND split_part(status_message, ':', 1) = 'budget_exceeded'
    AND contains(status_message, 'max_wall_time_s') THEN 'wall_time'
  WHEN error_type = 'prevented' AND split_part(status_message, ':', 1) IN ${SDK_PREFIXES} THEN split_part(status_message, ':', 1)
  WHEN error_type IN ${EVENT_TYPES} THEN error_type
  WHEN contains(lower(coalesce(status_message, '')), 'schema drift') THEN 'schema_drift'
  ELSE 'error' END`;

/**
 * The prevention engine's verdicts of the project at `$1` as (sid, verdict):
 * `loop_detected`, `budget_exceeded`, `timeout` (its wall-time budget) or
 * `circuit_breaker_open`; and `schema_drift`, set by the MCP health checks
 * on sessions that called a tool whose schema changed (src/mcp/monitor.ts).
 */
export const VERDICTS_SQL = `SELECT session_id AS sid, health_tag AS verdict FROM session_prevention WHERE project_id = $1`;

/**
 * One row per session of `spans` (a relation with `sid`, `tool_name`,
 * `started_at`, `status` and `problem` = SPAN_PROBLEM_SQL): `sid, health_tag`.
 * A failed tool call (error, timeout, circuit-breaker block) is recovered
 * when a later call of the same tool in the session succeeded. A verdict of
 * the prevention engine (VERDICTS_SQL) counts as the event it names.
 */
export function healthTagSql(spans: string): string {
  return `
    SELECT r.sid, CASE
      WHEN bool_or(problem = 'loop_detected' OR verdict = 'loop_detected') THEN 'loop_detected'
      WHEN bool_or(problem = 'budget_exceeded' OR verdict = 'budget_exceeded') THEN 'budget_exceeded'
      WHEN bool_or(problem = 'wall_time' OR problem = 'timeout' AND NOT recovered OR verdict = 'timeout') THEN 'timeout'
      WHEN bool_or(problem = 'circuit_breaker_open' AND NOT recovered OR verdict = 'circuit_breaker_open') THEN 'circuit_breaker_open'
      WHEN bool_or(problem = 'schema_drift' OR verdict = 'schema_drift') THEN 'schema_drift'
      WHEN bool_or(problem = 'error' AND NOT recovered) THEN 'tool_failure'
      WHEN bool_or(recovered) THEN 'success_with_fallback'
      ELSE 'success' END AS health_tag
    FROM (
      SELECT sid, coalesce(problem, '') AS problem,
        coalesce(problem IN ('error', 'timeout', 'circuit_breaker_open') AND tool_name IS NOT NULL
          AND started_at < max(CASE WHEN status <> 'error' THEN started_at END) OVER (PARTITION BY sid, tool_name), false) AS recovered
      FROM (${spans})
    ) r LEFT JOIN (${VERDICTS_SQL}) v ON v.sid = r.sid
    GROUP BY r.sid`;
}
