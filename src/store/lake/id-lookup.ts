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
  /** The id the rows are looked up by (session ids: trace summaries only). */
  column: 'trace_id' | 'session_id';
  ids: readonly string[];
  /** Only rows starting at or after this (µs). */
  sinceUs?: number;
  /** Only rows starting before this (µs). */
  beforeUs?: number;
}

const isoDate = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);

/** The lake files of the lookup's kind whose filter may hold one of its ids, within its time bounds (files without a filter always). */
export async function filesMayHold(conn: DuckDBConnection, q: IdLookup): Promise<string[]> {
  if (q.ids.length === 0) return [];
  const hashes = q.ids.map((id) => traceIdHashes(id));
  const params: DuckDBValue[] = [q.projectId, q.kind, listValue([...q.ids]), listValue(hashes.map((h) => BigInt(h[0]))), listValue(hashes.map((h) => BigInt(h[1])))];
  const bounds: string[] = [];
  if (q.sinceUs !== undefined) {
    params.push(q.sinceUs);
    bounds.push(`f.max_started_at >= make_timestamp($${params.length}::BIGINT)`);
  }
  if (q.beforeUs !== undefined) {
    params.push(q.beforeUs);
    bounds.push(`f.min_started_at < make_timestamp($${params.length}::BIGINT)`);
  }
  const lookup = q.column === 'session_id' ? 'lake_session_lookup' : 'lake_trace_lookup';
  const rows = (await conn.runAndReadAll(`
    WITH i AS (SELECT unnest($3::VARCHAR[]) AS id, unnest($4::BIGINT[]) AS h1, unnest($5::BIGINT[]) AS h2),
    f AS (SELECT * FROM ${lookup} f WHERE f.project_id = $1 AND f.kind = $2${bounds.map((b) => ` AND ${b}`).join('')})
    SELECT DISTINCT f.file FROM f, i WHERE ${mayHoldSql('i.h1', 'i.h2')} ORDER BY f.file`, params)).getRows();
  return rows.map((r) => String(r[0]));
}

/**
 * The rows of the lookup's ids as a relation body (hot rows and the files
 * `filesMayHold` chose): span rows with `project_id` and the span columns,
 * or partial trace summaries with their `date` (as `all_trace_parts`).
 */
export async function idSource(conn: DuckDBConnection, q: IdLookup, add: (v: DuckDBValue) => string): Promise<string> {
  const files = await filesMayHold(conn, q);
  const ids = add(listValue([...q.ids]));
  const conds = [`project_id = $1`, `${q.column} IN (SELECT unnest(${ids}::VARCHAR[]))`];
  const since = q.sinceUs === undefined ? null : add(q.sinceUs);
  const before = q.beforeUs === undefined ? null : add(q.beforeUs);
  if (since !== null) conds.push(`started_at >= make_timestamp(${since}::BIGINT)`);
  if (before !== null) conds.push(`started_at < make_timestamp(${before}::BIGINT)`);
  const cols = q.kind === 'spans' ? ['project_id', ...SPAN_COLUMNS].join(', ') : TRACE_COLUMNS.join(', ');
  const hot = q.kind === 'spans'
    ? `SELECT ${cols} FROM spans WHERE ${conds.join(' AND ')}`
    : `SELECT ${cols}, strftime(started_at, '%Y-%m-%d') AS date FROM traces WHERE ${conds.join(' AND ')}`;
  if (files.length === 0) return hot;
  // The partition date first, so hive pruning skips the files of other days unopened.
  const lakeConds = [...conds];
  if (q.sinceUs !== undefined) lakeConds.push(`date >= ${add(isoDate(q.sinceUs))}`);
  if (q.beforeUs !== undefined) lakeConds.push(`date <= ${add(isoDate(q.beforeUs))}`);
  const scan = `read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`;
  return `${hot} UNION ALL SELECT ${cols}${q.kind === 'traces' ? ', date' : ''} FROM ${scan} WHERE ${lakeConds.join(' AND ')}`;
}
