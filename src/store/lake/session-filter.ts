import { DuckDBBlobValue, type DuckDBConnection } from '@duckdb/node-api';
import { sqlPath } from './layout.js';
import { buildTraceFilter } from './trace-filter.js';

/**
 * A bloom filter over the session ids of each lake trace-summary file
 * (`lake_session_filters`, the same filter as the trace-id one:
 * trace-filter.ts), so looking a session up by id, or asking whether a
 * session has a part older than a window, opens only the files that may
 * hold it instead of reading the session column of every summary. Kept in
 * line with `lake_files` by `syncSessionFilters`, which refreshRelations
 * runs in the transaction that changes the file set.
 */
export async function syncSessionFilters(conn: DuckDBConnection, lakeRoot: string, present: (abs: string) => boolean): Promise<number> {
  await conn.run(`DELETE FROM lake_session_filters WHERE path NOT IN (SELECT path FROM lake_files WHERE kind = 'traces')`);
  const todo = (await conn.runAndReadAll(
    `SELECT path FROM lake_files WHERE kind = 'traces' AND path NOT IN (SELECT path FROM lake_session_filters) ORDER BY path`,
  )).getRows().map((r) => String(r[0]));
  let added = 0;
  for (const rel of todo) {
    const abs = `${lakeRoot}/${rel}`;
    if (!present(abs)) continue;
    const r = (await conn.runAndReadAll(
      `SELECT list(DISTINCT session_id) FILTER (WHERE session_id IS NOT NULL) FROM read_parquet(${sqlPath(abs)})`,
    )).getRows()[0][0];
    const ids = r === null ? [] : (r as { items: unknown[] }).items.map(String);
    const filter = buildTraceFilter(ids);
    await conn.run('INSERT INTO lake_session_filters VALUES ($1, $2, $3, $4::BLOB::BIT)', [rel, filter.bits, filter.hashes, new DuckDBBlobValue(filter.bytes)]);
    added++;
  }
  return added;
}
