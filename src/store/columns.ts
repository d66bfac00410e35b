/**
 * Span columns as they travel in a WAL line (read_json types). Times travel
 * as integer microseconds and become TIMESTAMPs in the load statement, so
 * the WAL never depends on a date format.
 */
export const WAL_SPAN_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['project_id', 'VARCHAR'], ['trace_id', 'VARCHAR'], ['span_id', 'VARCHAR'], ['parent_span_id', 'VARCHAR'],
  ['started_us', 'BIGINT'], ['ended_us', 'BIGINT'], ['duration_ms', 'DOUBLE'],
  ['name', 'VARCHAR'], ['span_kind', 'VARCHAR'], ['type', 'VARCHAR'], ['status', 'VARCHAR'],
  ['status_message', 'VARCHAR'], ['error_type', 'VARCHAR'],
  ['service_name', 'VARCHAR'], ['scope_name', 'VARCHAR'], ['framework', 'VARCHAR'], ['session_id', 'VARCHAR'],
  ['user_id', 'VARCHAR'], ['agent_name', 'VARCHAR'],
  ['provider', 'VARCHAR'], ['operation', 'VARCHAR'], ['request_model', 'VARCHAR'], ['response_model', 'VARCHAR'],
  ['input_tokens', 'BIGINT'], ['output_tokens', 'BIGINT'], ['cache_read_tokens', 'BIGINT'],
  ['cache_write_tokens', 'BIGINT'], ['reasoning_tokens', 'BIGINT'],
  ['cost_usd', 'DOUBLE'], ['cost_source', 'VARCHAR'], ['finish_reason', 'VARCHAR'],
  ['tool_name', 'VARCHAR'], ['tool_call_id', 'VARCHAR'], ['server_name', 'VARCHAR'],
  ['mcp_method', 'VARCHAR'], ['mcp_session_id', 'VARCHAR'], ['mcp_resource_uri', 'VARCHAR'],
  ['input', 'VARCHAR'], ['output', 'VARCHAR'],
  ['attributes', 'JSON'], ['resource', 'JSON'], ['events', 'JSON'], ['links', 'JSON'],
];

/** The read_json `columns` struct literal for WAL segments (constant text, no user input). */
export const WAL_COLUMNS_SQL = '{' + WAL_SPAN_COLUMNS.map(([n, t]) => `${n}: '${t}'`).join(', ') + '}';

/** spans table columns in insert order, with the expression that produces each from a WAL row. */
export const SPAN_INSERT_SQL: ReadonlyArray<readonly [string, string]> = WAL_SPAN_COLUMNS.flatMap(([n]) => {
  if (n === 'started_us') return [['started_at', 'make_timestamp(started_us)'] as const];
  if (n === 'ended_us') return [['ended_at', 'make_timestamp(ended_us)'] as const];
  return [[n, n] as const];
});
