import type { DuckDBConnection } from '@duckdb/node-api';
import { LOG_COLUMNS } from '../logs/columns.js';
import { sqlPath } from './layout.js';
import { mayHoldSql, traceIdHashes } from './trace-filter.js';

const lakeScan = (files: readonly string[]) =>
  `read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`;
const cols = LOG_COLUMNS.join(', ');

/**
 * `all_logs`: hot log records and the lake's log files together, like
 * `all_spans`; recreated in the transaction that changes the file set.
 */
export async function defineLogRelation(conn: DuckDBConnection, logFiles: readonly string[]): Promise<void> {
  const logs = logFiles.length === 0
    ? `SELECT ${cols} FROM logs`
    : `SELECT ${cols} FROM logs UNION ALL SELECT ${cols} FROM ${lakeScan(logFiles)}`;
  await conn.run(`CREATE OR REPLACE VIEW all_logs AS ${logs}`);
}

/**
 * The log records of one trace, for the trace detail: hot rows plus only
 * the lake log files whose trace-id filter may hold it, chosen in the
 * caller's snapshot (as `traceSources` does for spans). Parameters: $1
 * project id, $2 trace id.
 */
export async function traceLogSource(conn: DuckDBConnection, projectId: string, traceId: string): Promise<string> {
  const [h1, h2] = traceIdHashes(traceId);
  const files = (await conn.runAndReadAll(
    `SELECT f.file FROM lake_trace_lookup f WHERE f.kind = 'logs' AND f.project_id = $1 AND ${mayHoldSql('$2', '$3')} ORDER BY f.file`,
    [projectId, h1, h2],
  )).getRows().map((r) => String(r[0]));
  const one = 'project_id = $1 AND trace_id = $2';
  return `SELECT ${cols} FROM logs WHERE ${one}` + (files.length === 0 ? '' : ` UNION ALL SELECT ${cols} FROM ${lakeScan(files)} WHERE ${one}`);
}
