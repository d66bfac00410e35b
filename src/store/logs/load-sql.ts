import { existsSync } from 'node:fs';
import path from 'node:path';
import { LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { carefulStager } from '../careful-stage.js';
import type { LoadTarget } from '../loader.js';
import { sqlPath } from '../lake/layout.js';
import { LOG_INSERT_SQL, REQUIRED_LOG_COLUMNS, WAL_LOG_COLUMNS, WAL_LOG_COLUMNS_SQL } from './columns.js';

/** As for spans: read_json sizes its buffers by this; a longer line loads through the careful stage. */
const MAX_OBJECT_SIZE = 16 * 1024 * 1024;

const STAGE_LOGS_SQL = `
  CREATE OR REPLACE TEMP TABLE log_batch AS
  SELECT * FROM read_json($1, format = 'newline_delimited', columns = ${WAL_LOG_COLUMNS_SQL},
                          maximum_object_size = ${MAX_OBJECT_SIZE})`;

// A sender re-sending a batch within the loader's window puts one record twice in a batch.
const HAS_BATCH_DUPLICATES_SQL = `SELECT count(*) <> count(DISTINCT (project_id, record_id)) FROM log_batch`;
const DEDUP_BATCH_SQL = `
  DELETE FROM log_batch WHERE rowid NOT IN (SELECT min(rowid) FROM log_batch GROUP BY project_id, record_id)`;
// (project_id, record_id) is the identity: a re-sent batch adds nothing.
const DEDUP_HOT_SQL = `
  DELETE FROM log_batch b WHERE EXISTS (
    SELECT 1 FROM logs l WHERE l.project_id = b.project_id AND l.record_id = b.record_id)`;
const INSERT_LOGS_SQL = `
  INSERT INTO logs (${LOG_INSERT_SQL.map(([c]) => c).join(', ')}, loaded_at)
  SELECT ${LOG_INSERT_SQL.map(([, e]) => e).join(', ')}, now() FROM log_batch`;

const dedupLakeSql = (files: readonly string[]) => `
  DELETE FROM log_batch b WHERE EXISTS (
    SELECT 1 FROM read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true,
                               hive_types = {'project_id': VARCHAR, 'date': VARCHAR}) l
    WHERE l.project_id = b.project_id AND l.record_id = b.record_id)`;

/** The lake's log files that may hold a record logged at or after `sinceUs` (lake_files records each file's time range). */
async function logFilesSince(conn: DuckDBConnection, lakeRoot: string, sinceUs: number): Promise<string[]> {
  const rows = (await conn.runAndReadAll(
    `SELECT path FROM lake_files WHERE kind = 'logs' AND max_started_at >= make_timestamp(${Math.floor(sinceUs)}::BIGINT) ORDER BY path`,
  )).getRows();
  // A file the catalog names but the disk lost is left out of every query (Lake.refresh logs it).
  return rows.map((r) => path.join(lakeRoot, String(r[0]))).filter((p) => existsSync(p));
}

/**
 * The log loader's target: stages log WAL segments into `log_batch`, drops
 * records already stored (in the batch, hot, or in lake log files whose
 * time range reaches back to the batch's oldest record, as for spans) and
 * inserts the rest into `logs`.
 */
export function logTarget(lakeRoot: string): LoadTarget {
  return {
    segmentsTable: 'log_wal_segments',
    batchTable: 'log_batch',
    stage: async (conn, paths) => { await conn.run(STAGE_LOGS_SQL, [listValue(paths.map(String))], [LIST(VARCHAR)]); },
    stageCarefully: carefulStager(WAL_LOG_COLUMNS, REQUIRED_LOG_COLUMNS, 'log_batch'),
    async insert(conn) {
      if ((await conn.runAndReadAll(HAS_BATCH_DUPLICATES_SQL)).getRows()[0][0] === true) await conn.run(DEDUP_BATCH_SQL);
      await conn.run(DEDUP_HOT_SQL);
      const since = (await conn.runAndReadAll('SELECT min(logged_us) FROM log_batch')).getRows()[0][0];
      const files = since === null ? [] : await logFilesSince(conn, lakeRoot, Number(since));
      if (files.length > 0) await conn.run(dedupLakeSql(files));
      return (await conn.run(INSERT_LOGS_SQL)).rowsChanged;
    },
  };
}
