import type { DuckDBConnection } from '@duckdb/node-api';
import type { LookspanConfig } from '../config/index.js';
import type { CompactResult } from '../store/lake/compact.js';
import { formatTable } from './output.js';
import { openOffline, withProgress } from './offline-store.js';
import { UsageError } from './errors.js';

/** One partition a compaction rewrote: its files, rows and bytes before and after. */
export interface CompactedPartition {
  kind: string;
  projectId: string;
  date: string;
  filesBefore: number;
  filesAfter: number;
  rowsBefore: number;
  rowsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface CompactReport {
  dataDir: string;
  replica: string;
  compacted: CompactResult;
  partitions: CompactedPartition[];
}

interface CatalogPartition { paths: Set<string>; files: number; rows: number; bytes: number }

/** Every recorded partition with its file set, from the catalog (`lake_files`). */
async function catalogPartitions(conn: DuckDBConnection): Promise<Map<string, CatalogPartition>> {
  const out = new Map<string, CatalogPartition>();
  for (const [p, kind, project, date, rows, bytes] of (await conn.runAndReadAll('SELECT path, kind, project_id, date, rows, bytes FROM lake_files')).getRows()) {
    const key = JSON.stringify([String(kind), String(project), String(date)]);
    const e = out.get(key) ?? { paths: new Set<string>(), files: 0, rows: 0, bytes: 0 };
    e.paths.add(String(p));
    e.files++;
    e.rows += Number(rows);
    e.bytes += Number(bytes);
    out.set(key, e);
  }
  return out;
}

const sameFiles = (a: Set<string>, b: Set<string> | undefined) => b !== undefined && a.size === b.size && [...a].every((p) => b.has(p));

/**
 * `lookspan compact`: what `POST /api/storage/compact` does, on a stopped
 * server's data dir: every partition holding at least `minFiles` of this
 * replica's files is rewritten as one file (compact.ts). The replaced files
 * are deleted before the command returns (no server is reading them).
 */
export async function runCompact(config: LookspanConfig, opts: { minFiles?: number; progress?: (line: string) => void } = {}): Promise<CompactReport> {
  const minFiles = opts.minFiles ?? 2;
  if (!Number.isInteger(minFiles) || minFiles < 2) throw new UsageError('--min-files must be a whole number, 2 or more');
  const store = await openOffline(config, '/api/storage/compact');
  try {
    const conn = store.db.writer;
    const before = await catalogPartitions(conn);
    const files = [...before.values()].reduce((n, p) => n + p.files, 0);
    opts.progress?.(`compacting the lake of replica ${config.storage.replica}: ${files} file${files === 1 ? '' : 's'} in ${before.size} partition${before.size === 1 ? '' : 's'}`);
    const compacted = await withProgress(conn, () => 'compacting', opts.progress, () => store.lake.compact(conn, minFiles));
    const after = await catalogPartitions(conn);
    const partitions: CompactedPartition[] = [];
    for (const [key, b] of before) {
      const a = after.get(key);
      if (sameFiles(b.paths, a?.paths)) continue;
      const [kind, projectId, date] = JSON.parse(key) as string[];
      partitions.push({
        kind, projectId, date, filesBefore: b.files, filesAfter: a?.files ?? 0, rowsBefore: b.rows, rowsAfter: a?.rows ?? 0, bytesBefore: b.bytes, bytesAfter: a?.bytes ?? 0,
      });
    }
    partitions.sort((x, y) => x.kind.localeCompare(y.kind) || x.projectId.localeCompare(y.projectId) || x.date.localeCompare(y.date));
    if (compacted.filesBefore > 0) opts.progress?.(`deleting the ${compacted.filesBefore} replaced file${compacted.filesBefore === 1 ? '' : 's'}`);
    return { dataDir: store.lake.opts.dataDir, replica: config.storage.replica, compacted, partitions };
  } finally {
    await store.close();
  }
}

export function formatCompact(r: CompactReport): string {
  const c = r.compacted;
  if (c.partitions === 0) {
    return `Nothing to compact: no partition holds two or more of replica ${r.replica}'s files (data dir ${r.dataDir}).\n`;
  }
  const out = [
    `Compacted ${c.partitions} partition${c.partitions === 1 ? '' : 's'} of replica ${r.replica}: ${c.filesBefore} files -> ${c.filesAfter}, ` +
    `${c.rowsRemoved} duplicate or partial row${c.rowsRemoved === 1 ? '' : 's'} merged away, in ${(c.durationMs / 1000).toFixed(1)} s.`,
    '',
    formatTable(
      ['kind', 'project_id', 'date', 'files_before', 'files_after', 'rows_before', 'rows_after', 'bytes_before', 'bytes_after'],
      r.partitions.map((p) => ({
        kind: p.kind, project_id: p.projectId, date: p.date, files_before: p.filesBefore, files_after: p.filesAfter,
        rows_before: p.rowsBefore, rows_after: p.rowsAfter, bytes_before: p.bytesBefore, bytes_after: p.bytesAfter,
      })),
    ),
  ];
  return out.join('\n');
}
