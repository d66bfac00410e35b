import { mkdir, open, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBBlobValue, type DuckDBConnection } from '@duckdb/node-api';
import { buildTraceFilter } from './trace-filter.js';
import { fsyncDir } from '../wal/fsync-dir.js';
import { LAKE_SCHEMA_VERSION, TIME_COLUMN, sqlPath, type LakeKind } from './layout.js';

async function fsyncFile(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * COPY options of every lake file: compression, row groups, schema-version metadata and file naming.
 * Row groups of 4,096 rows: a trace lookup decompresses the one row group that holds the trace,
 * and with ~2 KB of payload per span that was 81 ms at 16,384 rows against 16 ms at 4,096 for
 * 0.3 % more bytes (bench/lake-read.ts; smaller groups add per-column overhead again).
 */
export const ROW_GROUP_ROWS = 4096;
/**
 * File names are `<replica>-<seq>-<i>`; a compaction writing a partition in
 * several COPYs (`part`) prefixes `i` with the zero-padded part number, so
 * each COPY's one file per partition gets a name of its own.
 */
const copyOptions = (replica: string, seq: number, part?: number) =>
  `FORMAT parquet, COMPRESSION zstd, PARTITION_BY (project_id, date), FILENAME_PATTERN ${sqlPath(`${replica}-${String(seq).padStart(9, '0')}-${part === undefined ? '' : String(part).padStart(4, '0')}{i}`)}, ` +
  `KV_METADATA {lookspan_lake_schema_version: '${LAKE_SCHEMA_VERSION}'}, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}, RETURN_FILES true`;

export interface WrittenFiles {
  rows: number;
  files: number;
  bytes: number;
}

/**
 * Writes the rows of `source` (a SELECT ending in `project_id, date`) as
 * lake files of `kind`, inside the caller's transaction: COPY into `tmp`,
 * then each file fsynced, renamed into its partition under `root`, the
 * directories fsynced, and the file recorded in `lake_files` with the
 * bloom filter over its trace ids (`lake_trace_filters`, trace-filter.ts). Every file
 * moved is pushed to `moved` so the caller can remove them if its
 * transaction does not commit.
 */
export async function writeLakeFiles(
  conn: DuckDBConnection, source: string, kind: LakeKind,
  where: { root: string; tmp: string; replica: string; seq: number; part?: number }, moved: string[],
): Promise<WrittenFiles> {
  const out = path.join(where.tmp, kind);
  const r = await conn.runAndReadAll(`COPY (${source}) TO ${sqlPath(out)} (${copyOptions(where.replica, where.seq, where.part)})`);
  const written = r.getRows()[0][1] as { items: unknown[] } | unknown[];
  const result: WrittenFiles = { rows: Number(r.getRows()[0][0]), files: 0, bytes: 0 };
  for (const file of (Array.isArray(written) ? written : written.items).map(String)) {
    const target = path.join(where.root, kind, path.relative(out, path.resolve(file)));
    await mkdir(path.dirname(target), { recursive: true });
    await fsyncFile(file);
    await rename(file, target);
    moved.push(target);
    await fsyncDir(path.dirname(target));
    await fsyncDir(path.dirname(path.dirname(target)));
    const size = (await stat(target)).size;
    result.bytes += size;
    result.files++;
    // lake_files' min/max_started_at hold a log file's logged_at range (its time column).
    const t = TIME_COLUMN[kind];
    // One read of the new file for its catalog row and its trace-id filter (log records
    // outside any trace have no id to filter on).
    const st = (await conn.runAndReadAll(
      `SELECT count(*), min(${t})::VARCHAR, max(${t})::VARCHAR, any_value(project_id), any_value(date),
              list(DISTINCT trace_id) FILTER (WHERE trace_id IS NOT NULL)
         FROM read_parquet(${sqlPath(target)}, hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`,
    )).getRows()[0];
    const rel = path.relative(where.root, target).split(path.sep).join('/');
    await conn.run(
      'INSERT INTO lake_files VALUES ($1, $2, $3, $4, $5, $6, $7::TIMESTAMP, $8::TIMESTAMP, $9, now())',
      [rel, kind, String(st[3]), String(st[4]), Number(st[0]), size, String(st[1]), String(st[2]), where.seq],
    );
    const ids = st[5] === null ? [] : (st[5] as { items: unknown[] }).items.map(String);
    const filter = buildTraceFilter(ids);
    await conn.run('INSERT INTO lake_trace_filters VALUES ($1, $2, $3, $4::BLOB::BIT)', [rel, filter.bits, filter.hashes, new DuckDBBlobValue(filter.bytes)]);
  }
  return result;
}
