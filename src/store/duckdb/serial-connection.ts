import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/**
 * A DuckDB connection of its own (the loader owns the writer) for small,
 * config-like tables, whose changes run one at a time (`serial`), so a
 * check-then-write (409 on create, a partial update, a firing state) never
 * interleaves with another change. Access control and alerting each keep one.
 */
export class SerialConnection {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  protected constructor(protected readonly conn: DuckDBConnection) {}

  /** Rows as objects, values as DuckDB returns them (BIGINT as bigint). */
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
