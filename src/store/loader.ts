import { unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { BIGINT, LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { Database } from './duckdb/database.js';
import { insertStaged, STAGE_SQL } from './load-sql.js';
import { segmentLines, stageCarefully, type CarefulStage } from './careful-stage.js';
import { Quarantine, type QuarantinedLine } from './quarantine.js';
import type { Lake } from './lake/index.js';
import { FaultState, faultOperation, isDiskFault, type FaultStage } from './disk-fault.js';
import { unavailable } from '../errors.js';
import { fsyncDir } from './wal/fsync-dir.js';
import type { SealedSegment } from './wal/writer.js';

// Several segments per statement: DuckDB's per-statement cost dominated small segments (measured-floors.md).
// 64 MB (a 25k-span segment of the realistic mix and a bit) rather than 128 or 256: the same CPU
// per span in the load-only floor, and the staged batch is what the loader holds in memory; the
// server's peak RSS came at the commit of a 128 MB batch during catch-up (docs/performance.md).
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
const MAX_BATCH_SEGMENTS = 64;
/** Attempts on a lone segment before it is set aside whole so later segments can load (a last resort: lines are set aside one by one first). */
const MAX_SEGMENT_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1000;
/** A load refused by the disk is retried after 1 s, 2 s, 4 s, … up to 16 s (or at once by `loadQueued`). */
const DISK_FAULT_BACKOFF = { firstDelayMs: 1000, maxDelayMs: 16_000 };

/** What a quarantine replay did. */
export interface QuarantineReplay {
  files: number;
  /** Lines read from the quarantine files. */
  lines: number;
  /** Spans inserted (lines already stored are not inserted twice). */
  inserted: number;
  /** Lines that still cannot be loaded and stay quarantined. */
  stillQuarantined: number;
}

export interface LoaderStats {
  /** Sealed segments waiting for the loader. */
  queuedSegments: number;
  queuedBytes: number;
  queuedSpans: number;
  oldestFirstWriteAt: number | null;
  loadedSegments: number;
  loadedSpans: number;
  insertedSpans: number;
  lastLoadMs: number | null;
  lastError: string | null;
  /** Whole segments set aside after repeated load failures (kept on disk under wal/quarantine). */
  quarantinedSegments: number;
  /** WAL lines (spans) in wal/quarantine, whole segments included; counted from disk at start-up. */
  quarantinedSpans: number;
  /** Files in wal/quarantine. */
  quarantineFiles: number;
}

/**
 * What a loader moves: how a batch of segments is staged (in one statement,
 * or line by line), how the staged rows are stored, and which table records
 * the loaded segments. Spans are the default (`spanTarget`); log records
 * have their own (src/store/logs/load-sql.ts).
 */
export interface LoadTarget {
  /** Table of loaded segment records: (seq, count, inserted, bytes, loaded_at). */
  readonly segmentsTable: 'wal_segments' | 'log_wal_segments';
  /** The temp table `stage` and `stageCarefully` fill, dropped after each load. */
  readonly batchTable: string;
  stage(conn: DuckDBConnection, paths: readonly string[]): Promise<void>;
  stageCarefully: CarefulStage;
  /** Stores the staged rows (de-duplicated by identity); returns how many were inserted. */
  insert(conn: DuckDBConnection): Promise<number>;
}

/** The span loader's target: `spans` and `traces`, de-duplicated against the lake's span files. */
export function spanTarget(lake?: Lake): LoadTarget {
  return {
    segmentsTable: 'wal_segments',
    batchTable: 'wal_batch',
    stage: async (conn, paths) => { await conn.run(STAGE_SQL, [listValue(paths.map(String))], [LIST(VARCHAR)]); },
    stageCarefully,
    insert: (conn) => insertStaged(conn, lake),
  };
}

export interface LoaderOptions {
  /** What this loader loads (default: spans). */
  target?: LoadTarget;
  /** Another loader whose writer-connection queue this one joins (the log loader joins the span loader's). */
  sharesWriterWith?: SegmentLoader;
  /** The stage its disk faults are reported under (default `load`). */
  faultStage?: FaultStage;
}

/**
 * The single owner of writes to DuckDB: moves sealed WAL segments into the
 * spans and traces tables with set-based statements that run on DuckDB's
 * threads, exactly once: the rows and the `wal_segments` record commit in
 * one transaction, and the file is deleted only after that commit.
 */
export class SegmentLoader {
  private queue: SealedSegment[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  readonly stats: LoaderStats = ((quarantine: () => Quarantine) => ({
    queuedSegments: 0, queuedBytes: 0, queuedSpans: 0, oldestFirstWriteAt: null,
    loadedSegments: 0, loadedSpans: 0, insertedSpans: 0, lastLoadMs: null, lastError: null,
    // Read from the quarantine itself (counted from disk at start-up), never kept twice.
    get quarantinedSegments() { return quarantine().wholeSegments; },
    get quarantinedSpans() { return quarantine().totalLines; },
    get quarantineFiles() { return quarantine().fileCount; },
  }))(() => this.quarantined);
  private failures = 0;
  private retryAt = 0;
  /** Load durations (seconds) waiting for `observeLoads` (the start-up replay begins before metrics are wired). */
  private heldLoads: number[] | null = [];
  private loadObserver: ((seconds: number) => void) | null = null;

  /** Set while loads fail because the disk refuses DuckDB's writes; the segments stay queued and on disk. */
  readonly faults: FaultState;
  private readonly target: LoadTarget;
  private readonly shared: SegmentLoader | null;

  /** Serializes every use of the writer connection (segment loads and quarantine replays). */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    readonly quarantined: Quarantine,
    lake?: Lake,
    opts: LoaderOptions = {},
  ) {
    this.target = opts.target ?? spanTarget(lake);
    this.shared = opts.sharesWriterWith ?? null;
    this.faults = new FaultState(opts.faultStage ?? 'load', DISK_FAULT_BACKOFF);
  }

  /** Hears the duration of every successful segment load (one transaction), loads done before the call included. */
  observeLoads(fn: (seconds: number) => void): void {
    this.loadObserver = fn;
    for (const s of this.heldLoads ?? []) fn(s);
    this.heldLoads = null;
  }

  private loaded(seconds: number): void {
    if (this.loadObserver) this.loadObserver(seconds);
    else if (this.heldLoads && this.heldLoads.length < 1000) this.heldLoads.push(seconds);
  }

  enqueue(segment: SealedSegment): void {
    this.enqueueAll([segment]);
  }

  /** Queues several segments before the loop picks its first batch (start-up replay). */
  enqueueAll(segments: readonly SealedSegment[]): void {
    if (segments.length === 0) return;
    for (const s of segments) this.queue.push(s);
    this.recount();
    this.kick();
  }

  /** Resolves when the queue is empty (or the loader stopped). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      this.kick();
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Loads everything queued now (`POST /api/storage/seal`): a disk-fault
   * backoff is cut short for one more attempt, and if that attempt fails
   * with a disk fault too the call rejects with `unavailable` instead of
   * waiting for the disk.
   */
  async loadQueued(): Promise<void> {
    const failuresBefore = this.faults.failuresTotal;
    while (this.queue.length > 0 && !this.stopped) {
      const fault = this.faults.current;
      if (fault && this.faults.failuresTotal > failuresBefore) {
        throw unavailable(`loading the write-ahead log into DuckDB failed (${fault.code}): ${fault.message} (nothing acknowledged is lost: the segments stay in the WAL)`,
          Math.max(1, Math.ceil(this.faults.retryInMs() / 1000)));
      }
      if (fault) this.retryAt = 0;
      this.kick();
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops after the segment in progress; what is left is replayed at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || this.stopped || this.queue.length === 0 || Date.now() < this.retryAt) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.nextBatch();
      const t0 = performance.now();
      try {
        const inserted = await this.exclusive(() => this.load(batch));
        this.failures = 0;
        this.queue.splice(0, batch.length);
        this.recount();
        this.stats.loadedSegments += batch.length;
        for (const seg of batch) this.stats.loadedSpans += seg.spans;
        this.stats.insertedSpans += inserted;
        this.stats.lastLoadMs = performance.now() - t0;
        this.loaded(this.stats.lastLoadMs / 1000);
        this.stats.lastError = null;
        const ended = this.faults.clear();
        if (ended) this.log.info({ code: ended.code, since: new Date(ended.since).toISOString(), failures: ended.failures }, 'loading WAL segments works again');
        for (const seg of batch) {
          await unlink(seg.path).catch((err) => this.log.warn({ err, path: seg.path }, 'could not delete loaded WAL segment'));
        }
        // A loaded segment's entry must not reappear after power loss (it would only be skipped, but costs a read).
        await fsyncDir(path.dirname(batch[0].path)).catch((err) => this.log.warn({ err }, 'could not fsync the WAL directory'));
      } catch (err) {
        // The segments stay queued and on disk; nothing is lost, ingest goes on into the WAL.
        this.stats.lastError = (err as Error).message;
        if (isDiskFault(err)) {
          // Not the segment's fault: no isolating, no setting aside, a longer wait each time.
          const first = this.faults.current === null;
          const fault = this.faults.fail(faultOperation(err, 'write'), err);
          if (first) this.log.error({ err, code: fault.code, segments: batch.map((b) => b.path) }, 'loading WAL segments failed: the disk refused the write; retrying with backoff');
          this.scheduleRetry(this.faults.retryInMs());
          return;
        }
        this.failures++;
        this.log.error({ err, segments: batch.map((b) => b.path) }, 'loading WAL segments failed; will retry');
        // Only a deterministic data error is a bad segment; I/O or memory errors are retried forever.
        const dataError = /Invalid Input Error|Conversion Error|JSON/i.test((err as Error).message);
        if (batch.length === 1 && dataError && this.failures >= MAX_SEGMENT_ATTEMPTS) {
          await this.setAsideWhole(batch[0], err as Error);
          continue;
        }
        this.scheduleRetry(RETRY_DELAY_MS);
        return;
      }
    }
  }

  private scheduleRetry(delayMs: number): void {
    this.retryAt = Date.now() + delayMs;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.kick(), delayMs);
    this.retryTimer.unref();
  }

  /**
   * Last resort for a segment whose line-by-line staging keeps failing:
   * moves it whole to `wal/quarantine/` so it cannot block every later
   * segment. Replayable like set-aside lines.
   */
  private async setAsideWhole(seg: SealedSegment, err: Error): Promise<void> {
    await this.quarantined.adoptSegment(seg.path, seg.spans);
    this.queue.shift();
    this.recount();
    this.failures = 0;
    this.log.error({ segment: seg.path, err }, 'WAL segment set aside whole in wal/quarantine after repeated load failures');
  }

  /** Runs `task` on the writer connection, serialized with segment loads (seals, replays). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.shared) return this.shared.exclusive(task);
    const run = this.writing.then(task);
    this.writing = run.catch(() => {});
    return run;
  }

  /** The oldest queued segments, up to the batch bounds; one at a time after a failure, to isolate a bad segment. */
  private nextBatch(): SealedSegment[] {
    if (this.failures > 0) return this.queue.slice(0, 1);
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_BATCH_SEGMENTS && (n === 0 || bytes + this.queue[n].bytes <= MAX_BATCH_BYTES)) {
      bytes += this.queue[n].bytes;
      n++;
    }
    return this.queue.slice(0, n);
  }

  /**
   * Loads segments in one transaction with their `wal_segments` records;
   * returns the spans inserted. The fast stage is one `read_json` statement;
   * if anything in the batch makes it fail, the batch is staged again line by
   * line and only the lines that cannot load are set aside.
   */
  private async load(batch: SealedSegment[]): Promise<number> {
    try {
      return await this.loadOnce(batch, false);
    } catch (err) {
      // A full or read-only disk fails the careful stage the same way, and must never set lines aside.
      if (isDiskFault(err)) throw err;
      this.log.warn({ err, segments: batch.map((s) => s.path) }, 'loading WAL segments in one statement failed; staging them line by line');
      return this.loadOnce(batch, true);
    }
  }

  private async loadOnce(batch: SealedSegment[], careful: boolean): Promise<number> {
    const conn = this.db.writer;
    await conn.run('BEGIN TRANSACTION');
    try {
      const seqs = batch.map((s) => s.seq);
      const done = await conn.runAndReadAll(`SELECT seq FROM ${this.target.segmentsTable} WHERE list_contains($1, seq)`, [listValue(seqs.map((n) => BigInt(n)))], [LIST(BIGINT)]);
      const loaded = new Set(done.getRows().map((r) => Number(r[0])));
      const todo = batch.filter((s) => !loaded.has(s.seq));
      let inserted = 0;
      if (todo.length > 0) {
        if (careful) {
          const rejected: QuarantinedLine[] = [];
          for (let i = 0; i < todo.length; i++) {
            for (const r of await this.target.stageCarefully(conn, await segmentLines(todo[i].path), this.scratchPath(), i > 0)) rejected.push(r);
          }
          // Set aside before the commit: once the segment is recorded as loaded it is deleted.
          await this.setAsideLines(rejected, 'WAL lines set aside in wal/quarantine: the store cannot hold them');
        } else {
          await this.target.stage(conn, todo.map((s) => s.path));
        }
        inserted = await this.target.insert(conn);
        // Inserted rows are attributed to the batch's first segment; the rest record 0.
        for (let i = 0; i < todo.length; i++) {
          const s = todo[i];
          await conn.run(`INSERT INTO ${this.target.segmentsTable} VALUES ($1, $2, $3, $4, now())`, [s.seq, s.spans, i === 0 ? inserted : 0, s.bytes]);
        }
      }
      await conn.run('COMMIT');
      await conn.run(`DROP TABLE IF EXISTS ${this.target.batchTable}`);
      return inserted;
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** Writes rejected lines to one quarantine file per source segment (replacing an earlier attempt's) and logs each file once. */
  private async setAsideLines(rejected: readonly QuarantinedLine[], message: string): Promise<void> {
    const bySegment = new Map<string, QuarantinedLine[]>();
    for (const r of rejected) {
      const list = bySegment.get(r.segment) ?? [];
      list.push(r);
      bySegment.set(r.segment, list);
    }
    for (const [segment, lines] of bySegment) {
      const name = Quarantine.rejectedName(segment);
      await this.quarantined.write(name, lines);
      const file = this.quarantined.list().find((f) => f.name === name);
      this.log.error({ segment, file: name, lines: lines.length, reasons: file?.reasons }, message);
    }
  }

  private scratchPath(): string {
    return path.join(this.quarantined.dir, `stage-${process.pid}.tmp`);
  }

  /**
   * Loads what now fits from every quarantine file (after the cause was
   * fixed, e.g. by an upgrade) and leaves the rest, with current reasons,
   * in place. Identity de-duplication makes a replay safe to repeat, also
   * after a crash halfway through.
   */
  replayQuarantine(): Promise<QuarantineReplay> {
    return this.exclusive(async () => {
      const out: QuarantineReplay = { files: 0, lines: 0, inserted: 0, stillQuarantined: 0 };
      for (const file of this.quarantined.list()) {
        const entries = await this.quarantined.read(file.name);
        out.files++;
        out.lines += entries.length;
        const conn = this.db.writer;
        let rejected: QuarantinedLine[];
        await conn.run('BEGIN TRANSACTION');
        try {
          rejected = await this.target.stageCarefully(conn, entries.map((e) => ({ segment: e.segment, line: e.line, text: e.record })), this.scratchPath());
          out.inserted += await this.target.insert(conn);
          await conn.run('COMMIT');
          await conn.run(`DROP TABLE IF EXISTS ${this.target.batchTable}`);
        } catch (err) {
          await conn.run('ROLLBACK').catch(() => {});
          throw err;
        }
        out.stillQuarantined += rejected.length;
        // A whole segment's remaining lines move to its rejected-lines file, with their reasons.
        const target = file.name.endsWith('.sealed') ? Quarantine.rejectedName(file.name) : file.name;
        if (target !== file.name) {
          const existing = await this.quarantined.read(target).catch(() => [] as QuarantinedLine[]);
          await this.quarantined.write(target, [...existing, ...rejected]);
          await this.quarantined.remove(file.name);
        } else {
          await this.quarantined.write(target, rejected);
        }
      }
      this.log.info(out, 'quarantine replayed');
      return out;
    });
  }

  private recount(): void {
    let bytes = 0;
    let spans = 0;
    let oldest: number | null = null;
    for (const s of this.queue) {
      bytes += s.bytes;
      spans += s.spans;
      if (oldest === null || s.firstWriteAt < oldest) oldest = s.firstWriteAt;
    }
    this.stats.queuedSegments = this.queue.length;
    this.stats.queuedBytes = bytes;
    this.stats.queuedSpans = spans;
    this.stats.oldestFirstWriteAt = oldest;
  }
}
