import { open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from './fsync-dir.js';
import { segmentName } from './segment-files.js';

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
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

interface OpenSegment {
  seq: number;
  path: string;
  fh: FileHandle;
  bytes: number;
  spans: number;
  firstWriteAt: number;
}

/**
 * Append-only segment writer with group commit: appends that arrive while a
 * write+fdatasync is in flight (or within `commitDelayMs`) share the next
 * one, so one fsync covers many requests. An append resolves only after its
 * bytes are on disk; that is the moment a request may be acknowledged.
 */
export class WalWriter {
  private pending: Buffer[] = [];
  private pendingSpans = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private flushing = false;
  private current: OpenSegment | null = null;
  private nextSeq: number;
  private ageTimer: NodeJS.Timeout;
  private closed = false;
  /** fdatasync calls so far: fewer than appends when group commit works. */
  syncs = 0;
  /** Hears the duration (seconds) of every successful group-commit fdatasync (metrics). */
  onFsync: ((seconds: number) => void) | null = null;
  /** Set when a write or fsync failed: after a failed fsync the page cache can no longer be trusted. */
  private failure: Error | null = null;
  private readonly syncDir: (dir: string) => Promise<void>;

  constructor(private readonly opts: WalWriterOptions) {
    this.nextSeq = opts.nextSeq;
    this.syncDir = opts.syncDir ?? fsyncDir;
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

  get broken(): Error | null {
    return this.failure;
  }

  /** Appends whole records (NDJSON lines); resolves once they are fsynced. */
  append(records: Buffer, spans: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('write-ahead log is closed'));
    if (this.failure) return Promise.reject(this.failure);
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
      if (this.failure) throw this.failure;
      if (this.current && this.current.bytes > 0 && this.current.bytes + bytes > this.opts.segmentMaxBytes) {
        await this.seal();
      }
      const seg = this.current ?? (await this.openSegment());
      if (seg.bytes === 0) seg.firstWriteAt = Date.now();
      let written = 0;
      while (written < bytes) {
        // writev may write partially for very large groups; continue where it stopped.
        const { bytesWritten } = written === 0
          ? await seg.fh.writev(group)
          : await seg.fh.write(Buffer.concat(group).subarray(written));
        written += bytesWritten;
      }
      const t0 = performance.now();
      await seg.fh.datasync();
      this.syncs++;
      this.onFsync?.((performance.now() - t0) / 1000);
      seg.bytes += bytes;
      seg.spans += spans;
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.failure ??= new Error(`write-ahead log write failed: ${(err as Error).message}`);
      for (const w of waiters) w.reject(this.failure);
    } finally {
      this.flushing = false;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async openSegment(): Promise<OpenSegment> {
    const seq = this.nextSeq++;
    const p = path.join(this.opts.dir, segmentName(seq, false));
    const fh = await open(p, 'wx');
    this.current = { seq, path: p, fh, bytes: 0, spans: 0, firstWriteAt: Date.now() };
    // The new name must survive a power loss before the first append to the
    // file is acknowledged: fdatasync on the file does not persist its directory entry.
    await this.syncDir(this.opts.dir);
    return this.current;
  }

  private async seal(): Promise<void> {
    const seg = this.current;
    if (!seg) return;
    // `current` stays set until the loader owns the segment, so the lag never reads 0 in between.
    try {
      await seg.fh.close();
      if (seg.bytes === 0) return; // an empty .open file is harmless and is removed at start-up
      const sealedPath = path.join(this.opts.dir, segmentName(seg.seq, true));
      await rename(seg.path, sealedPath);
      // Persist the new name before the loader owns the segment, so nothing the
      // loader does with it next (load, delete) gets ahead of the rename on disk.
      await this.syncDir(this.opts.dir);
      this.opts.onSealed({ seq: seg.seq, path: sealedPath, bytes: seg.bytes, spans: seg.spans, firstWriteAt: seg.firstWriteAt });
    } finally {
      this.current = null;
    }
  }

  private sealIfOld(): void {
    const seg = this.current;
    if (!seg || seg.bytes === 0 || this.closed) return;
    if (Date.now() - seg.firstWriteAt < this.opts.segmentMaxAgeMs) return;
    this.enqueue(() => (this.current === seg ? this.seal() : Promise.resolve())).catch((err) => {
      this.failure ??= new Error(`sealing a WAL segment failed: ${(err as Error).message}`);
    });
  }

  /** Seals the open segment now (used by shutdown and tests). */
  sealNow(): Promise<void> {
    return this.enqueue(() => this.seal());
  }

  /** Flushes and fsyncs everything appended so far, seals the segment, and refuses further appends. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    clearInterval(this.ageTimer);
    await this.enqueue(() => this.flush());
    await this.enqueue(() => this.seal());
  }
}
