import { existsSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_KINDS, LAKE_SCHEMA_VERSION, type LakePaths, type PartitionStats, isReplicaFile, lakeDir, lakePaths, sqlPath } from './layout.js';
import { claimReplica } from './replica-claim.js';
import { refreshRelations } from './relations.js';
import { listParquetFiles } from './list-files.js';
import { sealHot, type SealResult, type SealSelection } from './seal.js';
import { compactLake, removeEmptyDirs, type CompactResult } from './compact.js';
import { applyRetention, type RetentionPolicy, type RetentionResult } from './retention.js';

/** A seal that leaves a partition with more of this replica's files than this compacts it. */
export const AUTO_COMPACT_FILES = 8;

/**
 * Files a compaction or retention replaced are deleted this long after its
 * commit: a read that began before the commit still scans them. A crash in
 * between leaves files no record names, which start-up deletes.
 */
const RETIRE_GRACE_MS = 30_000;

export interface LakeOptions {
  dataDir: string;
  /** The lake directory (absolute) when not `<dataDir>/lake`, e.g. one several replicas share. */
  lakeDir?: string;
  /** Names this instance's files, so replicas sharing one lake never clash. */
  replica: string;
  /** Hot traces that received nothing for this long are sealed. */
  sealIdleSeconds: number;
  /** Hot spans kept at most; past it the least recently loaded traces are sealed (absent: no bound). */
  hotMaxRows?: number;
  /** Hot traces that started longer ago than this are sealed, active or not (absent: no bound). */
  hotMaxAgeSeconds?: number;
  /** Days of data kept (0: everything). */
  retentionDays?: number;
  /** Days kept per project, overriding retentionDays (0: that project's data is kept forever). */
  retentionByProject?: Record<string, number>;
  /** Rows per compaction COPY (default COMPACT_CHUNK_ROWS; smaller in tests, to exercise the split). */
  compactChunkRows?: number;
}

export interface LakeStats {
  schemaVersion: number;
  replica: string;
  hot: { spans: number; traces: number; logs: number };
  partitions: PartitionStats[];
  lastSeal: { seq: number; at: string; durationMs: number; traces: number; spans: number; files: number } | null;
  lastCompaction: { seq: number; at: string; durationMs: number; partitions: number; filesBefore: number; filesAfter: number } | null;
  retentionDays: number;
  retentionByProject: Record<string, number>;
  /** Files the catalog names but the disk no longer holds (left out of every query). */
  missingFiles: string[];
}

/**
 * The sealed part of the store: Parquet files under `<data dir>/lake`,
 * catalogued in `lake_files`, and the relations (`all_spans`,
 * `all_traces`) that cover hot rows and files together.
 */
export class Lake {
  private missing: string[] = [];
  private retiring = new Set<string>();
  private retireTimers = new Set<NodeJS.Timeout>();

  constructor(readonly opts: LakeOptions, private readonly log: Logger) {}

  get root(): string {
    return this.opts.lakeDir ?? lakeDir(this.opts.dataDir);
  }

  /** The lake directory and this replica's staging directory in it. */
  get paths(): LakePaths {
    return lakePaths(this.root, this.opts.replica);
  }

  /**
   * Start-up: claims the replica id in the lake (replica-claim.ts), removes
   * what a crash left mid-seal (this replica's staging directory, and files
   * in this replica's name that no committed record names: their rows are
   * still hot), then defines the relations from the catalog. Another
   * replica's files and staging are never touched, so replicas can share one
   * lake directory.
   */
  async reconcile(conn: DuckDBConnection): Promise<void> {
    await claimReplica(conn, this.root, this.opts.replica);
    await rm(this.paths.tmp, { recursive: true, force: true });
    const tmpRoot = path.dirname(this.paths.tmp);
    // Staging of versions before per-replica staging (`.tmp/seal-N`, `.tmp/compact-N`); no current replica stages there.
    for (const e of await readdir(tmpRoot).catch(() => [] as string[])) {
      if (/^(seal|compact)-\d+$/.test(e)) await rm(path.join(tmpRoot, e), { recursive: true, force: true });
    }
    await rmdir(tmpRoot).catch(() => {}); // only when empty: other replicas' staging stays
    const recorded = new Set((await conn.runAndReadAll('SELECT path FROM lake_files')).getRows().map((r) => String(r[0])));
    for (const kind of LAKE_KINDS) {
      for (const rel of await listParquetFiles(path.join(this.root, kind))) {
        const full = `${kind}/${rel}`;
        if (recorded.has(full) || !isReplicaFile(path.basename(rel), this.opts.replica)) continue;
        this.log.warn({ file: full }, 'removing a lake file no seal committed (a crash interrupted the seal; its rows are still hot)');
        await rm(path.join(this.root, full), { force: true });
      }
    }
    await this.refresh(conn);
  }

  async refresh(conn: DuckDBConnection): Promise<void> {
    this.missing = await refreshRelations(conn, this.root, existsSync);
    if (this.missing.length > 0) this.log.error({ files: this.missing }, 'lake files named in the catalog are missing; queries leave them out');
  }

  /** What the periodic seal moves: idle traces, traces past the age bound, and the oldest past the row bound. */
  get sealSelection(): SealSelection {
    return {
      idleSeconds: this.opts.sealIdleSeconds,
      maxAgeSeconds: this.opts.hotMaxAgeSeconds ?? null,
      maxRows: this.opts.hotMaxRows ?? null,
    };
  }

  /** Seals what `sealSelection` picks (every hot trace with `all`); runs on the writer connection, serialized with loads. */
  async seal(conn: DuckDBConnection, all: boolean): Promise<SealResult | null> {
    const r = await sealHot(conn, this.paths, this.opts.replica, all ? null : this.sealSelection);
    if (r) this.log.info(r, 'sealed hot traces into the lake');
    if (r) {
      try {
        await this.compact(conn, AUTO_COMPACT_FILES + 1, true);
      } catch (err) {
        // The seal committed; compaction is retried after the next seal.
        this.log.error({ err }, 'compacting the lake after a seal failed');
      }
    }
    return r;
  }

  /** Rewrites each partition with at least `minFiles` of this replica's files as one file (compact.ts). */
  async compact(conn: DuckDBConnection, minFiles = 2, smallOnly = false): Promise<CompactResult> {
    const { retired, ...r } = await compactLake(conn, this.paths, this.opts.replica, minFiles, this.opts.compactChunkRows, smallOnly);
    if (r.partitions > 0) this.log.info(r, 'compacted lake partitions');
    this.retire(retired);
    return r;
  }

  /** The configured retention: `storage.retentionDays` and `storage.retentionByProject`. */
  get retentionPolicy(): RetentionPolicy {
    return { days: this.opts.retentionDays ?? 0, byProject: this.opts.retentionByProject ?? {} };
  }

  /** Drops date partitions and hot rows past each project's horizon (retention.ts; `days` overrides the global days); `dryRun` only reports. */
  async retention(conn: DuckDBConnection, dryRun: boolean, days = this.opts.retentionDays ?? 0): Promise<RetentionResult> {
    const { retired, ...r } = await applyRetention(conn, this.root, { ...this.retentionPolicy, days }, dryRun);
    if (!dryRun && (r.files > 0 || r.hot.spans > 0 || r.hot.traces > 0 || r.hot.logs > 0)) {
      const projects = r.projects.filter((p) => p.lake.files > 0 || p.hot.spans > 0 || p.hot.traces > 0 || p.hot.logs > 0).map((p) => p.projectId);
      this.log.info({ ...r, partitions: r.partitions.length, projects }, 'dropped data older than the retention horizon');
    }
    this.retire(retired);
    return r;
  }

  /** Deletes files no record names any more, after the grace period (or at `flushRetired`). */
  private retire(files: readonly string[]): void {
    if (files.length === 0) return;
    for (const f of files) this.retiring.add(f);
    const timer = setTimeout(() => {
      this.retireTimers.delete(timer);
      this.deleteRetired(files).catch(() => {});
    }, RETIRE_GRACE_MS);
    timer.unref();
    this.retireTimers.add(timer);
  }

  private async deleteRetired(files: readonly string[]): Promise<void> {
    for (const f of files) {
      if (!this.retiring.delete(f)) continue;
      await rm(f, { force: true }).catch(() => {});
      await removeEmptyDirs(path.dirname(f), this.root);
    }
  }

  /** Deletes every retired file now (at close, once no read can still scan them). */
  async flushRetired(): Promise<void> {
    for (const t of this.retireTimers) clearTimeout(t);
    this.retireTimers.clear();
    await this.deleteRetired([...this.retiring]);
  }

  /** Span files that may hold a span starting at or after `sinceUs` (the loader's duplicate check against the lake). */
  async spanFilesSince(conn: DuckDBConnection, sinceUs: number): Promise<string[]> {
    const rows = (await conn.runAndReadAll(
      `SELECT path FROM lake_files WHERE kind = 'spans' AND max_started_at >= make_timestamp(${Math.floor(sinceUs)}::BIGINT) ORDER BY path`,
    )).getRows();
    return rows.map((r) => path.join(this.root, String(r[0]))).filter((p) => existsSync(p));
  }

  async stats(conn: DuckDBConnection): Promise<LakeStats> {
    const hot = (await conn.runAndReadAll('SELECT (SELECT count(*) FROM spans), (SELECT count(*) FROM traces), (SELECT count(*) FROM logs)')).getRows()[0];
    const parts = (await conn.runAndReadAll(
      `SELECT kind, project_id, date, count(*), sum(rows), sum(bytes) FROM lake_files GROUP BY ALL ORDER BY kind, project_id, date`,
    )).getRows();
    const last = (await conn.runAndReadAll(
      `SELECT seq, strftime(sealed_at, '%Y-%m-%dT%H:%M:%S.%fZ'), duration_ms, traces, spans, files FROM lake_seals
       WHERE seq NOT IN (SELECT seq FROM lake_compactions) ORDER BY seq DESC LIMIT 1`,
    )).getRows()[0];
    const comp = (await conn.runAndReadAll(
      `SELECT seq, strftime(compacted_at, '%Y-%m-%dT%H:%M:%S.%fZ'), duration_ms, partitions, files_before, files_after FROM lake_compactions ORDER BY seq DESC LIMIT 1`,
    )).getRows()[0];
    return {
      schemaVersion: LAKE_SCHEMA_VERSION,
      replica: this.opts.replica,
      hot: { spans: Number(hot[0]), traces: Number(hot[1]), logs: Number(hot[2]) },
      partitions: parts.map((r) => ({
        kind: String(r[0]), projectId: String(r[1]), date: String(r[2]), files: Number(r[3]), rows: Number(r[4]), bytes: Number(r[5]),
      })),
      lastSeal: last ? { seq: Number(last[0]), at: String(last[1]), durationMs: Number(last[2]), traces: Number(last[3]), spans: Number(last[4]), files: Number(last[5]) } : null,
      lastCompaction: comp ? {
        seq: Number(comp[0]), at: String(comp[1]), durationMs: Number(comp[2]), partitions: Number(comp[3]), filesBefore: Number(comp[4]), filesAfter: Number(comp[5]),
      } : null,
      retentionDays: this.opts.retentionDays ?? 0,
      retentionByProject: this.opts.retentionByProject ?? {},
      missingFiles: this.missing,
    };
  }
}

export { sqlPath };
