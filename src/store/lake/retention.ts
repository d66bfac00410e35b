import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { lakeDir, sqlPath, type PartitionStats } from './layout.js';
import { refreshRelations } from './relations.js';

export interface RetentionResult {
  dryRun: boolean;
  retentionDays: number;
  /** Rows that started before this instant go (ISO, UTC); whole date partitions before its date go. */
  horizon: string | null;
  partitions: PartitionStats[];
  files: number;
  hot: { spans: number; traces: number };
  durationMs: number;
}

export interface RetentionOutcome extends RetentionResult {
  /** Dropped files (absolute), no longer recorded; the caller deletes them once readers that began before the commit are done. */
  retired: string[];
}

/**
 * Drops what is older than `retentionDays` days: every lake date partition
 * whose whole day lies before the horizon (its `lake_files` records go and
 * the relations are redefined in one transaction; the caller then deletes
 * its files), and hot traces and spans that started before the horizon. With
 * `dryRun`, only reports what would go. `retentionDays` 0 keeps everything.
 */
export async function applyRetention(conn: DuckDBConnection, dataDir: string, retentionDays: number, dryRun: boolean, now = new Date()): Promise<RetentionOutcome> {
  const t0 = performance.now();
  if (!(retentionDays > 0)) {
    return { dryRun, retentionDays: 0, horizon: null, partitions: [], files: 0, hot: { spans: 0, traces: 0 }, durationMs: performance.now() - t0, retired: [] };
  }
  const root = lakeDir(dataDir);
  const horizonMs = now.getTime() - retentionDays * 86_400_000;
  const horizon = new Date(horizonMs).toISOString();
  const horizonDate = horizon.slice(0, 10);
  const horizonUs = `make_timestamp(${BigInt(horizonMs) * 1000n}::BIGINT)`;
  const parts = (await conn.runAndReadAll(
    `SELECT kind, project_id, date, count(*), sum(rows), sum(bytes) FROM lake_files WHERE date < $1 GROUP BY ALL ORDER BY date, kind, project_id`,
    [horizonDate],
  )).getRows().map((r) => ({ kind: String(r[0]), projectId: String(r[1]), date: String(r[2]), files: Number(r[3]), rows: Number(r[4]), bytes: Number(r[5]) }));
  const files = (await conn.runAndReadAll('SELECT path FROM lake_files WHERE date < $1 ORDER BY path', [horizonDate])).getRows().map((r) => String(r[0]));
  const oldTraces = `SELECT project_id, trace_id FROM traces WHERE started_at < ${horizonUs}`;
  const spanCond = `started_at < ${horizonUs} OR (project_id, trace_id) IN (${oldTraces})`;
  const hotRow = (await conn.runAndReadAll(
    `SELECT (SELECT count(*) FROM spans WHERE ${spanCond}), (SELECT count(*) FROM traces WHERE started_at < ${horizonUs})`,
  )).getRows()[0];
  const hot = { spans: Number(hotRow[0]), traces: Number(hotRow[1]) };
  const result = (retired: string[] = []): RetentionOutcome => ({
    dryRun, retentionDays, horizon, partitions: parts, files: files.length, hot, durationMs: performance.now() - t0, retired,
  });
  if (dryRun || (files.length === 0 && hot.spans === 0 && hot.traces === 0)) return result();

  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`DELETE FROM spans WHERE ${spanCond}`);
    await conn.run(`DELETE FROM traces WHERE started_at < ${horizonUs}`);
    if (files.length > 0) {
      await conn.run(`DELETE FROM lake_files WHERE path IN (${files.map(sqlPath).join(', ')})`);
      await refreshRelations(conn, root, () => true);
    }
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
  // Committed: no record names these files any more; the caller deletes them.
  return result(files.map((rel) => path.join(root, rel)));
}
