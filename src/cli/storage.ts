import { statSync } from 'node:fs';
import { LAKE_KINDS, type LakeKind } from '../store/lake/layout.js';
import { listLake, lakeRoot, openMemory, type LakeFile } from './lake.js';
import { formatTable, resultRows } from './output.js';
import { CliFailure, duckMessage } from './errors.js';

export interface Partition { kind: LakeKind; projectId: string; date: string; files: number; rows: number; bytes: number }
export interface StorageReport {
  lake: string;
  totals: Record<LakeKind, { files: number; rows: number; bytes: number }>;
  partitions: Partition[];
  replicas: Array<{ replica: string; files: number; rows: number; bytes: number }>;
  /** Files per `lookspan_lake_schema_version` value ("none" when a file has no such key). */
  schemaVersions: Record<string, number>;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Files, rows and bytes read from the files themselves (Parquet footers, file sizes), not from any catalog. */
export async function storageReport(dataDir: string, lake?: string): Promise<StorageReport> {
  const root = lakeRoot(dataDir, lake);
  const files: LakeFile[] = [];
  for (const kind of LAKE_KINDS) files.push(...(await listLake(root, kind)));
  const rowsOf = new Map<string, number>();
  const versionOf = new Map<string, string>();
  if (files.length > 0) {
    const db = await openMemory();
    try {
      const list = `[${files.map((f) => lit(f.path)).join(', ')}]`;
      const rows = resultRows(await db.conn.runAndReadAll(
        `SELECT file_name, sum(row_group_num_rows)::BIGINT AS n FROM (SELECT DISTINCT file_name, row_group_id, row_group_num_rows FROM parquet_metadata(${list})) GROUP BY file_name`,
      )).rows;
      for (const r of rows) rowsOf.set(String(r.file_name), Number(r.n));
      const kv = resultRows(await db.conn.runAndReadAll(
        `SELECT file_name, decode(value) AS v FROM parquet_kv_metadata(${list}) WHERE decode(key) = 'lookspan_lake_schema_version'`,
      )).rows;
      for (const r of kv) versionOf.set(String(r.file_name), String(r.v));
    } catch (err) {
      throw new CliFailure(`cannot read the lake's Parquet footers: ${duckMessage(err)}`);
    } finally {
      db.close();
    }
  }
  const totals = Object.fromEntries(LAKE_KINDS.map((k) => [k, { files: 0, rows: 0, bytes: 0 }])) as StorageReport['totals'];
  const parts = new Map<string, Partition>();
  const replicas = new Map<string, { replica: string; files: number; rows: number; bytes: number }>();
  const schemaVersions: Record<string, number> = {};
  for (const f of files) {
    const rows = rowsOf.get(f.path) ?? 0;
    const bytes = statSync(f.path).size;
    const key = `${f.kind}\u0000${f.projectId}\u0000${f.date}`;
    const p = parts.get(key) ?? { kind: f.kind, projectId: f.projectId, date: f.date, files: 0, rows: 0, bytes: 0 };
    const r = replicas.get(f.replica) ?? { replica: f.replica, files: 0, rows: 0, bytes: 0 };
    for (const acc of [p, r, totals[f.kind]]) {
      acc.files += 1;
      acc.rows += rows;
      acc.bytes += bytes;
    }
    parts.set(key, p);
    replicas.set(f.replica, r);
    const v = versionOf.get(f.path) ?? 'none';
    schemaVersions[v] = (schemaVersions[v] ?? 0) + 1;
  }
  const partitions = [...parts.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.projectId.localeCompare(b.projectId) || a.date.localeCompare(b.date));
  return { lake: root, totals, partitions, replicas: [...replicas.values()].sort((a, b) => a.replica.localeCompare(b.replica)), schemaVersions };
}

export function formatStorage(r: StorageReport): string {
  const out = [`lake: ${r.lake}`, ''];
  out.push(formatTable(['kind', 'files', 'rows', 'bytes'], LAKE_KINDS.map((k) => ({ kind: k, ...r.totals[k] }))));
  out.push(formatTable(['kind', 'project_id', 'date', 'files', 'rows', 'bytes'], r.partitions.map((p) => ({ kind: p.kind, project_id: p.projectId, date: p.date, files: p.files, rows: p.rows, bytes: p.bytes }))));
  out.push(formatTable(['replica', 'files', 'rows', 'bytes'], r.replicas as unknown as Record<string, unknown>[]));
  const versions = Object.entries(r.schemaVersions).map(([v, n]) => `${v} (${n} file${n === 1 ? '' : 's'})`).join(', ');
  out.push(`schema versions: ${versions || 'no files'}`);
  out.push('Rows still hot in a running server are not in the lake until sealed (POST /api/storage/seal).');
  return out.join('\n') + '\n';
}
