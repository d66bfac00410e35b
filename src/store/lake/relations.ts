import type { DuckDBConnection } from '@duckdb/node-api';
import { SPAN_COLUMNS, TRACE_COLUMNS, sqlPath, type LakeKind } from './layout.js';
import { mayHoldSql, traceIdHashes } from './trace-filter.js';
import { defineLogRelation } from './log-relations.js';
import { defineRollupRelation, syncRollups } from './rollup.js';
import { syncSessionFilters } from './session-filter.js';

const INT64_MAX = '9223372036854775807';
const cols = (list: readonly string[]) => list.join(', ');
const lakeScan = (files: readonly string[]) =>
  `read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`;

const preferRoot = (c: string) =>
  `coalesce(arg_min(${c}, started_at) FILTER (WHERE root_span_id IS NOT NULL AND ${c} IS NOT NULL), arg_min(${c}, started_at) FILTER (WHERE ${c} IS NOT NULL)) AS ${c}`;

/** Partial trace summaries (hot row + one per seal) merged into one row per trace, by the loader's upsert rules. */
export const MERGED_TRACES = `
  SELECT project_id, trace_id, min(started_at) AS started_at, max(ended_at) AS ended_at,
    any_value(root_span_id) FILTER (WHERE root_span_id IS NOT NULL) AS root_span_id,
    any_value(root_name) FILTER (WHERE root_name IS NOT NULL) AS root_name,
    arg_min(first_name, started_at) AS first_name,
    CASE WHEN bool_or(status = 'error') THEN 'error' WHEN bool_or(status = 'ok') THEN 'ok' ELSE 'unset' END AS status,
    ${preferRoot('service_name')}, ${preferRoot('framework')},
    arg_min(session_id, started_at) FILTER (WHERE session_id IS NOT NULL) AS session_id,
    arg_min(user_id, started_at) FILTER (WHERE user_id IS NOT NULL) AS user_id,
    ${preferRoot('agent_name')},
    sum(span_count)::BIGINT AS span_count, sum(error_count)::BIGINT AS error_count,
    sum(llm_call_count)::BIGINT AS llm_call_count, sum(tool_call_count)::BIGINT AS tool_call_count,
    least(sum(input_tokens), ${INT64_MAX})::BIGINT AS input_tokens, least(sum(output_tokens), ${INT64_MAX})::BIGINT AS output_tokens,
    sum(cost_usd) AS cost_usd, list_distinct(flatten(list(models))) AS models
  FROM parts GROUP BY project_id, trace_id`;

/**
 * The one query surface: `all_spans` and `all_traces` (and `all_trace_parts`,
 * the unmerged summaries `all_traces` is built from) cover hot rows and
 * the lake together, so callers never know where a row lives. Recreated in
 * the transaction that changes the file set, so a reader sees the hot rows
 * or the files that replaced them, never both or neither.
 */
export async function defineRelations(conn: DuckDBConnection, spanFiles: readonly string[], traceFiles: readonly string[]): Promise<void> {
  const spanCols = cols(['project_id', ...SPAN_COLUMNS]);
  const spans = spanFiles.length === 0
    ? `SELECT ${spanCols} FROM spans`
    : `SELECT ${spanCols} FROM spans UNION ALL SELECT ${spanCols} FROM ${lakeScan(spanFiles)}`;
  await conn.run(`CREATE OR REPLACE VIEW all_spans AS ${spans}`);
  const traceCols = cols(TRACE_COLUMNS);
  // The partial summaries themselves, each with the date it is filed under (the lake's partition
  // column; for hot rows the date their first span started), for searches that merge a date window.
  const hotParts = `SELECT ${traceCols}, strftime(started_at, '%Y-%m-%d') AS date FROM traces`;
  await conn.run(`CREATE OR REPLACE VIEW all_trace_parts AS ${traceFiles.length === 0
    ? hotParts
    : `${hotParts} UNION ALL SELECT ${traceCols}, date FROM ${lakeScan(traceFiles)}`}`);
  const traces = traceFiles.length === 0
    ? `SELECT ${traceCols} FROM traces`
    : `WITH parts AS (SELECT ${traceCols} FROM traces UNION ALL SELECT ${traceCols} FROM ${lakeScan(traceFiles)}) ${MERGED_TRACES}`;
  await conn.run(`CREATE OR REPLACE VIEW all_traces AS ${traces}`);
}

/** Defines the relations from the lake_files catalog (absolute paths under `lakeRoot`). */
export async function refreshRelations(conn: DuckDBConnection, lakeRoot: string, exists: (p: string) => boolean): Promise<string[]> {
  const rows = (await conn.runAndReadAll('SELECT path, kind FROM lake_files ORDER BY path')).getRows();
  const spanFiles: string[] = [];
  const traceFiles: string[] = [];
  const logFiles: string[] = [];
  const missing: string[] = [];
  for (const [rel, kind] of rows) {
    const abs = `${lakeRoot}/${String(rel)}`;
    if (!exists(abs)) {
      missing.push(String(rel));
      continue;
    }
    (kind === 'spans' ? spanFiles : kind === 'logs' ? logFiles : traceFiles).push(abs);
  }
  await defineRelations(conn, spanFiles, traceFiles);
  await defineLogRelation(conn, logFiles);
  // The hourly rollups follow the span files (rollup.ts): rows of files no record names go, new files get theirs.
  await syncRollups(conn, lakeRoot, exists);
  await defineRollupRelation(conn, missing);
  await syncSessionFilters(conn, lakeRoot, exists);
  // Filters of files no record names any more (compacted, dropped by retention) go with them.
  await conn.run('DELETE FROM lake_trace_filters WHERE path NOT IN (SELECT path FROM lake_files)');
  const present = missing.length === 0 ? 'true' : `f.path NOT IN (${missing.map(sqlPath).join(', ')})`;
  await conn.run(`CREATE OR REPLACE VIEW lake_trace_lookup AS
    SELECT f.kind, f.project_id, ${sqlPath(`${lakeRoot}/`)} || f.path AS file, f.date, f.min_started_at, f.max_started_at, t.m, t.k, t.bits
    FROM lake_files f LEFT JOIN lake_trace_filters t USING (path) WHERE ${present}`);
  await conn.run(`CREATE OR REPLACE VIEW lake_session_lookup AS
    SELECT f.kind, f.project_id, ${sqlPath(`${lakeRoot}/`)} || f.path AS file, f.date, f.min_started_at, f.max_started_at, t.m, t.k, t.bits
    FROM lake_files f LEFT JOIN lake_session_filters t USING (path) WHERE f.kind = 'traces' AND ${present}`);
  return missing;
}

/**
 * The relations of one trace, for a lookup by id: hot rows plus only the
 * lake files whose trace-id filter may hold it (trace-filter.ts), chosen in
 * the caller's snapshot. Parameters: $1 project id, $2 trace id.
 */
export async function traceSources(conn: DuckDBConnection, projectId: string, traceId: string): Promise<{ spans: string; traces: string }> {
  const [h1, h2] = traceIdHashes(traceId);
  const rows = (await conn.runAndReadAll(
    `SELECT f.kind, f.file FROM lake_trace_lookup f WHERE f.project_id = $1 AND ${mayHoldSql('$2', '$3')} ORDER BY f.file`,
    [projectId, h1, h2],
  )).getRows();
  const files = (kind: LakeKind) => rows.filter((r) => r[0] === kind).map((r) => String(r[1]));
  const one = 'project_id = $1 AND trace_id = $2';
  const spanCols = cols(['project_id', ...SPAN_COLUMNS]);
  const traceCols = cols(TRACE_COLUMNS);
  const spanFiles = files('spans');
  const traceFiles = files('traces');
  const spans = `SELECT ${spanCols} FROM spans WHERE ${one}` +
    (spanFiles.length === 0 ? '' : ` UNION ALL SELECT ${spanCols} FROM ${lakeScan(spanFiles)} WHERE ${one}`);
  const parts = `SELECT ${traceCols} FROM traces WHERE ${one}` +
    (traceFiles.length === 0 ? '' : ` UNION ALL SELECT ${traceCols} FROM ${lakeScan(traceFiles)} WHERE ${one}`);
  return { spans, traces: `WITH parts AS (${parts}) ${MERGED_TRACES}` };
}
