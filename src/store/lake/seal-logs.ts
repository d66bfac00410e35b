import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_LOG_COLUMNS } from './layout.js';
import { HOT_LOW_WATER, type SealSelection } from './seal.js';

/**
 * Which hot log records a seal moves, in the temp table `seal_logs` (their
 * rowids; null selection: all). Records are sealed on their own clock, not
 * with their trace: a record may arrive before its span, after its trace was
 * sealed, or with no trace at all, and the reads find it wherever it lives
 * (src/analysis/logs.ts). The bounds are the spans' ones: records loaded
 * `idleSeconds` ago, records logged before the age bound, and, past
 * `maxRows` hot records, the least recently loaded down to the low water.
 * Returns how many were chosen.
 */
export async function chooseLogSealSet(conn: DuckDBConnection, select: SealSelection | null): Promise<number> {
  if (select === null) {
    await conn.run('CREATE OR REPLACE TEMP TABLE seal_logs AS SELECT rowid AS rid FROM logs');
  } else {
    const hot = Number((await conn.runAndReadAll('SELECT count(*) FROM logs')).getRows()[0][0]);
    const excess = select.maxRows !== null && hot > select.maxRows ? hot - Math.floor(select.maxRows * HOT_LOW_WATER) : 0;
    // NULL (no age bound) makes the comparison NULL, which selects nothing.
    const ageBoundUs = select.maxAgeSeconds === null ? null : BigInt(Date.now() - select.maxAgeSeconds * 1000) * 1000n;
    const order = excess > 0 ? 'row_number() OVER (ORDER BY loaded_at, logged_at, rowid)' : 'NULL::BIGINT';
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE seal_logs AS
       SELECT rid FROM (SELECT rowid AS rid, loaded_at, logged_at, ${order} AS n FROM logs)
       WHERE loaded_at < now() - to_seconds($1::BIGINT) OR logged_at < make_timestamp($2::BIGINT) OR n <= $3::BIGINT`,
      [select.idleSeconds, ageBoundUs, excess],
    );
  }
  return Number((await conn.runAndReadAll('SELECT count(*) FROM seal_logs')).getRows()[0][0]);
}

/** The chosen records as lake rows, sorted by trace so row-group statistics narrow a trace lookup. */
export const logSealSource =
  `SELECT ${LAKE_LOG_COLUMNS.join(', ')}, project_id, strftime(logged_at, '%Y-%m-%d') AS date FROM logs
   WHERE rowid IN (SELECT rid FROM seal_logs) ORDER BY trace_id, logged_at, position, record_id`;

export const LOG_SEAL_DELETE = 'DELETE FROM logs WHERE rowid IN (SELECT rid FROM seal_logs)';
