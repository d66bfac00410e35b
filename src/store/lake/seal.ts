import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SPAN_COLUMNS, TRACE_COLUMNS, lakeDir, lakeTmpDir, type LakeKind } from './layout.js';
import { writeLakeFiles } from './files.js';
import { refreshRelations } from './relations.js';

export interface SealResult {
  seq: number;
  traces: number;
  spans: number;
  files: number;
  bytes: number;
  durationMs: number;
}

/** WAL segment records kept after a seal (older ones only guard files long deleted). */
const WAL_RECORDS_KEPT = 1000;

/**
 * Moves hot traces into the lake, in one DuckDB transaction: the traces
 * idle for `idleSeconds` (all of them when null) have their spans and their
 * summary rows written as zstd Parquet (sorted by trace id, so row-group
 * statistics narrow a trace lookup to a few row groups), each file fsynced
 * and renamed from `lake/.tmp/` into its partition, recorded in
 * `lake_files`, the hot rows deleted and the relations redefined; then
 * COMMIT. A crash before the commit leaves files no record names, which
 * start-up deletes (their rows are still hot); after it, the record and the
 * files agree. So a seal neither loses nor duplicates a row.
 */
export async function sealHot(conn: DuckDBConnection, dataDir: string, replica: string, idleSeconds: number | null): Promise<SealResult | null> {
  const t0 = performance.now();
  const root = lakeDir(dataDir);
  await conn.run('BEGIN TRANSACTION');
  const moved: string[] = [];
  let tmp = '';
  let result: SealResult;
  try {
    const cond = idleSeconds === null ? 'true' : `last_loaded_at < now() - to_seconds(${Number(idleSeconds)})`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE seal_set AS SELECT project_id, trace_id FROM traces WHERE ${cond}`);
    const traces = Number((await conn.runAndReadAll('SELECT count(*) FROM seal_set')).getRows()[0][0]);
    if (traces === 0) {
      await conn.run('ROLLBACK');
      return null;
    }
    const seq = Number((await conn.runAndReadAll('SELECT coalesce(max(seq), 0) + 1 FROM lake_seals')).getRows()[0][0]);
    tmp = path.join(lakeTmpDir(dataDir), `seal-${seq}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const inSet = `(project_id, trace_id) IN (SELECT project_id, trace_id FROM seal_set)`;
    const sources: Record<LakeKind, string> = {
      spans: `SELECT ${SPAN_COLUMNS.join(', ')}, project_id, strftime(started_at, '%Y-%m-%d') AS date FROM spans WHERE ${inSet} ORDER BY trace_id, started_at, span_id`,
      traces: `SELECT ${TRACE_COLUMNS.filter((c) => c !== 'project_id').join(', ')}, project_id, strftime(started_at, '%Y-%m-%d') AS date FROM traces WHERE ${inSet} ORDER BY trace_id`,
    };
    let spans = 0;
    let bytes = 0;
    let files = 0;
    for (const kind of ['spans', 'traces'] as const) {
      const w = await writeLakeFiles(conn, sources[kind], kind, { root, tmp, replica, seq }, moved);
      if (kind === 'spans') spans = w.rows;
      bytes += w.bytes;
      files += w.files;
    }
    await conn.run(`DELETE FROM spans WHERE ${inSet}`);
    await conn.run(`DELETE FROM traces WHERE ${inSet}`);
    await conn.run(`DELETE FROM wal_segments WHERE seq < (SELECT max(seq) FROM wal_segments) - ${WAL_RECORDS_KEPT}`);
    const durationMs = performance.now() - t0;
    await conn.run('INSERT INTO lake_seals VALUES ($1, $2, $3, $4, $5, now())', [seq, traces, spans, files, durationMs]);
    await refreshRelations(conn, root, () => true);
    await conn.run('COMMIT');
    result = { seq, traces, spans, files, bytes, durationMs };
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    // Files no committed record names are invisible; remove them now (start-up would too).
    for (const f of moved) await rm(f, { force: true }).catch(() => {});
    throw err;
  }
  // After the commit the files are the store's: nothing below may remove them.
  await conn.run('DROP TABLE IF EXISTS seal_set').catch(() => {});
  await rm(tmp, { recursive: true, force: true }).catch(() => {});
  // Deleted hot rows stay in DuckDB's row groups until a checkpoint vacuums them; without it every
  // later load and seal scans the garbage of all earlier seals (bench/lake.ts: load CPU per row
  // doubled by 1M spans). A checkpoint refused while readers hold transactions is retried at the next seal.
  await conn.run('CHECKPOINT').catch(() => {});
  return result;
}
