import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { FaultState, type BackoffOptions, type DiskFault, type FaultStage } from '../disk-fault.js';
import { fsyncDir } from './fsync-dir.js';
import { segmentName } from './segment-files.js';
import { PROBE_NAME, probeWrite } from './probe.js';

/** A closed, fsynced segment ready for the loader. */
export interface SealedSegment {
  seq: number;
  path: string;
  bytes: number;
  spans: number;
  /** When its first record was written (ms since epoch); drives the lag age. */
  firstWriteAt: number;
}

export interface WalWriterOptions {
  dir: string;
  /** First sequence number to use (one past the highest on disk). */
  nextSeq: number;
  commitDelayMs: number;
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
  onSealed: (segment: SealedSegment) => void;
  /**
   * Makes the directory's entries durable (default `fsyncDir`): called once
   * per segment after it is created and again after it is renamed to
   * `.sealed`, never per append.
   */
  syncDir?: (dir: string) => Promise<void>;
  /** Backoff of the probe that ends a disk fault (default 250 ms doubling to 5 s). */
  retry?: BackoffOptions;
  /** The stage its disk faults are reported under (default `wal`; the log records' WAL is `logs_wal`). */
  faultStage?: FaultStage;
  log?: Logger;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface OpenSegment {
  seq: number;
  path: string;
  /** Null once closed. */
  fh: FileHandle | null;
  /** Durable length: every byte below it was fsynced, and only whole records. */
  bytes: number;
  spans: number;
  firstWriteAt: number;
  /** Bytes past `bytes` may be in the file (a write or fsync failed after them). */
  dirty: boolean;
  renamed: boolean;
}

/** A failed step of the writer, kept with its cause so the fault names both. */
class WalStepError extends Error {
  readonly code: string | undefined;
  constructor(readonly step: string, readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
    this.code = (original as NodeJS.ErrnoException | null)?.code;
  }
}

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof WalStepError ? err : new WalStepError(name, err);
  }
}

const DEFAULT_RETRY: BackoffOptions = { firstDelayMs: 250, maxDelayMs: 5000 };
/** Extra bytes the probe writes beyond the group that failed, so space freed by cutting that group back cannot pass it. */
const PROBE_MARGIN_BYTES = 64 * 1024;
const PROBE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Append-only segment writer with group commit: appends that arrive while a
 * write+fdatasync is in flight (or within `commitDelayMs`) share the next
 * one, so one fsync covers many requests. An append resolves only after its
 * bytes are on disk; that is the moment a request may be acknowledged.
 *
 * A failed write, fsync, segment creation or seal is a disk fault: every
 * append of the group is rejected, the segment is cut back to its durable
 * length, fsynced and sealed (nothing is ever appended to it again: after a
 * failed fsync its page cache cannot be trusted), and appends are refused
 * until a probe write of at least the failed group's size succeeds; the
 * next append then opens a fresh segment.
 */
export class WalWriter {
  private pending: Buffer[] = [];
  private pendingSpans = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private flushing = false;
  private current: OpenSegment | null = null;
  /** Segments taken out of service whose cut-back, close or seal has not succeeded yet. */
  private stranded: OpenSegment[] = [];
  private nextSeq: number;
  private ageTimer: NodeJS.Timeout;
  private probeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** fdatasync calls so far: fewer than appends when group commit works. */
  syncs = 0;
  /** Hears the duration (seconds) of every successful group-commit fdatasync (metrics). */
  onFsync: ((seconds: number) => void) | null = null;
  readonly faults: FaultState;
  private failedGroupBytes = 0;
  private readonly syncDir: (dir: string) => Promise<void>;

  constructor(private readonly opts: WalWriterOptions) {
    this.nextSeq = opts.nextSeq;
    this.syncDir = opts.syncDir ?? fsyncDir;
    this.faults = new FaultState(opts.faultStage ?? 'wal', opts.retry ?? DEFAULT_RETRY);
    this.ageTimer = setInterval(() => this.sealIfOld(), Math.max(50, Math.floor(opts.segmentMaxAgeMs / 4)));
    this.ageTimer.unref();
  }

  /** Bytes and spans accepted but not yet fsynced. */
  get unsynced(): { bytes: number; spans: number } {
    let bytes = 0;
    for (const b of this.pending) bytes += b.length;
    return { bytes, spans: this.pendingSpans };
  }

  /** The segment being written, if any (for lag reporting). */
  get openStats(): { bytes: number; spans: number; firstWriteAt: number } | null {
    return this.current;
  }

  /** Durable records not yet handed to the loader: the open segment and any a disk fault left unsealed. */
  get unhanded(): { bytes: number; spans: number; segments: number; oldestFirstWriteAt: number | null } {
    const out = { bytes: 0, spans: 0, segments: 0, oldestFirstWriteAt: null as number | null };
    for (const s of this.current ? [this.current, ...this.stranded] : this.stranded) {
      if (s.bytes === 0) continue;
      out.bytes += s.bytes;
      out.spans += s.spans;
      out.segments++;
      out.oldestFirstWriteAt = Math.min(out.oldestFirstWriteAt ?? Infinity, s.firstWriteAt);
    }
    return out;
  }

  /** Non-null while a disk fault refuses appends. */
  get broken(): Error | null {
    const f = this.faults.current;
    return f ? faultError(f) : null;
  }

  /** Appends whole records (NDJSON lines); resolves once they are fsynced. */
  append(records: Buffer, spans: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'));
    const broken = this.broken;
    if (broken) return Promise.reject(broken);
    return new Promise<void>((resolve, reject) => {
      this.pending.push(records);
      this.pendingSpans += spans;
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    // Once closed, close()'s own flush takes whatever is pending: no timer may outlive it.
    if (this.flushing || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.enqueue(() => this.flush());
    }, this.opts.commitDelayMs);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    this.flushing = true;
    const group = this.pending;
    const waiters = this.waiters;
    const spans = this.pendingSpans;
    this.pending = [];
    this.waiters = [];
    this.pendingSpans = 0;
    let bytes = 0;
    for (const b of group) bytes += b.length;
    try {
      // Appends admitted just before a fault was seen: refused with it, without touching the disk.
      const fault = this.faults.current;
      if (fault) {
        for (const w of waiters) w.reject(faultError(fault));
        return;
      }
      if (this.current && this.current.bytes > 0 && this.current.bytes + bytes > this.opts.segmentMaxBytes) {
        await this.seal();
      }
      const seg = this.current ?? (await this.openSegment());
      if (seg.bytes === 0) seg.firstWriteAt = Date.now();
      seg.dirty = true;
      await step('write', async () => {
        let written = 0;
        while (written < bytes) {
          // writev may write partially (a large group, a nearly full disk); continue where it stopped.
          const { bytesWritten } = written === 0
            ? await seg.fh!.writev(group)
            : await seg.fh!.write(Buffer.concat(group).subarray(written));
          written += bytesWritten;
        }
      });
      const t0 = performance.now();
      await step('fsync', () => seg.fh!.datasync());
      seg.dirty = false;
      this.syncs++;
      this.onFsync?.((performance.now() - t0) / 1000);
      seg.bytes += bytes;
      seg.spans += spans;
      for (const w of waiters) w.resolve();
    } catch (err) {
      const fault = this.recordFault(err, bytes);
      for (const w of waiters) w.reject(faultError(fault));
      await this.takeOutOfService();
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private recordFault(err: unknown, groupBytes: number): DiskFault {
    const first = this.faults.current === null;
    const stepErr = err instanceof WalStepError ? err : new WalStepError('write', err);
    const fault = this.faults.fail(stepErr.step, stepErr);
    this.failedGroupBytes = Math.max(this.failedGroupBytes, groupBytes);
    if (first) this.opts.log?.error({ err: stepErr.original, operation: fault.operation, code: fault.code }, 'write-ahead log write failed: refusing ingest (503) until a probe write succeeds');
    this.scheduleProbe();
    return fault;
  }

  /** The open segment will take no more appends: cut back, sealed and handed on now if the disk allows, else by the probe. */
  private async takeOutOfService(): Promise<void> {
    if (this.current) {
      this.stranded.push(this.current);
      this.current = null;
    }
    await this.retireStranded().catch(() => {});
  }

  private async retireStranded(): Promise<void> {
    while (this.stranded.length > 0) {
      await this.retire(this.stranded[0]);
      this.stranded.shift();
    }
  }

  /**
   * Closes a segment for good: cut back to its durable length and fsynced
   * if a failed write may have left bytes past it, then renamed to
   * `.sealed`, the rename made durable, and handed to the loader (a segment
   * with nothing durable is removed instead). Every step is done once, so a
   * retry after a failure resumes where it stopped.
   */
  private async retire(seg: OpenSegment): Promise<void> {
    if (seg.fh) {
      if (seg.dirty) {
        await step('truncate', () => seg.fh!.truncate(seg.bytes));
        await step('fsync', () => seg.fh!.sync());
        seg.dirty = false;
      }
      const fh = seg.fh;
      seg.fh = null;
      // Everything kept is fsynced; Linux releases the descriptor even when close reports an error.
      await fh.close().catch(() => {});
    }
    if (seg.bytes === 0) {
      // An empty .open file is harmless and is removed at start-up if this fails.
      await unlink(seg.path).catch(() => {});
      return;
    }
    const sealedPath = path.join(this.opts.dir, segmentName(seg.seq, true));
    if (!seg.renamed) {
      await step('rename', () => rename(seg.path, sealedPath));
      seg.renamed = true;
    }
    // Persist the new name before the loader owns the segment, so nothing the
    // loader does with it next (load, delete) gets ahead of the rename on disk.
    await step('fsync', () => this.syncDir(this.opts.dir));
    this.opts.onSealed({ seq: seg.seq, path: sealedPath, bytes: seg.bytes, spans: seg.spans, firstWriteAt: seg.firstWriteAt });
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      this.enqueue(() => this.probe());
    }, Math.max(1, this.faults.retryInMs()));
    this.probeTimer.unref();
  }

  /**
   * Ends a fault once the disk takes writes again: finishes retiring the
   * segments it left behind, then writes, fsyncs and removes a probe file
   * at least as large as the group that failed. Until then appends are
   * refused without touching the disk.
   */
  private async probe(): Promise<void> {
    const fault = this.faults.current;
    if (!fault || this.closed) return;
    try {
      await this.retireStranded();
      const size = Math.min(PROBE_MAX_BYTES, this.failedGroupBytes + PROBE_MARGIN_BYTES);
      await step(fault.operation, () => probeWrite(path.join(this.opts.dir, PROBE_NAME), size));
      const ended = this.faults.clear();
      this.failedGroupBytes = 0;
      if (ended) {
        this.opts.log?.info({ operation: ended.operation, code: ended.code, since: new Date(ended.since).toISOString(), failures: ended.failures },
          'write-ahead log writes work again: accepting ingest');
      }
    } catch (err) {
      const stepErr = err instanceof WalStepError ? err : new WalStepError(fault.operation, err);
      this.faults.fail(stepErr.step, stepErr);
      this.scheduleProbe();
    }
  }

  private async openSegment(): Promise<OpenSegment> {
    const seq = this.nextSeq++;
    const p = path.join(this.opts.dir, segmentName(seq, false));
    const fh = await step('create', () => open(p, 'wx'));
    this.current = { seq, path: p, fh, bytes: 0, spans: 0, firstWriteAt: Date.now(), dirty: false, renamed: false };
    // The new name must survive a power loss before the first append to the
    // file is acknowledged: fdatasync on the file does not persist its directory entry.
    await step('create', () => this.syncDir(this.opts.dir));
    return this.current;
  }

  private async seal(): Promise<void> {
    const seg = this.current;
    if (!seg) return;
    // `current` stays set until the loader owns the segment, so the lag never reads 0 in between.
    try {
      await this.retire(seg);
    } catch (err) {
      this.stranded.push(seg);
      throw err;
    } finally {
      this.current = null;
    }
  }

  private sealIfOld(): void {
    const seg = this.current;
    if (!seg || seg.bytes === 0 || this.closed) return;
    if (Date.now() - seg.firstWriteAt < this.opts.segmentMaxAgeMs) return;
    this.enqueue(() => (this.current === seg ? this.seal() : Promise.resolve())).catch((err) => {
      this.recordFault(err, 0);
    });
  }

  /** Seals the open segment now, and any a disk fault left unsealed (used by `POST /api/storage/seal`, shutdown and tests). */
  sealNow(): Promise<void> {
    return this.enqueue(async () => {
      try {
        await this.seal();
        await this.retireStranded();
      } catch (err) {
        // A stranded segment is retried by the probe, so its records reach the loader without another call.
        this.recordFault(err, 0);
        throw err;
      }
    });
  }

  /** Flushes and fsyncs everything appended so far, seals the segment, and refuses further appends. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.probeTimer) {
      clearTimeout(this.probeTimer);
      this.probeTimer = null;
    }
    clearInterval(this.ageTimer);
    await this.enqueue(() => this.flush());
    // What cannot be sealed now stays an .open file, cut at its last whole record by the next start.
    await this.enqueue(async () => {
      await this.seal();
      await this.retireStranded();
    });
  }
}

/** The error every refused append gets while `fault` lasts. */
function faultError(f: DiskFault): Error {
  return new Error(`write-ahead log write failed: ${f.message} (${f.operation}${f.code ? ` ${f.code}` : ''} since ${new Date(f.since).toISOString()}; retrying)`);
}
