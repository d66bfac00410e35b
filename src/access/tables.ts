import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

/**
 * The access-control tables' own DuckDB connection (the loader owns the
 * writer): keys, projects, users, sessions, settings and the audit log are
 * small, config-like tables (they grow with people and keys, not with
 * spans), so they stay native DuckDB tables. Changes run one at a time, so
 * a check-then-write (409 on create, 404 on update) never interleaves.
 */
export class AccessTables {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<AccessTables> {
    return new AccessTables(await instance.connect());
  }

  async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return (await this.conn.runAndReadAll(sql, params)).getRowObjects() as Record<string, unknown>[];
  }

  async run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    await this.conn.run(sql, params);
  }

  /** Runs `fn` after every change queued before it. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Waits for queued changes, then closes the connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.conn.closeSync();
  }
}

/** Microseconds since the epoch, as the tables' TIMESTAMP parameters take them (`make_timestamp($n::BIGINT)`). */
export const nowMicros = (nowMs = Date.now()) => Math.round(nowMs * 1000);

/** A TIMESTAMP column read as `epoch_us(col)` → ISO 8601 (null stays null). */
export function isoFromMicros(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return new Date(Number(v) / 1000).toISOString();
}
