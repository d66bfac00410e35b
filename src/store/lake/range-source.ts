import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { SPAN_COLUMNS, sqlPath } from './layout.js';

/**
 * The project's spans that started in [fromUs, toUs) as a relation body:
 * the hot rows and only the lake span files whose recorded start range
 * (`lake_files`) overlaps it, chosen in the caller's snapshot. A short
 * range (the partial hours at the ends of a rolled-up window) then opens
 * the files of that time, not every span file `all_spans` names. $1 must
 * be the project id; the bounds are appended through `add`.
 */
export async function spanRangeSource(conn: DuckDBConnection, projectId: string, fromUs: number, toUs: number, add: (v: DuckDBValue) => string): Promise<string> {
  const files = (await conn.runAndReadAll(
    `SELECT file FROM lake_trace_lookup WHERE kind = 'spans' AND project_id = $1
       AND max_started_at >= make_timestamp($2::BIGINT) AND min_started_at < make_timestamp($3::BIGINT) ORDER BY file`,
    [projectId, fromUs, toUs],
  )).getRows().map((r) => String(r[0]));
  const cols = ['project_id', ...SPAN_COLUMNS].join(', ');
  const cond = `project_id = $1 AND started_at >= make_timestamp(${add(fromUs)}::BIGINT) AND started_at < make_timestamp(${add(toUs)}::BIGINT)`;
  const hot = `SELECT ${cols} FROM spans WHERE ${cond}`;
  if (files.length === 0) return hot;
  return `${hot} UNION ALL SELECT ${cols} FROM read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR}) WHERE ${cond}`;
}
