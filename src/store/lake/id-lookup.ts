import { listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { SPAN_COLUMNS, TRACE_COLUMNS, sqlPath } from './layout.js';
import { mayHoldSql, traceIdHashes } from './trace-filter.js';

/**
 * Lookups of many ids in one statement (a page of traces or sessions):
 * the bloom filters of every candidate lake file are tested against every
 * id in SQL, inside the caller's snapshot, and only the files that may
 * hold one of them are read, with the hot rows. The cost follows the ids
 * and the files that hold them, not the history.
 */
export interface IdLookup {
  /** Must be the caller's $1. */
  projectId: string;
  /** Span rows or partial trace summaries. */
  kind: 'spans' | 'traces';
  /** Rows whose `column` is one of `ids`, for any of these (session ids: trace summaries only). */
  keys: ReadonlyArray<{ column: 'trace_id' | 'session_id'; ids: readonly string[] }>;
  /** Only rows starting at or after this (µs). */
  sinceUs?: number;
  /** Only rows starting before this (µs). */
  beforeUs?: number;
}

const isoDate = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);

/**
 * Ids per lookup up to which the filters are tested. Each filter answers "maybe" for about 1 % of the
 * ids it does not hold, so past a few dozen ids nearly every file is a "maybe" and testing them only
 * costs time: larger lookups take every file within the time bounds.
 */
export const FILTERED_IDS_MAX = 32;

/** The lake files of the lookup's kind whose filters may hold one of its ids, within its time bounds (files without a filter always). */
export async function filesMayHold(conn: DuckDBConnection, q: IdLookup): Promise<string[]> {
  const keys = q.keys.filter((k) => k.ids.length > 0);
  if (keys.length === 0) return [];
  const params: DuckDBValue[] = [q.projectId, q.kind];
  const add = (v: DuckDBValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  const bounds: string[] = [];
  if (q.sinceUs !== undefined) bounds.push(`f.max_started_at >= make_timestamp(${add(q.sinceUs)}::BIGINT)`);
  if (q.beforeUs !== undefined) bounds.push(`f.min_started_at < make_timestamp(${add(q.beforeUs)}::BIGINT)`);
  if (keys.reduce((n, k) => n + k.ids.length, 0) > FILTERED_IDS_MAX) {
    const rows = (await conn.runAndReadAll(
      `SELECT f.file FROM lake_trace_lookup f WHERE f.project_id = $1 AND f.kind = $2${bounds.map((b) => ` AND ${b}`).join('')} ORDER BY f.file`, params,
    )).getRows();
    return rows.map((r) => String(r[0]));
  }
  // One SELECT per key: a session id is tested against the session-id filters, a trace id against the trace-id ones.
  const selects = keys.map((k) => {
    const hashes = k.ids.map((id) => traceIdHashes(id));
    const lookup = k.column === 'session_id' ? 'lake_session_lookup' : 'lake_trace_lookup';
    return `SELECT f.file FROM ${lookup} f,
        (SELECT unnest(${add(listValue(hashes.map((h) => BigInt(h[0]))))}::BIGINT[]) AS h1, unnest(${add(listValue(hashes.map((h) => BigInt(h[1]))))}::BIGINT[]) AS h2) i
      WHERE f.project_id = $1 AND f.kind = $2${bounds.map((b) => ` AND ${b}`).join('')} AND ${mayHoldSql('i.h1', 'i.h2')}`;
  });
  const rows = (await conn.runAndReadAll(`SELECT DISTINCT file FROM (${selects.join(' UNION ALL ')}) ORDER BY file`, params)).getRows();
  return rows.map((r) => String(r[0]));
}

/**
 * The rows of the lookup's ids as a relation body (hot rows and the files
 * `filesMayHold` chose): span rows with `project_id` and the span columns,
 * or partial trace summaries with their `date` (as `all_trace_parts`).
 */
export async function idSource(conn: DuckDBConnection, q: IdLookup, add: (v: DuckDBValue) => string): Promise<string> {
  const files = await filesMayHold(conn, q);
  const keys = q.keys.filter((k) => k.ids.length > 0);
  const match = keys.length === 0 ? 'false'
    : keys.map((k) => `${k.column} IN (SELECT unnest(${add(listValue([...k.ids]))}::VARCHAR[]))`).join(' OR ');
  const conds = [`project_id = $1`, `(${match})`];
  if (q.sinceUs !== undefined) conds.push(`started_at >= make_timestamp(${add(q.sinceUs)}::BIGINT)`);
  if (q.beforeUs !== undefined) conds.push(`started_at < make_timestamp(${add(q.beforeUs)}::BIGINT)`);
  const cols = q.kind === 'spans' ? ['project_id', ...SPAN_COLUMNS].join(', ') : TRACE_COLUMNS.join(', ');
  const hot = q.kind === 'spans'
    ? `SELECT ${cols} FROM spans WHERE ${conds.join(' AND ')}`
    : `SELECT ${cols}, strftime(started_at, '%Y-%m-%d') AS date FROM traces WHERE ${conds.join(' AND ')}`;
  if (files.length === 0) return hot;
  // The partition date too, so hive pruning skips the chosen files of other days unopened.
  const lakeConds = [...conds];
  if (q.sinceUs !== undefined) lakeConds.push(`date >= ${add(isoDate(q.sinceUs))}`);
  if (q.beforeUs !== undefined) lakeConds.push(`date <= ${add(isoDate(q.beforeUs))}`);
  const scan = `read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`;
  return `${hot} UNION ALL SELECT ${cols}${q.kind === 'traces' ? ', date' : ''} FROM ${scan} WHERE ${lakeConds.join(' AND ')}`;
}
