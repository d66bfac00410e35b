import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { queryRows } from '../analysis/rows.js';

/**
 * A DuckDB connection of its own (the loader owns the writer) whose
 * changes run one at a time, so a read-then-write (a partial update, a
 * firing state) cannot interleave with another change.
 */
export class SerialConnection {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<SerialConnection> {
    return new SerialConnection(await instance.connect());
  }

  rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return queryRows(this.conn, sql, params);
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

  /** Waits for the queued changes, then closes; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.conn.closeSync();
  }
}

/** ISO 8601 UTC with milliseconds, in SQL. */
export const isoMs = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** A JSON column read back as an object (DuckDB returns JSON as text). */
export function jsonColumn<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string') return (v as T) ?? fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
