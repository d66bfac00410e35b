/**
 * Log record columns as they travel in a WAL line (read_json types), in
 * LogRecordRow order. Times travel as integer microseconds and become
 * TIMESTAMPs in the load statement, as span times do.
 */
export const WAL_LOG_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['project_id', 'VARCHAR'], ['record_id', 'VARCHAR'], ['trace_id', 'VARCHAR'], ['span_id', 'VARCHAR'],
  ['logged_us', 'BIGINT'], ['observed_us', 'BIGINT'], ['position', 'BIGINT'],
  ['severity_number', 'INTEGER'], ['severity_text', 'VARCHAR'], ['event_name', 'VARCHAR'], ['kind', 'VARCHAR'],
  ['service_name', 'VARCHAR'], ['scope_name', 'VARCHAR'], ['scope_version', 'VARCHAR'],
  ['input', 'VARCHAR'], ['output', 'VARCHAR'], ['finish_reason', 'VARCHAR'], ['choice_index', 'BIGINT'],
  ['evaluation_name', 'VARCHAR'], ['score_value', 'DOUBLE'], ['score_label', 'VARCHAR'], ['explanation', 'VARCHAR'],
  ['response_id', 'VARCHAR'], ['error_type', 'VARCHAR'],
  ['body', 'JSON'], ['attributes', 'JSON'], ['resource', 'JSON'],
];

/** Columns a log row cannot be stored without (NOT NULL in `logs`). */
export const REQUIRED_LOG_COLUMNS: ReadonlySet<string> = new Set(['project_id', 'record_id', 'logged_us', 'position', 'kind']);

/** The read_json `columns` struct literal for log WAL segments (constant text, no user input). */
export const WAL_LOG_COLUMNS_SQL = '{' + WAL_LOG_COLUMNS.map(([n, t]) => `${n}: '${t}'`).join(', ') + '}';

/** `logs` table columns in insert order (without loaded_at), with the expression that produces each from a WAL row. */
export const LOG_INSERT_SQL: ReadonlyArray<readonly [string, string]> = WAL_LOG_COLUMNS.map(([n]) => {
  if (n === 'logged_us') return ['logged_at', 'make_timestamp(logged_us)'] as const;
  if (n === 'observed_us') return ['observed_at', 'make_timestamp(observed_us)'] as const;
  return [n, n] as const;
});

/** Log columns in the lake and the read relations (project_id first, then the rest; times as TIMESTAMPs). */
export const LOG_COLUMNS: readonly string[] = LOG_INSERT_SQL.map(([c]) => c);
