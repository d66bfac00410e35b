import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '../duckdb/database.js';
import { SegmentLoader } from '../loader.js';
import { Quarantine } from '../quarantine.js';
import { recoverWal } from '../wal/recover.js';
import { WalWriter } from '../wal/writer.js';
import { logTarget } from './load-sql.js';

export interface LogStorageOptions {
  /** `<dataDir>/wal`: the log records' WAL is its `logs/` subdirectory. */
  walDir: string;
  lakeRoot: string;
  commitDelayMs: number;
  segmentMaxBytes: number;
  segmentMaxAgeMs: number;
}

/** What is durable in the log WAL but not loaded yet. */
export interface LogWalLag {
  bytes: number;
  records: number;
  segments: number;
}

/**
 * The OTLP log records' write path beside the spans' one: a WAL of its own
 * under `wal/logs/` (so span segments and their loader stay as they are),
 * acknowledged after its fsync exactly like spans, and a loader that moves
 * its sealed segments into the hot `logs` table in the span loader's queue
 * on the one writer connection (loads, seals and compactions never overlap).
 */
export class LogStorage {
  private constructor(
    readonly wal: WalWriter,
    readonly loader: SegmentLoader,
    /** Resolves once every log segment found at start-up is loaded. */
    readonly replay: Promise<void>,
  ) {}

  static async open(db: Database, opts: LogStorageOptions, spanLoader: SegmentLoader, log: Logger): Promise<LogStorage> {
    const dir = path.join(opts.walDir, 'logs');
    await mkdir(dir, { recursive: true });
    const rows = (await db.writer.runAndReadAll('SELECT seq FROM log_wal_segments')).getRows();
    const loaded = new Set(rows.map((r) => Number(r[0])));
    const maxLoaded = rows.reduce((m, r) => Math.max(m, Number(r[0])), 0);
    const quarantine = new Quarantine(path.join(dir, 'quarantine'));
    const maxQuarantined = await quarantine.scan();
    if (quarantine.totalLines > 0) {
      log.warn({ files: quarantine.list() }, `${quarantine.totalLines} log WAL line(s) are set aside in wal/logs/quarantine; replay them with POST /api/storage/quarantine/replay after fixing the cause`);
    }
    const recovery = await recoverWal(dir, loaded, Math.max(maxLoaded, maxQuarantined), log);
    const loader = new SegmentLoader(db, log, quarantine, undefined, {
      target: logTarget(opts.lakeRoot), sharesWriterWith: spanLoader, faultStage: 'logs_load',
    });
    const wal = new WalWriter({
      dir,
      nextSeq: recovery.nextSeq,
      commitDelayMs: opts.commitDelayMs,
      segmentMaxBytes: opts.segmentMaxBytes,
      segmentMaxAgeMs: opts.segmentMaxAgeMs,
      onSealed: (seg) => loader.enqueue(seg),
      faultStage: 'logs_wal',
      log,
    });
    loader.enqueueAll(recovery.pending);
    if (recovery.pending.length > 0) log.info({ segments: recovery.pending.length, repaired: recovery.repaired }, 'replaying log WAL segments not yet loaded');
    return new LogStorage(wal, loader, loader.drain());
  }

  lag(): LogWalLag {
    const q = this.loader.stats;
    const open = this.wal.unhanded;
    return { bytes: q.queuedBytes + open.bytes, records: q.queuedSpans + open.spans, segments: q.queuedSegments + open.segments };
  }

  /** Seals the open log segment and loads everything queued (`POST /api/storage/seal`). */
  async flush(): Promise<void> {
    await this.wal.sealNow();
    await this.loader.loadQueued();
  }

  /** Seals the WAL and loads what fits before `deadline`; what is left is replayed at the next start. */
  async close(deadline: number): Promise<void> {
    try {
      await this.wal.close();
      const remaining = deadline - Date.now();
      if (remaining > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.loader.drain(), new Promise((r) => { timer = setTimeout(r, remaining); })]);
        clearTimeout(timer);
      }
    } finally {
      await this.loader.stop();
    }
  }
}
