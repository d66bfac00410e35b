import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { startTestServer, waitLoaded } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';

describe('loader under a small DuckDB memory limit', () => {
  // read_json sized its buffers by maximum_object_size (256 MiB once): below ~2 GB of
  // memory_limit a 6 MB segment then never loaded ("Out of Memory", retried forever).
  it('loads ordinary segments and a WAL line larger than the one-statement stage takes', async () => {
    const s = await startTestServer({ storage: { duckdbMemoryLimit: '256MB' } });
    try {
      const traces = Array.from({ length: 10 }, () => hexId(16));
      for (const t of traces) expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(t, 500))).status).toBe(200);

      // One ~20 MB span (100 events × 100 attributes × 2 KB, all within the span limits).
      const bigTrace = hexId(16);
      const start = BigInt(Date.now()) * 1_000_000n;
      const events = Array.from({ length: 100 }, (_, i) => ({
        name: `e${i}`, timeUnixNano: String(start),
        attributes: Array.from({ length: 100 }, (_, j) => ({ key: `k${j}`, value: { stringValue: 'x'.repeat(2000) } })),
      }));
      const body = { resourceSpans: [{ scopeSpans: [{ spans: [
        { traceId: bigTrace, spanId: hexId(8), name: 'big', startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n), events },
      ] }] }] };
      const res = await fetch(`${s.httpUrl}/v1/traces`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(body)),
      });
      expect(res.status).toBe(200);
      await s.store.wal.sealNow();
      await waitLoaded(s, 30_000);

      const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(h.status).toBe('ok');
      expect(h.store.quarantine.spans).toBe(0);
      for (const t of traces) expect(((await (await fetch(`${s.httpUrl}/api/traces/${t}`)).json()) as any).spanCount).toBe(500);
      const big = (await (await fetch(`${s.httpUrl}/api/traces/${bigTrace}`)).json()) as any;
      expect(big.spans[0].events).toHaveLength(100);
    } finally {
      await s.dispose();
    }
  }, 60_000);
});
