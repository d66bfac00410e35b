import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { Database } from './duckdb/database.js';
import { SegmentLoader } from './loader.js';
import { Quarantine } from './quarantine.js';
import { Lake, type LakeStats } from './lake/index.js';
import { openMirror, type LakeMirror, type MirrorStatus } from './lake/mirror.js';
import type { S3Target } from './lake/mirror-s3.js';
import type { SealResult } from './lake/seal.js';
import type { CompactResult } from './lake/compact.js';
import { retentionConfigured, type RetentionResult } from './lake/retention.js';
import { HOT_LOW_WATER } from './lake/seal.js';
import { recoverWal } from './wal/recover.js';
import { WalWriter } from './wal/writer.js';
import { LogStorage } from './logs/index.js';
import { FaultState, faultOperation, isDiskFault, type DiskFault } from './disk-fault.js';
import { unavailable } from '../errors.js';

export { Database, DataDirLockedError } from './duckdb/database.js';

export interface StoreOptions {
  /** Rows per compaction COPY (tests and benchmarks only; default COMPACT_CHUNK_ROWS). */
  compactChunkRows?: number;
  dataDir: string;
  duckdbMemoryLimit: string;
  duckdbThreads: number;
  /** The lake directory (absolute) when not `<dataDir>/lake` (`storage.lakeDir`). */
  lakeDir?: string;
  replica: string;
  /** The object-storage mirror (`storage.mirror`); absent or not enabled: none. */
  mirror?: S3Target & { enabled: boolean; concurrency: number; deleteGraceSeconds: number };
  sealIdleSeconds: number;
  sealIntervalSeconds: number;
  /** Hot spans kept at most (`storage.hotMaxRows`); absent: no row bound. */
  hotMaxRows?: number;
  /** Hot traces started longer ago than this are sealed while still active (`storage.hotMaxAgeSeconds`); absent: no age bound. */
  hotMaxAgeSeconds?: number;
  /** Days of data kept; 0 (the default) keeps everything. */
  retentionDays?: number;
  /** Days kept per project, overriding retentionDays (`storage.retentionByProject`; 0 keeps the project forever). */
  retentionByProject?: Record<string, number>;
  commitDelayMs: number;
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
}

/** Write-ahead lag: what is durable but not yet queryable. */
export interface WalLag {
  bytes: number;
  spans: number;
  segments: number;
  oldestAgeSeconds: number;
}

/**
 * The storage stage: WAL writer (durability, the ack point), segment loader
 * (the single DuckDB writer) and the database. Opening it takes DuckDB's
 * file lock first, so a second process fails before touching the WAL.
 */
const RETENTION_EVERY_MS = 3_600_000;
/** A seal refused by the disk is retried by the periodic timer no sooner than this backoff allows. */
const SEAL_FAULT_BACKOFF = { firstDelayMs: 5000, maxDelayMs: 60_000 };

/** `GET /api/storage`: the lake and its mirror. */
export type StorageStats = LakeStats & { mirror: MirrorStatus };

export class Store {
  private replayDone = false;
  private lastRetentionAt = 0;
  /** Set while seals fail because the disk refuses the Parquet writes; the rows stay hot. */
  readonly sealFaults = new FaultState('seal', SEAL_FAULT_BACKOFF);
  private constructor(
    readonly db: Database,
    readonly wal: WalWriter,
    readonly loader: SegmentLoader,
    readonly lake: Lake,
    private readonly replay: Promise<void>,
    sealIntervalSeconds: number,
    private readonly log: Logger,
    /** The OTLP log records' WAL and loader (src/store/logs). */
    readonly logs: LogStorage,
    private readonly mirror: LakeMirror | null = null,
  ) {
    replay.then(() => { this.replayDone = true; }, () => {});
    this.sealTimer = setInterval(() => {
      if (!this.replayDone || this.closing) return;
      if (this.sealFaults.retryDue()) this.sealIdle().catch((err) => this.log.error({ err }, 'sealing idle traces failed; will retry'));
      // Retention, when configured, at most once an hour (the first check soon after start).
      if (retentionConfigured(this.lake.retentionPolicy) && Date.now() - this.lastRetentionAt >= RETENTION_EVERY_MS) {
        this.lastRetentionAt = Date.now();
        this.retention(false).catch((err) => this.log.error({ err }, 'applying retention failed; retried at the next hourly check'));
      }
    }, sealIntervalSeconds * 1000);
    this.sealTimer.unref();
  }

  static async open(opts: StoreOptions, log: Logger): Promise<Store> {
    const db = await Database.open({ dataDir: opts.dataDir, memoryLimit: opts.duckdbMemoryLimit, threads: opts.duckdbThreads });
    try {
      const walDir = path.join(opts.dataDir, 'wal');
      await mkdir(walDir, { recursive: true });
      const rows = (await db.writer.runAndReadAll('SELECT seq FROM wal_segments')).getRows();
      const loaded = new Set(rows.map((r) => Number(r[0])));
      const maxLoaded = rows.reduce((m, r) => Math.max(m, Number(r[0])), 0);
      const quarantine = new Quarantine(path.join(walDir, 'quarantine'));
      // A whole quarantined segment's seq was never recorded as loaded: never reuse it.
      const maxQuarantined = await quarantine.scan();
      if (quarantine.totalLines > 0) {
        log.warn({ files: quarantine.list() }, `${quarantine.totalLines} WAL line(s) are set aside in wal/quarantine; replay them with POST /api/storage/quarantine/replay after fixing the cause`);
      }
      const recovery = await recoverWal(walDir, loaded, Math.max(maxLoaded, maxQuarantined), log);
      const lake = new Lake({
        dataDir: opts.dataDir, lakeDir: opts.lakeDir, replica: opts.replica, sealIdleSeconds: opts.sealIdleSeconds,
        hotMaxRows: opts.hotMaxRows, hotMaxAgeSeconds: opts.hotMaxAgeSeconds,
        retentionDays: opts.retentionDays ?? 0, retentionByProject: opts.retentionByProject ?? {},
        compactChunkRows: opts.compactChunkRows,
      }, log);
      await lake.reconcile(db.writer);
      const loader = new SegmentLoader(db, log, quarantine, lake);
      // Set once the store exists; segments sealed before that are the replay's, checked by the first periodic seal.
      let store: Store | undefined;
      const wal = new WalWriter({
        dir: walDir,
        nextSeq: recovery.nextSeq,
        commitDelayMs: opts.commitDelayMs,
        segmentMaxBytes: opts.segmentMaxBytes,
        segmentMaxAgeMs: opts.segmentMaxAgeMs,
        onSealed: (seg) => {
          loader.enqueue(seg);
          store?.noteSegment(seg.spans);
        },
        log,
      });
      // All at once, so the replay's first batch holds as many segments as the batch bounds allow.
      loader.enqueueAll(recovery.pending);
      const logs = await LogStorage.open(db, {
        walDir, lakeRoot: lake.root, commitDelayMs: opts.commitDelayMs, segmentMaxBytes: opts.segmentMaxBytes, segmentMaxAgeMs: opts.segmentMaxAgeMs,
      }, loader, log);
      if (recovery.pending.length > 0) {
        log.info({ segments: recovery.pending.length, repaired: recovery.repaired }, 'replaying WAL segments not yet loaded');
      }
      const m = opts.mirror;
      const mirror = m?.enabled
        ? await openMirror(m, db.instance, { lakeRoot: lake.root, concurrency: m.concurrency, deleteGraceMs: m.deleteGraceSeconds * 1000 }, log)
        : null;
      store = new Store(db, wal, loader, lake, Promise.all([loader.drain(), logs.replay]).then(() => {}), opts.sealIntervalSeconds, log, logs, mirror);
      // Resumes the uploads a previous run left pending.
      mirror?.kick();
      return store;
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }

  /** True once every segment found at start-up is loaded. */
  get replayed(): boolean {
    return this.replayDone;
  }

  waitReplayed(): Promise<void> {
    return this.replay;
  }

  lag(): WalLag {
    const q = this.loader.stats;
    // The open segment, and any a disk fault left unsealed: durable, not yet the loader's.
    const open = this.wal.unhanded;
    const oldest = [q.oldestFirstWriteAt, open.oldestFirstWriteAt]
      .filter((x): x is number => x !== null)
      .reduce((m, x) => Math.min(m, x), Infinity);
    return {
      bytes: q.queuedBytes + open.bytes,
      spans: q.queuedSpans + open.spans,
      segments: q.queuedSegments + open.segments,
      oldestAgeSeconds: oldest === Infinity ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    };
  }

  /**
   * Graceful close: fsync and seal what was accepted, load what can be
   * loaded before `deadline` (ms since epoch), then stop the loader (it
   * finishes the load in progress; its retry timer is cleared) and close
   * DuckDB, also when sealing failed. Segments not loaded stay on disk for
   * the next start. `onStep` hears each step as it begins, for the shutdown
   * log. Safe to call twice.
   */
  /** Spans in WAL segments handed to the loader since the last row-bound check. */
  private spansSinceBoundCheck = 0;
  private boundCheck: Promise<void> | null = null;
  private boundRecheck = false;
  private stopping = false;

  /**
   * Between periodic checks, a fast stream could push the hot rows far past
   * `storage.hotMaxRows` (10k spans/s for 30 s is 300k): once the segments
   * handed to the loader since the last check hold what a bound-forced seal
   * removes (a quarter of the bound), the bounds are checked again. The check
   * queues behind the loader's writes, so it sees the segment when the loader
   * was idle and the one before it otherwise.
   */
  private noteSegment(spans: number): void {
    const max = this.lake.opts.hotMaxRows;
    if (max === undefined || !this.replayDone || this.stopping) return;
    this.spansSinceBoundCheck += spans;
    if (this.spansSinceBoundCheck < max * (1 - HOT_LOW_WATER)) return;
    if (this.boundCheck) {
      this.boundRecheck = true;
      return;
    }
    this.boundCheck = (async () => {
      do {
        this.boundRecheck = false;
        this.spansSinceBoundCheck = 0;
        await this.sealPastBound(max).catch((err) => this.log.error({ err }, 'sealing hot traces past storage.hotMaxRows failed; will retry'));
      } while (this.boundRecheck && !this.stopping);
    })().finally(() => {
      this.boundCheck = null;
    });
  }

  /**
   * The periodic seal, only when the hot spans exceed `max`: counting them
   * costs a few milliseconds, choosing what to seal a scan of every hot
   * trace (100-400 ms at 200k hot traces), too much to repeat every few
   * seconds of a fast stream when nothing is over the bound.
   */
  private async sealPastBound(max: number): Promise<SealResult | null> {
    // Queued behind the loader's writes, so the count includes the segment just handed over when the loader was idle.
    const hot = await this.loader.exclusive(async () => Number((await this.db.writer.runAndReadAll('SELECT count(*) FROM spans')).getRows()[0][0]));
    return hot > max ? this.sealIdle() : null;
  }

  /** Seals the hot traces the bounds pick: idle for `storage.sealIdleSeconds`, started before `storage.hotMaxAgeSeconds`, the oldest past `storage.hotMaxRows` (the periodic seal). */
  sealIdle(): Promise<SealResult | null> {
    return this.lakeChanged(this.sealWatched(false));
  }

  /** Disk faults in effect, the WAL's first (it refuses ingest), then the loader's and the seal's. */
  diskFaults(): DiskFault[] {
    return this.faultStates().map((f) => f.current).filter((f): f is DiskFault => f !== null);
  }

  /** Every stage's fault state (for /metrics). */
  faultStates(): FaultState[] {
    return [this.wal.faults, this.loader.faults, this.sealFaults, this.logs.wal.faults, this.logs.loader.faults];
  }

  /** Runs a seal on the writer connection, keeping the seal's fault state: a disk fault becomes `unavailable`. */
  private async sealWatched(all: boolean): Promise<SealResult | null> {
    try {
      const r = await this.loader.exclusive(() => this.lake.seal(this.db.writer, all));
      const ended = this.sealFaults.clear();
      if (ended) this.log.info({ code: ended.code, since: new Date(ended.since).toISOString(), failures: ended.failures }, 'sealing into the lake works again');
      return r;
    } catch (err) {
      if (!isDiskFault(err)) throw err;
      const first = this.sealFaults.current === null;
      const fault = this.sealFaults.fail(faultOperation(err, 'write'), err);
      if (first) this.log.error({ err, code: fault.code }, 'sealing into the lake failed: the disk refused the write; the rows stay hot and the seal is retried');
      throw unavailable(`sealing into the lake failed (${fault.code}): ${fault.message} (the rows stay in DuckDB)`, Math.max(1, Math.ceil(this.sealFaults.retryInMs() / 1000)));
    }
  }

  /** After a seal, compaction or retention has run (committed or not), the mirror looks for new files and retired ones; it never delays the caller. */
  private lakeChanged<T>(p: Promise<T>): Promise<T> {
    return p.finally(() => this.mirror?.kick());
  }

  /** The mirror's counters for /metrics; null when it is off. */
  mirrorCounters(): ReturnType<LakeMirror['counters']> | null {
    return this.mirror?.counters() ?? null;
  }

  /** `GET /api/storage`: the lake's state (lake.stats) and the mirror's, counted in one snapshot. */
  storageStats(): Promise<StorageStats> {
    return this.db.withSnapshot(async (conn) => ({
      ...(await this.lake.stats(conn)),
      mirror: this.mirror ? await this.mirror.status(conn) : { enabled: false },
    }));
  }

  /**
   * Makes everything acknowledged so far part of the lake: seals the open
   * WAL segment, waits for the loader, then seals every hot trace
   * (`POST /api/storage/seal`; operators use it before a backup).
   */
  async sealAll(): Promise<SealResult | null> {
    try {
      await this.wal.sealNow();
    } catch (err) {
      // The WAL's fault state has it; what is durable stays in the WAL.
      throw unavailable(`sealing the write-ahead log failed: ${(err as Error).message}`, Math.max(1, Math.ceil(this.wal.faults.retryInMs() / 1000)));
    }
    await this.loader.loadQueued();
    try {
      await this.logs.wal.sealNow();
    } catch (err) {
      throw unavailable(`sealing the log records' write-ahead log failed: ${(err as Error).message}`, Math.max(1, Math.ceil(this.logs.wal.faults.retryInMs() / 1000)));
    }
    await this.logs.loader.loadQueued();
    return this.lakeChanged(this.sealWatched(true));
  }

  /** Rewrites every partition with two or more of this replica's files as one (`POST /api/storage/compact`). */
  compact(): Promise<CompactResult> {
    return this.lakeChanged(this.loader.exclusive(() => this.lake.compact(this.db.writer, 2)));
  }

  /**
   * Drops lake date partitions and hot rows older than `storage.retentionDays`
   * (`days` overrides it; 0 keeps everything); `dryRun` only reports what would go.
   */
  retention(dryRun: boolean, days?: number): Promise<RetentionResult> {
    return this.lakeChanged(this.loader.exclusive(() => this.lake.retention(this.db.writer, dryRun, days)));
  }

  private readonly sealTimer: NodeJS.Timeout;

  async close(deadline: number, onStep: (step: string) => void = () => {}): Promise<void> {
    clearInterval(this.sealTimer);
    this.stopping = true;
    if (this.closing) return this.closing;
    this.closing = (async () => {
      try {
        onStep('sealing the WAL');
        await this.wal.close();
        const remaining = deadline - Date.now();
        if (remaining > 0) {
          onStep('loading WAL segments');
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([this.loader.drain(), new Promise((r) => { timer = setTimeout(r, remaining); })]);
          clearTimeout(timer);
        }
        onStep('sealing the log WAL and loading its segments');
        await this.logs.close(deadline);
      } finally {
        // Uploads in flight are aborted, not awaited: the files stay pending and go up after the next start.
        onStep('stopping the lake mirror');
        await this.mirror?.stop();
        onStep('stopping the loader (a segment load in progress finishes first)');
        await this.logs.loader.stop();
        await this.loader.stop();
        // A seal, compaction or replay holding the writer finishes before DuckDB closes under it.
        onStep('waiting for a seal or compaction in progress');
        await this.loader.exclusive(async () => {});
        onStep('closing DuckDB (checkpoint)');
        await this.db.close();
        await this.lake.flushRetired();
      }
    })();
    return this.closing;
  }

  private closing: Promise<void> | null = null;
}
