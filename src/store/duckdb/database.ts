import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError, describeKey } from '../../config/load.js';
import { MEMORY_LIMIT_FORM, THREADS_FORM } from '../../config/schema.js';
import { migrate } from './migrations.js';
import { keepByteOrderMarks } from './text-decoding.js';

export interface DatabaseOptions {
  dataDir: string;
  memoryLimit: string;
  threads: number;
}

/** A data dir already opened by another process (DuckDB holds an OS lock on the file). */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/** The DuckDB settings that come from the configuration: the key that sets each and the form it takes. */
const CONFIGURED_SETTINGS: Record<string, { key: string; form: string }> = {
  memory_limit: { key: 'storage.duckdbMemoryLimit', form: MEMORY_LIMIT_FORM },
  threads: { key: 'storage.duckdbThreads', form: THREADS_FORM },
};

function settingError(name: string, value: string, reason: string, hint?: string): ConfigError {
  const { key, form } = CONFIGURED_SETTINGS[name];
  return new ConfigError(`invalid configuration: ${describeKey(key)}: DuckDB refused ${name}=${JSON.stringify(value)} (${reason}); ${hint ?? `it must be ${form}`}`);
}

/**
 * DuckDB reports a bad setting at open only as "Failed to set config",
 * without naming it: tries each configured setting alone on an in-memory
 * database and returns a ConfigError naming the first one DuckDB refuses.
 */
async function findRefusedSetting(settings: Record<string, string>): Promise<ConfigError | null> {
  for (const [name, value] of Object.entries(settings)) {
    if (!(name in CONFIGURED_SETTINGS)) continue;
    try {
      (await DuckDBInstance.create(':memory:', { [name]: value })).closeSync();
    } catch (err) {
      return settingError(name, value, (err as Error).message.split('\n')[0]);
    }
  }
  return null;
}

/**
 * The DuckDB file under the data dir, with one connection owned by the
 * loader (the single writer) and one for reads, so API queries never queue
 * behind a segment load.
 */
export class Database {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly writer: DuckDBConnection,
    readonly reader: DuckDBConnection,
    readonly file: string,
    readonly schemaVersion: number,
  ) {}

  static async open(opts: DatabaseOptions): Promise<Database> {
    keepByteOrderMarks();
    await mkdir(opts.dataDir, { recursive: true });
    const file = path.join(opts.dataDir, 'lookspan.duckdb');
    // Queries order explicitly, so DuckDB may load segments without keeping
    // file order (measured: ~7% less CPU per load).
    // checkpoint_threshold: at DuckDB's default (16 MB) every 25k-span load (~50 MB of rows)
    // checkpointed, rewriting the table's partly filled row group each time; at 128 MB a load of
    // the realistic mix took ~30% less CPU and about half the wall time (docs/performance.md).
    // Seals still checkpoint after deleting what they moved to the lake.
    const settings: Record<string, string> = { preserve_insertion_order: 'false', checkpoint_threshold: '128MB' };
    if (opts.memoryLimit) settings.memory_limit = opts.memoryLimit;
    if (opts.threads > 0) settings.threads = String(opts.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, settings);
    } catch (err) {
      const msg = (err as Error).message;
      if (/lock/i.test(msg)) {
        throw new DataDirLockedError(
          `data dir ${path.resolve(opts.dataDir)} is in use by another Lookspan process (${msg.split('\n')[0]})`,
        );
      }
      throw (await findRefusedSetting(settings)) ?? err;
    }
    let writer: DuckDBConnection | undefined;
    try {
      writer = await instance.connect();
      // Lake files are immutable, so their footers can be cached: without it every trace lookup
      // re-parses the metadata of every file it may touch (bench/lake-read.ts). A setting of the
      // parquet extension, so it is set once the extension is loaded rather than at create.
      await writer.run('LOAD parquet');
      await writer.run('SET GLOBAL parquet_metadata_cache = true');
      const version = await migrate(writer);
      const reader = await instance.connect();
      return new Database(instance, writer, reader, file, version);
    } catch (err) {
      writer?.closeSync();
      instance.closeSync();
      // A memory_limit DuckDB accepts can still be too small to open the database at all.
      const msg = (err as Error).message;
      if (opts.memoryLimit && /out of memory/i.test(msg)) {
        throw settingError('memory_limit', opts.memoryLimit, `too small to open the database: ${msg.split('\n')[0]}`, 'raise it, e.g. to 2GB');
      }
      throw err;
    }
  }

  /**
   * Runs reads that must agree with each other (a trace's summary and its
   * spans) in one snapshot, on a connection of their own so the transaction
   * never interleaves with other requests on the shared reader.
   */
  async withSnapshot<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.instance.connect();
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        return await fn(conn);
      } finally {
        await conn.run('ROLLBACK').catch(() => {});
      }
    } finally {
      conn.closeSync();
    }
  }

  /** Checkpoints and closes; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.run('CHECKPOINT');
    } catch {
      // A failed checkpoint leaves DuckDB's own WAL, which it replays on open.
    }
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }

  private closed = false;
}
