import type { DuckDBInstance } from '@duckdb/node-api';

/** How long a span count is reused by later scrapes. */
const MAX_AGE_MS = 5000;

/**
 * `lookspan_store_spans`: `count(*)` over the spans table (a few ms on
 * millions of rows in DuckDB), on a connection of its own so a scrape never
 * waits behind an API query, and at most once per `maxAgeMs` however often
 * Prometheus scrapes. `close` stops new counts and waits for one in flight,
 * so none runs while the store closes.
 */
export class StoredSpanCount {
  private value: number | null = null;
  private at = 0;
  private running: Promise<number | null> | null = null;
  private closed = false;

  constructor(private readonly instance: DuckDBInstance, private readonly maxAgeMs = MAX_AGE_MS) {}

  get(): Promise<number | null> {
    if (this.closed || Date.now() - this.at < this.maxAgeMs) return Promise.resolve(this.value);
    this.running ??= this.count().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async count(): Promise<number | null> {
    try {
      const conn = await this.instance.connect();
      try {
        const rows = (await conn.runAndReadAll('SELECT count(*) FROM all_spans')).getRows();
        this.value = Number(rows[0][0]);
        this.at = Date.now();
      } finally {
        conn.closeSync();
      }
    } catch {
      // Keep the last count: the store may be closing, and a scrape must not fail for it.
    }
    return this.value;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.running) await this.running;
  }
}
