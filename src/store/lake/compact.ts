import { mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_LOG_COLUMNS, SPAN_COLUMNS, TRACE_COLUMNS, isReplicaFile, sqlPath, type LakeKind, type LakePaths } from './layout.js';
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


const scan = (files: readonly string[], positions = false) =>
  `read_parquet([${files.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR}${positions ? ', filename = true, file_row_number = true' : ''})`;

/**
 * Rows per compaction COPY. Sorting a whole partition of wide span rows at
 * once ran out of DuckDB's default 512MB at 0.8M rows (bench/lake-read.ts);
 * a seal sorts up to `storage.hotMaxRows` (200k) rows, so compaction does
 * the same: a partition is rewritten as files of about this many rows, each
 * covering its own range of trace ids, so a lookup needs at most one of them.
 */
export const COMPACT_CHUNK_ROWS = 200_000;

/** Trace-id ranges [lo, hi) (null = open) splitting `rows` rows of `files` into chunks of about `chunkRows`. */
async function traceRanges(conn: DuckDBConnection, files: readonly string[], rows: number, chunkRows: number): Promise<Array<[string | null, string | null]>> {
  const k = Math.ceil(rows / chunkRows);
  if (k <= 1) return [[null, null]];
  const qs = Array.from({ length: k - 1 }, (_, i) => ((i + 1) / k).toFixed(6)).join(', ');
  // Reads the trace_id column only.
  const cuts = (await conn.runAndReadAll(`SELECT quantile_disc(trace_id, [${qs}]) FROM ${scan(files)}`)).getRows()[0][0] as { items: unknown[] };
  const bounds = [...new Set(cuts.items.map(String))];
  return [null, ...bounds].map((lo, i) => [lo, bounds[i] ?? null]);
}

/** The rows of one trace-id range: spans deduplicated by identity and sorted, or trace summaries merged. */
function chunkSource(kind: 'spans' | 'traces', files: readonly string[], [lo, hi]: [string | null, string | null]): string {
  const range = [lo === null ? null : `trace_id >= ${sqlPath(lo)}`, hi === null ? null : `trace_id < ${sqlPath(hi)}`]
    .filter((x) => x !== null).join(' AND ') || 'true';
  if (kind === 'traces') {
    return `WITH parts AS (SELECT ${TRACE_COLUMNS.join(', ')}, date FROM ${scan(files)} WHERE ${range}),
      merged AS (${MERGED_TRACES.replace('FROM parts GROUP BY project_id, trace_id', ', date FROM parts GROUP BY project_id, date, trace_id')})
      SELECT ${TRACE_COLUMNS.filter((c) => c !== 'project_id').join(', ')}, project_id, date FROM merged ORDER BY project_id, date, trace_id`;
  }
  // Duplicates are found on the identity columns alone (a window over whole rows holds their
  // payloads in memory), then left out of the one full read by their file position.
  const at = `${scan(files, true)} WHERE ${range}`;
  return `WITH extra AS (
      SELECT filename, file_row_number FROM (
        SELECT filename, file_row_number,
          row_number() OVER (PARTITION BY trace_id, span_id ORDER BY started_at, ended_at, filename, file_row_number) AS n
        FROM (SELECT trace_id, span_id, started_at, ended_at, filename, file_row_number FROM ${at})) WHERE n > 1)
    SELECT ${SPAN_COLUMNS.map((c) => `s.${c}`).join(', ')}, s.project_id, s.date FROM (SELECT * FROM ${at}) s
    WHERE NOT EXISTS (SELECT 1 FROM extra e WHERE e.filename = s.filename AND e.file_row_number = s.file_row_number)
    ORDER BY s.project_id, s.date, s.trace_id, s.started_at, s.span_id`;
}

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
 * files (with `smallOnly`, files under half a chunk) as files of about
 * `chunkRows` rows, in one DuckDB transaction: span rows are deduplicated
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
export async function compactLake(
  conn: DuckDBConnection, lake: LakePaths, replica: string, minFiles: number, chunkRows = COMPACT_CHUNK_ROWS, smallOnly = false,
): Promise<CompactOutcome> {
  const t0 = performance.now();
  const { root } = lake;
  const rows = (await conn.runAndReadAll(
    'SELECT path, kind, project_id, date, rows FROM lake_files ORDER BY kind, project_id, date, path',
  )).getRows();
  const groups = new Map<string, { kind: LakeKind; files: string[]; rows: number }>();
  for (const [rel, kind, project, date, n] of rows) {
    if (!isReplicaFile(path.posix.basename(String(rel)), replica)) continue;
    // The automatic compaction after a seal merges small files only: rewriting a busy day's
    // full-size files every few seals would cost more with every file the day already has.
    if (smallOnly && Number(n) >= chunkRows / 2) continue;
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
    let part = 0;
    for (const g of chosen) {
      const files = g.files.map((f) => path.join(root, f));
      // Log records are deduplicated by their identity, as the loader does.
      if (g.kind === 'logs') {
        const w = await writeLakeFiles(conn, `SELECT ${LAKE_LOG_COLUMNS.join(', ')}, project_id, date FROM ${scan(files)}
           QUALIFY row_number() OVER (PARTITION BY project_id, date, record_id ORDER BY logged_at, position) = 1
           ORDER BY project_id, date, trace_id, logged_at, position, record_id`, 'logs', { root, tmp, replica, seq, part: part++ }, moved);
        rowsAfter += w.rows;
        filesAfter += w.files;
        continue;
      }
      for (const range of await traceRanges(conn, files, g.rows, chunkRows)) {
        const w = await writeLakeFiles(conn, chunkSource(g.kind, files, range), g.kind, { root, tmp, replica, seq, part: part++ }, moved);
        rowsAfter += w.rows;
        filesAfter += w.files;
      }
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
