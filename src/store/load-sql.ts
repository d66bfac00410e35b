import type { DuckDBConnection } from '@duckdb/node-api';
import { SPAN_INSERT_SQL, WAL_COLUMNS_SQL } from './columns.js';

/** The loader's statements: stage a batch, drop what is already stored, insert spans, upsert trace summaries. */

// Token totals saturate rather than overflow: one hostile trace must not make its batch fail forever.
const INT64_MAX = '9223372036854775807';

// read_json sizes its buffers by this (at 256 MiB a 6 MB segment could not load under a 1 GB
// memory_limit). A longer line (only a hostile span reaches it) fails this stage and is
// loaded by the line-by-line stage, which has no such bound.
const MAX_OBJECT_SIZE = 16 * 1024 * 1024;


export const STAGE_SQL = `
  CREATE OR REPLACE TEMP TABLE wal_batch AS
  SELECT * FROM read_json($1, format = 'newline_delimited', columns = ${WAL_COLUMNS_SQL},
                          maximum_object_size = ${MAX_OBJECT_SIZE})`;

// A sender retrying inside the batch window puts one span twice in a batch.
// Checking first keeps the common case free of a sort over wide rows. The same
// read gives the batch's oldest start, which bounds the lake files a re-send can be in.
export const HAS_BATCH_DUPLICATES_SQL = `
  SELECT count(*) <> count(DISTINCT (project_id, trace_id, span_id)) AS dup, min(started_us) AS since FROM wal_batch`;
export const DEDUP_BATCH_SQL = `
  DELETE FROM wal_batch WHERE rowid NOT IN (
    SELECT min(rowid) FROM wal_batch GROUP BY project_id, trace_id, span_id)`;

// (project_id, trace_id, span_id) is the identity: a re-sent batch adds nothing.
export const DEDUP_SQL = `
  DELETE FROM wal_batch b WHERE EXISTS (
    SELECT 1 FROM spans s WHERE s.project_id = b.project_id AND s.trace_id = b.trace_id AND s.span_id = b.span_id)`;

export const INSERT_SPANS_SQL = `
  INSERT INTO spans (${SPAN_INSERT_SQL.map(([c]) => c).join(', ')})
  SELECT ${SPAN_INSERT_SQL.map(([, e]) => e).join(', ')} FROM wal_batch`;

const pickRoot = (col: string) =>
  `coalesce(any_value(${col}) FILTER (WHERE parent_span_id IS NULL AND ${col} IS NOT NULL), arg_min(${col}, started_us) FILTER (WHERE ${col} IS NOT NULL))`;

export const UPSERT_TRACES_SQL = `
  INSERT INTO traces
  SELECT project_id, trace_id, make_timestamp(min(started_us)), make_timestamp(max(ended_us)),
    any_value(span_id) FILTER (WHERE parent_span_id IS NULL),
    any_value(name) FILTER (WHERE parent_span_id IS NULL),
    arg_min(name, started_us),
    CASE WHEN bool_or(status = 'error') THEN 'error' WHEN bool_or(status = 'ok') THEN 'ok' ELSE 'unset' END,
    ${pickRoot('service_name')}, ${pickRoot('framework')}, ${pickRoot('session_id')}, ${pickRoot('user_id')}, ${pickRoot('agent_name')},
    count(*), count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE type = 'llm_call'),
    count(*) FILTER (WHERE type = 'tool_call'),
    least(coalesce(sum(input_tokens), 0), ${INT64_MAX})::BIGINT, least(coalesce(sum(output_tokens), 0), ${INT64_MAX})::BIGINT, sum(cost_usd),
    coalesce(list_distinct(list(coalesce(response_model, request_model)) FILTER (WHERE coalesce(response_model, request_model) IS NOT NULL)), []),
    now()
  FROM wal_batch GROUP BY project_id, trace_id
  ON CONFLICT (project_id, trace_id) DO UPDATE SET
    started_at = least(traces.started_at, excluded.started_at),
    ended_at = greatest(traces.ended_at, excluded.ended_at),
    root_span_id = coalesce(excluded.root_span_id, traces.root_span_id),
    root_name = coalesce(excluded.root_name, traces.root_name),
    first_name = CASE WHEN excluded.started_at < traces.started_at THEN excluded.first_name ELSE traces.first_name END,
    status = CASE WHEN traces.status = 'error' OR excluded.status = 'error' THEN 'error'
                  WHEN traces.status = 'ok' OR excluded.status = 'ok' THEN 'ok' ELSE 'unset' END,
    service_name = CASE WHEN excluded.root_span_id IS NOT NULL THEN coalesce(excluded.service_name, traces.service_name) ELSE coalesce(traces.service_name, excluded.service_name) END,
    framework = CASE WHEN excluded.root_span_id IS NOT NULL THEN coalesce(excluded.framework, traces.framework) ELSE coalesce(traces.framework, excluded.framework) END,
    session_id = coalesce(traces.session_id, excluded.session_id),
    user_id = coalesce(traces.user_id, excluded.user_id),
    agent_name = CASE WHEN excluded.root_span_id IS NOT NULL THEN coalesce(excluded.agent_name, traces.agent_name) ELSE coalesce(traces.agent_name, excluded.agent_name) END,
    span_count = traces.span_count + excluded.span_count,
    error_count = traces.error_count + excluded.error_count,
    llm_call_count = traces.llm_call_count + excluded.llm_call_count,
    tool_call_count = traces.tool_call_count + excluded.tool_call_count,
    input_tokens = least(traces.input_tokens::HUGEINT + excluded.input_tokens, ${INT64_MAX})::BIGINT,
    output_tokens = least(traces.output_tokens::HUGEINT + excluded.output_tokens, ${INT64_MAX})::BIGINT,
    cost_usd = CASE WHEN traces.cost_usd IS NULL THEN excluded.cost_usd WHEN excluded.cost_usd IS NULL THEN traces.cost_usd
                    ELSE traces.cost_usd + excluded.cost_usd END,
    models = list_distinct(list_concat(traces.models, excluded.models)),
    last_loaded_at = excluded.last_loaded_at`;

const lakeDedupSql = (files: readonly string[]) => `
  DELETE FROM wal_batch b WHERE EXISTS (
    SELECT 1 FROM read_parquet([${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}], hive_partitioning = true,
                               hive_types = {'project_id': VARCHAR, 'date': VARCHAR}) s
    WHERE s.project_id = b.project_id AND s.trace_id = b.trace_id AND s.span_id = b.span_id)`;

/** From a staged `wal_batch` to stored rows: de-duplication by identity, the spans insert and the trace upsert; returns the spans inserted. */
export async function insertStaged(conn: DuckDBConnection, lake?: { spanFilesSince(conn: DuckDBConnection, sinceUs: number): Promise<string[]> }): Promise<number> {
  const [dup, since] = (await conn.runAndReadAll(HAS_BATCH_DUPLICATES_SQL)).getRows()[0];
  if (dup === true) await conn.run(DEDUP_BATCH_SQL);
  await conn.run(DEDUP_SQL);
  if (lake) {
    // A re-send of sealed spans: only files that can hold a span as old as the batch's oldest
    // (files are recorded with their start-time range), so fresh batches touch the newest files only.
    // The oldest start is taken before the de-duplications, so it can only name more files, never fewer.
    const files = since === null ? [] : await lake.spanFilesSince(conn, Number(since));
    if (files.length > 0) await conn.run(lakeDedupSql(files));
  }
  const inserted = (await conn.run(INSERT_SPANS_SQL)).rowsChanged;
  if (inserted > 0) await conn.run(UPSERT_TRACES_SQL);
  return inserted;
}
