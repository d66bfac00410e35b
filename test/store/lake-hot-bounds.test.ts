import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { loadConfig } from '../../src/config/index.js';
import { startTestServer, tempDir, waitFor, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { getJson } from '../helpers/lake.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A native ingest body: `n` spans of one trace (the first the root), starting at `startMs`, one second apart. */
function traceBody(traceId: string, n: number, startMs: number, firstSpan = 0) {
  return {
    projectId: 'default',
    spans: Array.from({ length: n }, (_, i) => ({
      traceId,
      spanId: `s${firstSpan + i}`,
      parentSpanId: firstSpan + i === 0 ? undefined : 's0',
      name: firstSpan + i === 0 ? 'agent.run' : `llm.call.${firstSpan + i}`,
      type: firstSpan + i === 0 ? 'agent' : 'llm_call',
      startedAt: new Date(startMs + (firstSpan + i) * 1000).toISOString(),
      endedAt: new Date(startMs + (firstSpan + i) * 1000 + 500).toISOString(),
      usage: { inputTokens: 10 + i, outputTokens: 5 },
    })),
  };
}

/** What the API answers for these traces: the list with its total, the span query, each trace's detail. */
async function apiView(url: string, traceIds: string[]) {
  const out: Record<string, unknown> = {
    list: (await getJson(`${url}/api/traces?total=1&limit=1000`)).body,
    spans: (await getJson(`${url}/api/traces/spans?total=1&limit=1000`)).body,
  };
  for (const id of traceIds) out[`detail/${id}`] = (await getJson(`${url}/api/traces/${id}`)).body;
  return out;
}

/** Trace ids with a hot summary row (the DuckDB `traces` table, not the merged relation). */
async function hotTraces(s: TestServer): Promise<string[]> {
  return (await s.store.db.reader.runAndReadAll('SELECT trace_id FROM traces ORDER BY trace_id')).getRows().map((r) => String(r[0]));
}
const hotSpans = async (s: TestServer) => (await getJson(`${s.httpUrl}/api/storage`)).body.hot.spans as number;

describe('hot row bounds', () => {
  it('reads storage.hotMaxRows and storage.hotMaxAgeSeconds from the environment, with defaults in minutes and a few hundred thousand rows', () => {
    expect(loadConfig({ env: {} }).storage).toMatchObject({ hotMaxRows: 200_000, hotMaxAgeSeconds: 900 });
    expect(loadConfig({ env: { LOOKSPAN_HOT_MAX_ROWS: '5000', LOOKSPAN_HOT_MAX_AGE_SECONDS: '60' } }).storage)
      .toMatchObject({ hotMaxRows: 5000, hotMaxAgeSeconds: 60 });
    expect(() => loadConfig({ env: { LOOKSPAN_HOT_MAX_ROWS: '0' } })).toThrow(/storage\.hotMaxRows \(LOOKSPAN_HOT_MAX_ROWS\)/);
  });

  it('past hotMaxRows seals the least recently loaded traces, idle or not, with identical API answers; checked again as segments arrive', async () => {
    const dir = await tempDir('lookspan-hot-rows-');
    dirs.push(dir);
    const now = Date.now() - 60_000;
    const first = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
    // Loaded one trace at a time, so each has its own last_loaded_at; no bound yet.
    let s = await startTestServer({ storage: { replica: 'r1', sealIntervalSeconds: 3600 } }, dir);
    let before: Record<string, unknown>;
    try {
      for (const [i, t] of first.entries()) {
        expect((await postJson(`${s.httpUrl}/api/ingest`, traceBody(t, 8, now + i * 10_000))).status).toBe(200);
        await waitLoaded(s);
      }
      before = await apiView(s.httpUrl, first);
      expect((before.list as any).total).toBe(6);
      expect(await hotSpans(s)).toBe(48);
    } finally {
      await s.stop();
    }

    s = await startTestServer({ storage: { replica: 'r1', sealIntervalSeconds: 3600, hotMaxRows: 20 } }, dir);
    try {
      // The periodic check: nothing is idle (300 s) or old (900 s), but 48 hot spans exceed 20:
      // the oldest-loaded traces go until at most 15 (three quarters of the bound) are left.
      const sealed = await s.store.sealIdle();
      expect(sealed).toMatchObject({ traces: 5, spans: 40 });
      expect(await hotTraces(s)).toEqual(['a6']);
      expect(await hotSpans(s)).toBe(8);
      expect(await apiView(s.httpUrl, first)).toEqual(before);
      expect(await s.store.sealIdle()).toBeNull();

      // Ingest past the bound with no periodic check (interval 3600 s): the segments themselves trigger checks.
      const more = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
      for (const [i, t] of more.entries()) {
        expect((await postJson(`${s.httpUrl}/api/ingest`, traceBody(t, 8, now + 60_000 + i * 10_000))).status).toBe(200);
        await waitLoaded(s);
      }
      await waitFor(async () => (await hotSpans(s)) <= 20);
      const hot = await hotTraces(s);
      // The newest traces are the ones kept.
      expect(hot.length).toBeGreaterThan(0);
      expect(hot).toEqual(more.slice(more.length - hot.length));
      const mixed = await apiView(s.httpUrl, [...first, ...more]);
      expect((mixed.list as any).total).toBe(12);
      for (const t of [...first, ...more]) expect((mixed[`detail/${t}`] as any).spanCount).toBe(8);
      // Where a row lives does not show: the same answers once everything is sealed.
      expect((await (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' })).json() as any).storage.hot.spans).toBe(0);
      expect(await apiView(s.httpUrl, [...first, ...more])).toEqual(mixed);
    } finally {
      await s.stop();
    }
  });

  it('past hotMaxAgeSeconds seals a trace that is still receiving spans; its later spans form a new partial summary, merged on read', async () => {
    const s = await startTestServer({ storage: { replica: 'r1', sealIntervalSeconds: 3600, hotMaxAgeSeconds: 120 } });
    try {
      const longAgo = Date.now() - 10 * 60_000;
      expect((await postJson(`${s.httpUrl}/api/ingest`, traceBody('long-run', 3, longAgo))).status).toBe(200);
      expect((await postJson(`${s.httpUrl}/api/ingest`, traceBody('fresh', 2, Date.now() - 5_000))).status).toBe(200);
      await waitLoaded(s);
      const before = await apiView(s.httpUrl, ['long-run', 'fresh']);
      expect((before['detail/long-run'] as any).spanCount).toBe(3);

      // Neither is idle (just loaded); long-run started ten minutes ago, past the two-minute bound.
      expect(await s.store.sealIdle()).toMatchObject({ traces: 1, spans: 3 });
      expect(await hotTraces(s)).toEqual(['fresh']);
      expect(await apiView(s.httpUrl, ['long-run', 'fresh'])).toEqual(before);

      // The trace goes on: a recent span stays hot as a second partial summary of the same trace.
      const late = traceBody('long-run', 1, longAgo, 3);
      late.spans[0].startedAt = new Date(Date.now() - 1_000).toISOString();
      late.spans[0].endedAt = new Date(Date.now() - 500).toISOString();
      expect((await postJson(`${s.httpUrl}/api/ingest`, late)).status).toBe(200);
      await waitLoaded(s);
      expect(await hotTraces(s)).toEqual(['fresh', 'long-run']);
      expect(await s.store.sealIdle()).toBeNull();
      const grown = await apiView(s.httpUrl, ['long-run', 'fresh']);
      const detail = grown['detail/long-run'] as any;
      expect(detail.spanCount).toBe(4);
      expect((grown.list as any).total).toBe(2);
      const listed = (grown.list as any).traces.find((t: any) => t.id === 'long-run');
      expect(listed).toMatchObject({ spanCount: 4, name: 'agent.run' });
      expect(listed.totalUsage.inputTokens).toBe(10 + 11 + 12 + 10);

      // Sealing the rest changes no answer.
      await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' });
      expect(await hotTraces(s)).toEqual([]);
      expect(await apiView(s.httpUrl, ['long-run', 'fresh'])).toEqual(grown);
    } finally {
      await s.dispose();
    }
  });
});
