import path from 'node:path';
import type { Logger } from 'pino';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { S3Bucket, S3Target } from './mirror-s3.js';

export interface MirrorOptions {
  /** The lake directory whose committed files (`lake_files`) are mirrored. */
  lakeRoot: string;
  /** Uploads and deletes in flight at once. */
  concurrency: number;
  /**
   * An object whose lake file was replaced by a compaction or dropped by
   * retention is deleted from the bucket this long after the mirror first
   * sees it gone (a reader of the bucket that listed it may still read it).
   */
  deleteGraceMs: number;
}

/** What `GET /api/storage` reports under `mirror`. */
export interface MirrorStatus {
  enabled: boolean;
  target?: { bucket: string; prefix: string; endpoint: string; region: string };
  /** Committed lake files not yet in the bucket (in flight and failing included). */
  pending?: { files: number; bytes: number };
  /** Committed lake files the bucket holds (recorded in lake_mirror_objects). */
  uploaded?: { files: number; bytes: number };
  inFlight?: number;
  /** Pending files whose last attempt failed; each is retried with backoff. */
  failing?: number;
  /** Objects whose lake file is gone (compacted or dropped), deleted after the grace period once no upload is pending. */
  awaitingDelete?: number;
  /** Since this process started. */
  session?: { uploadedFiles: number; uploadedBytes: number; deletedObjects: number; failures: number };
  lastUploadAt?: string | null;
  lastError?: { path: string; op: 'upload' | 'delete'; message: string; at: string; attempts: number } | null;
}

interface Failure { attempts: number; nextAt: number; missing: boolean }

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 300_000;
/** A rescan even without a commit (retries due, deletes past their grace). */
const RESCAN_MS = 30_000;

const PENDING_SQL = `
  SELECT f.path, f.bytes FROM lake_files f
  WHERE NOT EXISTS (SELECT 1 FROM lake_mirror_objects m WHERE m.target = $1 AND m.path = f.path)
  ORDER BY f.created_at, f.path`;
const ORPHANS_SQL = `
  SELECT m.path, m.key FROM lake_mirror_objects m
  WHERE m.target = $1 AND NOT EXISTS (SELECT 1 FROM lake_files f WHERE f.path = m.path)
  ORDER BY m.path`;

const errorText = (err: unknown) => {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}${status}`;
};

/**
 * Copies every committed lake file to an S3 bucket under the same key
 * layout, in the background: nothing in ingest, loads or seals waits for it.
 * What is to do is derived, not queued: the files `lake_files` names minus
 * those `lake_mirror_objects` records as uploaded to this target. An upload
 * is recorded only after the bucket answered success, so a restart resumes
 * exactly the files not yet up and never uploads a recorded one again.
 * Objects whose file a compaction replaced or retention dropped are deleted
 * from the bucket (else a reader of the bucket would count their rows twice
 * next to the compacted file), but only once no upload is pending, so the
 * file that replaced them is in the bucket first.
 */
export class LakeMirror {
  private readonly failures = new Map<string, Failure>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly orphanSince = new Map<string, number>();
  private readonly abort = new AbortController();
  private chain: Promise<unknown> = Promise.resolve();
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly rescanTimer: NodeJS.Timeout;
  private stopped: Promise<void> | null = null;
  private lastError: MirrorStatus['lastError'] = null;
  private lastUploadAt: string | null = null;
  /** Pending files at the last scan (for /metrics, which cannot wait for a query). */
  private pendingAtScan = 0;
  private readonly session = { uploadedFiles: 0, uploadedBytes: 0, deletedObjects: 0, failures: 0 };

  constructor(
    private readonly bucket: S3Bucket,
    private readonly conn: DuckDBConnection,
    private readonly opts: MirrorOptions,
    private readonly log: Logger,
  ) {
    this.rescanTimer = setInterval(() => this.kick(), RESCAN_MS);
    this.rescanTimer.unref();
  }

  /** Looks for work now (after a seal, compaction or retention commits, and at start). Never waits for it. */
  kick(): void {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan()
      .catch((err) => this.log.error({ err: errorText(err) }, 'the lake mirror could not read its work list; retrying'))
      .finally(() => {
        this.scanning = null;
        if (this.rescan) {
          this.rescan = false;
          this.kick();
        }
      });
  }

  /** Statements on the mirror's own connection, one at a time. */
  private db<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const p = this.chain.then(() => fn(this.conn));
    this.chain = p.catch(() => {});
    return p;
  }

  private async scan(): Promise<void> {
    const target = this.bucket.id;
    const pending = (await this.db((c) => c.runAndReadAll(PENDING_SQL, [target]))).getRows().map((r) => String(r[0]));
    const now = Date.now();
    let next = Infinity;
    let blocking = 0;
    const pendingSet = new Set(pending);
    this.pendingAtScan = pending.length;
    for (const rel of pending) {
      if (this.stopped) return;
      const f = this.failures.get(`put:${rel}`);
      if (!f?.missing) blocking++;
      if (this.inFlight.has(`put:${rel}`)) continue;
      if (f && f.nextAt > now) {
        next = Math.min(next, f.nextAt);
        continue;
      }
      if (this.inFlight.size < this.opts.concurrency) this.run(`put:${rel}`, () => this.upload(rel));
    }
    // A file compacted away before it went up is no longer pending: forget its failures.
    for (const k of this.failures.keys()) if (k.startsWith('put:') && !pendingSet.has(k.slice(4))) this.failures.delete(k);
    if (blocking === 0) {
      const orphans = (await this.db((c) => c.runAndReadAll(ORPHANS_SQL, [target]))).getRows().map((r) => ({ rel: String(r[0]), key: String(r[1]) }));
      const seen = new Set(orphans.map((o) => o.rel));
      for (const k of this.orphanSince.keys()) if (!seen.has(k)) this.orphanSince.delete(k);
      for (const o of orphans) {
        const since = this.orphanSince.get(o.rel) ?? now;
        this.orphanSince.set(o.rel, since);
        const f = this.failures.get(`del:${o.rel}`);
        const due = Math.max(since + this.opts.deleteGraceMs, f?.nextAt ?? 0);
        if (this.inFlight.has(`del:${o.rel}`)) continue;
        if (due > now) {
          next = Math.min(next, due);
          continue;
        }
        if (this.inFlight.size < this.opts.concurrency) this.run(`del:${o.rel}`, () => this.remove(o.rel, o.key));
      }
    }
    this.retryAt(next);
  }

  private retryAt(at: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!Number.isFinite(at) || this.stopped) return;
    this.retryTimer = setTimeout(() => this.kick(), Math.max(0, at - Date.now()));
    this.retryTimer.unref();
  }

  private run(task: string, fn: () => Promise<void>): void {
    const p = fn()
      .then(() => {
        this.failures.delete(task);
      }, (err) => this.failed(task, err))
      .finally(() => {
        this.inFlight.delete(task);
        this.kick();
      });
    this.inFlight.set(task, p);
  }

  private async upload(rel: string): Promise<void> {
    const key = this.bucket.key(rel);
    const { etag, bytes } = await this.bucket.put(key, path.join(this.opts.lakeRoot, rel), this.abort.signal);
    await this.db((c) => c.run('INSERT OR REPLACE INTO lake_mirror_objects VALUES ($1, $2, $3, $4, $5, now())', [this.bucket.id, rel, key, bytes, etag]));
    this.session.uploadedFiles++;
    this.session.uploadedBytes += bytes;
    this.lastUploadAt = new Date().toISOString();
    this.log.debug({ file: rel, key, bytes }, 'uploaded a lake file to the mirror');
  }

  private async remove(rel: string, key: string): Promise<void> {
    await this.bucket.delete(key, this.abort.signal);
    await this.db((c) => c.run('DELETE FROM lake_mirror_objects WHERE target = $1 AND path = $2', [this.bucket.id, rel]));
    this.orphanSince.delete(rel);
    this.session.deletedObjects++;
    this.log.debug({ file: rel, key }, 'deleted a replaced lake file from the mirror');
  }

  private failed(task: string, err: unknown): void {
    if (this.stopped) return; // aborted by stop(): resumed at the next start
    const prev = this.failures.get(task);
    const attempts = (prev?.attempts ?? 0) + 1;
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    // Exponential backoff with jitter, so replicas retrying against one bucket spread out.
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempts - 1)) * (0.8 + Math.random() * 0.4);
    this.failures.set(task, { attempts, nextAt: Date.now() + delay, missing });
    this.session.failures++;
    const op = task.startsWith('put:') ? 'upload' : 'delete';
    const rel = task.slice(4);
    const message = missing ? `the lake file is missing on disk: ${errorText(err)}` : errorText(err);
    this.lastError = { path: rel, op, message, at: new Date().toISOString(), attempts };
    this.log.warn({ file: rel, attempts, retryInSeconds: Math.round(delay / 1000), error: message }, `lake mirror ${op} failed; will retry`);
  }

  /** Counts for /metrics, without a query: pending files as of the last scan (at most 30 s old), the rest since start. */
  counters(): { pendingFiles: number; failing: number; uploadedFiles: number; uploadedBytes: number; deletedObjects: number; failures: number } {
    return {
      pendingFiles: this.pendingAtScan,
      failing: [...this.failures.keys()].filter((k) => k.startsWith('put:')).length,
      ...this.session,
    };
  }

  /** The mirror's state, counted in `conn`'s snapshot of the catalog. */
  async status(conn: DuckDBConnection): Promise<MirrorStatus> {
    const target = this.bucket.id;
    const exists = 'EXISTS (SELECT 1 FROM lake_files f WHERE f.path = m.path)';
    const r = (await conn.runAndReadAll(`
      SELECT
        (SELECT count(*) FROM lake_mirror_objects m WHERE m.target = $1 AND ${exists}),
        (SELECT coalesce(sum(bytes), 0) FROM lake_mirror_objects m WHERE m.target = $1 AND ${exists}),
        (SELECT count(*) FROM lake_files f WHERE NOT EXISTS (SELECT 1 FROM lake_mirror_objects m WHERE m.target = $1 AND m.path = f.path)),
        (SELECT coalesce(sum(bytes), 0) FROM lake_files f WHERE NOT EXISTS (SELECT 1 FROM lake_mirror_objects m WHERE m.target = $1 AND m.path = f.path)),
        (SELECT count(*) FROM lake_mirror_objects m WHERE m.target = $1 AND NOT ${exists})`,
    [target])).getRows()[0].map(Number);
    const t = this.bucket.target;
    return {
      enabled: true,
      target: { bucket: t.bucket, prefix: t.prefix, endpoint: t.endpoint, region: t.region },
      pending: { files: r[2], bytes: r[3] },
      uploaded: { files: r[0], bytes: r[1] },
      inFlight: this.inFlight.size,
      failing: [...this.failures.keys()].filter((k) => k.startsWith('put:')).length,
      awaitingDelete: r[4],
      session: { ...this.session },
      lastUploadAt: this.lastUploadAt,
      lastError: this.lastError,
    };
  }

  /**
   * Stops: aborts requests in flight (an upload not recorded is done again
   * at the next start; the same key and bytes, so harmless), waits for them
   * and closes the connection. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.rescanTimer);
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.abort.abort();
      await this.scanning;
      await Promise.allSettled([...this.inFlight.values()]);
      await this.chain;
      this.conn.closeSync();
      this.bucket.close();
    })();
    return this.stopped;
  }
}

/** The mirror of `storage.mirror`. The AWS SDK is loaded only here: it is large, and a store without a mirror never needs it. */
export async function openMirror(target: S3Target, instance: DuckDBInstance, opts: MirrorOptions, log: Logger): Promise<LakeMirror> {
  const { S3Bucket } = await import('./mirror-s3.js');
  return new LakeMirror(new S3Bucket(target), await instance.connect(), opts, log);
}
