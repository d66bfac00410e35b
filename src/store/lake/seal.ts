import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_KINDS, SPAN_COLUMNS, TRACE_COLUMNS, type LakeKind, type LakePaths } from './layout.js';
import { chooseLogSealSet, LOG_SEAL_DELETE, logSealSource } from './seal-logs.js';
import { writeLakeFiles } from './files.js';
import { refreshRelations } from './relations.js';

export interface SealResult {
  seq: number;
  traces: number;
  spans: number;
  /** Log records sealed (their own selection: seal-logs.ts). */
  logs: number;
  files: number;
  bytes: number;
  durationMs: number;
}

/** WAL segment records kept after a seal (older ones only guard files long deleted). */
const WAL_RECORDS_KEPT = 1000;

/** Which hot traces a seal moves (null: all of them). */
export interface SealSelection {
  /** Traces that received no span for this long (seconds). */
  idleSeconds: number;
  /** Traces whose hot rows started longer ago than this (seconds), active or not; null: no age bound. */
  maxAgeSeconds: number | null;
  /** Hot spans kept at most: past it, the least recently loaded traces go until the hot spans are down to `HOT_LOW_WATER` of it; null: no bound. */
  maxRows: number | null;
}

/**
 * A seal forced by the row bound takes hot spans down to this share of it,
 * so a steady stream past the bound makes one sizeable seal per quarter of
 * the bound rather than a seal of a few traces at every check.
 */
export const HOT_LOW_WATER = 0.75;

/**
 * Fills the temp table `seal_set` with the traces `select` picks: idle ones,
 * ones started before the age bound (times are UTC wall-clock TIMESTAMPs, so
 * the bound is computed here, not with now()), and, when the hot spans
 * exceed the row bound, the least recently loaded traces (oldest start
 * first among equals) whose spans take the count back to the low water.
 */
async function chooseSealSet(conn: DuckDBConnection, select: SealSelection | null): Promise<void> {
  if (select === null) {
    await conn.run('CREATE OR REPLACE TEMP TABLE seal_set AS SELECT project_id, trace_id FROM traces');
    return;
  }
  const hotSpans = Number((await conn.runAndReadAll('SELECT count(*) FROM spans')).getRows()[0][0]);
  const excess = select.maxRows !== null && hotSpans > select.maxRows ? hotSpans - Math.floor(select.maxRows * HOT_LOW_WATER) : 0;
  // NULL (no age bound) makes the comparison NULL, which selects nothing.
  const ageBoundUs = select.maxAgeSeconds === null ? null : BigInt(Date.now() - select.maxAgeSeconds * 1000) * 1000n;
  // The running sum (a sort of the hot traces) only when the bound is exceeded.
  const spansBefore = excess > 0
    ? `coalesce(sum(span_count) OVER (ORDER BY last_loaded_at, started_at, project_id, trace_id
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)`
    : 'NULL::BIGINT';
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE seal_set AS
     SELECT project_id, trace_id FROM (SELECT project_id, trace_id, last_loaded_at, started_at, ${spansBefore} AS spans_before FROM traces)
     WHERE last_loaded_at < now() - to_seconds($1::BIGINT)
        OR started_at < make_timestamp($2::BIGINT)
        OR spans_before < $3::BIGINT`,
    [select.idleSeconds, ageBoundUs, excess],
  );
}

/**
 * Moves hot traces into the lake, in one DuckDB transaction: the traces
 * `select` picks (all of them when null) have their spans and their
 * summary rows written as zstd Parquet (sorted by trace id, so row-group
 * statistics narrow a trace lookup to a few row groups), each file fsynced
 * and renamed from this replica's `lake/.tmp/replica-<id>/` into its partition, recorded in
 * `lake_files`, the hot rows deleted and the relations redefined; then
 * COMMIT. A crash before the commit leaves files no record names, which
 * start-up deletes (their rows are still hot); after it, the record and the
 * files agree. So a seal neither loses nor duplicates a row.
 */
export async function sealHot(conn: DuckDBConnection, lake: LakePaths, replica: string, select: SealSelection | null): Promise<SealResult | null> {
  const t0 = performance.now();
  const { root } = lake;
  await conn.run('BEGIN TRANSACTION');
  const moved: string[] = [];
  let tmp = '';
  let result: SealResult;
  try {
    await chooseSealSet(conn, select);
    const traces = Number((await conn.runAndReadAll('SELECT count(*) FROM seal_set')).getRows()[0][0]);
    const logs = await chooseLogSealSet(conn, select);
    if (traces === 0 && logs === 0) {
      await conn.run('ROLLBACK');
      return null;
    }
    const seq = Number((await conn.runAndReadAll('SELECT coalesce(max(seq), 0) + 1 FROM lake_seals')).getRows()[0][0]);
    tmp = path.join(lake.tmp, `seal-${seq}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const inSet = `(project_id, trace_id) IN (SELECT project_id, trace_id FROM seal_set)`;
    const sources: Record<LakeKind, string> = {
      spans: `SELECT ${SPAN_COLUMNS.join(', ')}, project_id, strftime(started_at, '%Y-%m-%d') AS date FROM spans WHERE ${inSet} ORDER BY trace_id, started_at, span_id`,
      traces: `SELECT ${TRACE_COLUMNS.filter((c) => c !== 'project_id').join(', ')}, project_id, strftime(started_at, '%Y-%m-%d') AS date FROM traces WHERE ${inSet} ORDER BY trace_id`,
      logs: logSealSource,
    };
    let spans = 0;
    let bytes = 0;
    let files = 0;
    for (const kind of LAKE_KINDS) {
      if (kind === 'logs' ? logs === 0 : traces === 0) continue;
      const w = await writeLakeFiles(conn, sources[kind], kind, { root, tmp, replica, seq }, moved);
      if (kind === 'spans') spans = w.rows;
      bytes += w.bytes;
      files += w.files;
    }
    await conn.run(`DELETE FROM spans WHERE ${inSet}`);
    await conn.run(`DELETE FROM traces WHERE ${inSet}`);
    await conn.run(LOG_SEAL_DELETE);
    await conn.run(`DELETE FROM wal_segments WHERE seq < (SELECT max(seq) FROM wal_segments) - ${WAL_RECORDS_KEPT}`);
    await conn.run(`DELETE FROM log_wal_segments WHERE seq < (SELECT max(seq) FROM log_wal_segments) - ${WAL_RECORDS_KEPT}`);
    const durationMs = performance.now() - t0;
    await conn.run('INSERT INTO lake_seals VALUES ($1, $2, $3, $4, $5, now())', [seq, traces, spans, files, durationMs]);
    await refreshRelations(conn, root, () => true);
    await conn.run('COMMIT');
    result = { seq, traces, spans, logs, files, bytes, durationMs };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    // Files no committed record names are invisible; remove them now (start-up would too).
    for (const f of moved) await rm(f, { force: true }).catch(() => {});
    // Partly written files would keep a full disk full until the next seal.
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
  // After the commit the files are the store's: nothing below may remove them.
  await conn.run('DROP TABLE IF EXISTS seal_set').catch(() => {});
  await conn.run('DROP TABLE IF EXISTS seal_logs').catch(() => {});
  await rm(tmp, { recursive: true, force: true }).catch(() => {});
  // Deleted hot rows stay in DuckDB's row groups until a checkpoint vacuums them; without it every
  // later load and seal scans the garbage of all earlier seals (bench/lake.ts: load CPU per row
  // doubled by 1M spans). A checkpoint refused while readers hold transactions is retried at the next seal.
  await conn.run('CHECKPOINT').catch(() => {});
  return result;
}
