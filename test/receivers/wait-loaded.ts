import { waitFor } from '../helpers/server.js';

/**
 * Waits until every acknowledged span has been moved into DuckDB: the loader
 * has loaded as many spans as the receivers acknowledged, and nothing is
 * queued or open in the WAL.
 *
 * Stricter than `waitLoaded` from ../helpers/server.ts, which trusts the
 * reported WAL lag alone; that lag reads 0 for a moment while a segment is
 * being sealed (see "WAL lag never reads 0 while acknowledged spans are not
 * loaded" in test/api/traces.test.ts), so it can return before the data is
 * queryable.
 */
export async function waitAllLoaded(s: { httpUrl: string }, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => {
    const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
    return h.store.wal.lag.spans === 0 && h.store.wal.queuedSpans === 0 && h.store.loader.loadedSpans >= h.ingest.acceptedSpans;
  }, timeoutMs);
}
