import { mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SPAN_COLUMNS, TRACE_COLUMNS, isReplicaFile, sqlPath, type LakeKind, type LakePaths } from './layout.js';
import { MERGED_TRACES, refreshRelations } from './relations.js';
import { writeLakeFiles } from './files.js';

export interface CompactResult {
  /** Partitions rewritten (a partition is one kind, project and date). */
  partitions: number;
  filesBefore: number;
  filesAfter: number;
  /** Rows removed as duplicates (spans) or merged away (partial trace summaries). */
  rowsRemoved: number;
  durationMs: number;
}

export interface CompactOutcome extends CompactResult {
  /** Replaced files (absolute), no longer recorded; the caller deletes them once readers that began before the commit are done. */
  retired: string[];
}


const scan = (files: readonly string[]) =>
  `read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`;

/** Removes `dir` and its empty parents up to (not including) `stop`; stops at the first non-empty one. */
export async function removeEmptyDirs(dir: string, stop: string): Promise<void> {
  let d = dir;
  while (d.startsWith(stop + path.sep) && d !== stop) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
    d = path.dirname(d);
  }
}

/** A seq no seal or compaction used; reserved in lake_seals (which seals allocate from) in the caller's transaction. */
async function reserveSeq(conn: DuckDBConnection): Promise<number> {
  return Number((await conn.runAndReadAll(
    'SELECT greatest((SELECT coalesce(max(seq), 0) FROM lake_seals), (SELECT coalesce(max(seq), 0) FROM lake_compactions)) + 1',
  )).getRows()[0][0]);
}

/**
 * Rewrites each partition holding at least `minFiles` of this replica's
 * files as one file, in one DuckDB transaction: span rows are deduplicated
 * by identity (a duplicate that reached the lake is dropped) and sorted by
 * trace id and start, partial trace summaries are merged into one row per
 * trace by the readers' merge rules. The new files are written under
 * this replica's `lake/.tmp/replica-<id>/`, fsynced and renamed into their partitions, recorded in
 * `lake_files` in place of the files they replace and the relations
 * redefined; then COMMIT. The replaced files are returned, for the caller
 * to delete after the commit (once reads that began before it are done). A
 * crash before the commit leaves new files no record names; one after it
 * leaves old files no record names; start-up deletes both (they are this
 * replica's). Readers see the old file set or the new one, never both.
 */
export async function compactLake(conn: DuckDBConnection, lake: LakePaths, replica: string, minFiles: number): Promise<CompactOutcome> {
  const t0 = performance.now();
  const { root } = lake;
  const rows = (await conn.runAndReadAll(
    'SELECT path, kind, project_id, date, rows FROM lake_files ORDER BY kind, project_id, date, path',
  )).getRows();
  const groups = new Map<string, { kind: LakeKind; files: string[]; rows: number }>();
  for (const [rel, kind, project, date, n] of rows) {
    if (!isReplicaFile(path.posix.basename(String(rel)), replica)) continue;
    const key = JSON.stringify([kind, project, date]);
    const g = groups.get(key) ?? { kind: String(kind) as LakeKind, files: [], rows: 0 };
    g.files.push(String(rel));
    g.rows += Number(n);
    groups.set(key, g);
  }
  const chosen = [...groups.values()].filter((g) => g.files.length >= Math.max(2, minFiles));
  if (chosen.length === 0) return { partitions: 0, filesBefore: 0, filesAfter: 0, rowsRemoved: 0, durationMs: performance.now() - t0, retired: [] };

  const replaced = chosen.flatMap((g) => g.files);
  const rowsBefore = chosen.reduce((n, g) => n + g.rows, 0);
  const moved: string[] = [];
  let seq = 0;
  let tmp = '';
  let filesAfter = 0;
  let rowsAfter = 0;
  await conn.run('BEGIN TRANSACTION');
  try {
    seq = await reserveSeq(conn);
    tmp = path.join(lake.tmp, `compact-${seq}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    for (const kind of ['spans', 'traces'] as const) {
      const files = chosen.filter((g) => g.kind === kind).flatMap((g) => g.files.map((f) => path.join(root, f)));
      if (files.length === 0) continue;
      const source = kind === 'spans'
        ? `SELECT ${SPAN_COLUMNS.join(', ')}, project_id, date FROM ${scan(files)}
           QUALIFY row_number() OVER (PARTITION BY project_id, date, trace_id, span_id ORDER BY started_at, ended_at) = 1
           ORDER BY project_id, date, trace_id, started_at, span_id`
        : `WITH parts AS (SELECT ${TRACE_COLUMNS.join(', ')}, date FROM ${scan(files)}),
           merged AS (${MERGED_TRACES.replace('FROM parts GROUP BY project_id, trace_id', ', date FROM parts GROUP BY project_id, date, trace_id')})
           SELECT ${TRACE_COLUMNS.filter((c) => c !== 'project_id').join(', ')}, project_id, date FROM merged ORDER BY project_id, date, trace_id`;
      const w = await writeLakeFiles(conn, source, kind, { root, tmp, replica, seq }, moved);
      rowsAfter += w.rows;
      filesAfter += w.files;
    }
    await conn.run(`DELETE FROM lake_files WHERE path IN (${replaced.map(sqlPath).join(', ')})`);
    const durationMs = performance.now() - t0;
    // The seq is reserved in lake_seals too (seals take max(seq) + 1 from there); lake_compactions marks it as a compaction.
    await conn.run('INSERT INTO lake_seals VALUES ($1, 0, 0, $2, $3, now())', [seq, filesAfter, durationMs]);
    await conn.run('INSERT INTO lake_compactions VALUES ($1, $2, $3, $4, $5, $6, $7, now())',
      [seq, chosen.length, replaced.length, filesAfter, rowsBefore, rowsAfter, durationMs]);
    await refreshRelations(conn, root, () => true);
    await conn.run('COMMIT');
  } catch (err) {
    // Not committed: the new files are named by no record; remove them (start-up would too).
    await conn.run('ROLLBACK').catch(() => {});
    for (const f of moved) await rm(f, { force: true }).catch(() => {});
    throw err;
  }
  // Committed: nothing below may remove the new files.
  await rm(tmp, { recursive: true, force: true }).catch(() => {});
  return {
    partitions: chosen.length, filesBefore: replaced.length, filesAfter, rowsRemoved: rowsBefore - rowsAfter, durationMs: performance.now() - t0,
    retired: replaced.map((rel) => path.join(root, rel)),
  };
}
