import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { startTestServer, tempDir, waitLoaded } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** One OTLP/JSON span with the given overrides (attributes appended to a chat span's). */
function otlpSpan(traceId: string, over: Record<string, unknown> = {}, attrs: unknown[] = []) {
  const start = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId, spanId: hexId(8), name: 'chat gpt-4o', kind: 3,
    startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5_000_000n),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
      ...attrs,
    ],
    ...over,
  };
}

const request = (spans: unknown[]) => ({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] });

async function traceOf(url: string, id: string): Promise<any> {
  const res = await fetch(`${url}/api/traces/${id}`);
  return res.status === 200 ? res.json() : null;
}

describe('values the store cannot hold', () => {
  it("rejects client B's out-of-range spans on their own and keeps every span of client A in the same segment, across a restart", async () => {
    const dir = await tempDir('lookspan-ranges-');
    dirs.push(dir);
    // One segment window for both clients.
    let s = await startTestServer({ pipeline: { segmentMaxAgeMs: 2000 } }, dir);
    const aTraces = [hexId(16), hexId(16)];
    try {
      for (const t of aTraces) expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(t, 3))).status).toBe(200);

      const bTrace = hexId(16);
      const hugeTokens = otlpSpan(bTrace, {}, [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '99999999999999999999' } }]);
      const hugeStart = otlpSpan(bTrace, { startTimeUnixNano: '99999999999999999999999' });
      const fine = otlpSpan(bTrace);
      const res = await postJson(`${s.httpUrl}/v1/traces`, request([hugeTokens, hugeStart, fine]));
      expect(res.status).toBe(200);
      const body = (await res.json()) as any;
      expect(Number(body.partialSuccess.rejectedSpans)).toBe(2);
      expect(body.partialSuccess.errorMessage).toMatch(/input_tokens must not exceed/);
      expect(body.partialSuccess.errorMessage).toMatch(/start time: timestamp must not be after 2262/);

      const native = await postJson(`${s.httpUrl}/api/ingest`, {
        spans: [{ traceId: 'b-native', spanId: 's1', name: 'x', startedAt: 1e20 }],
      });
      expect(native.status).toBe(400);
      expect(((await native.json()) as any).error.problems[0].path).toBe('spans[0].startedAt');

      const tool = await postJson(`${s.httpUrl}/api/traces/spans`, [{
        server_name: 'srv', tool_name: 'tool', started_at: '2026-06-02T10:00:00Z', latency_ms: 1e300,
      }]);
      expect(tool.status).toBe(400);
      expect(((await tool.json()) as any).error.problems[0].path).toBe('[0].latency_ms');

      // The same span set arriving via the late check (start + latency beyond the range) is a 400 too.
      const late = await postJson(`${s.httpUrl}/api/traces/spans`, [{
        server_name: 'srv', tool_name: 'tool', started_at: '2262-04-11T00:00:00Z', latency_ms: 1e12,
      }]);
      expect(late.status).toBe(400);
      expect(((await late.json()) as any).error.message).toMatch(/spans\[0\]: end time/);

      await s.store.wal.sealNow();
      await waitLoaded(s);
      for (const t of aTraces) expect((await traceOf(s.httpUrl, t))?.spanCount).toBe(3);
      expect((await traceOf(s.httpUrl, bTrace))?.spanCount).toBe(1);
      const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(h.status).toBe('ok');
      expect(h.store.quarantine.spans).toBe(0);
    } finally {
      await s.stop();
    }
    s = await startTestServer({}, dir);
    try {
      for (const t of aTraces) expect((await traceOf(s.httpUrl, t))?.spanCount).toBe(3);
    } finally {
      await s.stop();
    }
  });

  it('clamps a span that ends before it starts to duration 0 and flags it', async () => {
    const s = await startTestServer();
    try {
      const traceId = hexId(16);
      const span = otlpSpan(traceId);
      const start = BigInt(span.startTimeUnixNano);
      span.endTimeUnixNano = String(start - 3_000_000n);
      const noEnd = otlpSpan(traceId, { endTimeUnixNano: undefined });
      expect((await postJson(`${s.httpUrl}/v1/traces`, request([span, noEnd]))).status).toBe(200);
      await waitLoaded(s);
      const t = await traceOf(s.httpUrl, traceId);
      expect(t.spanCount).toBe(2);
      expect(t.durationMs).toBeGreaterThanOrEqual(0);
      const byId = new Map<string, any>(t.spans.map((x: any) => [x.id, x]));
      const clamped = byId.get(span.spanId);
      expect(clamped.durationMs).toBe(0);
      expect(clamped.endedAt).toBe(clamped.startedAt);
      expect(clamped.attributes['lookspan.clamped_end_us']).toBe(Number((start - 3_000_000n) / 1000n));
      expect(byId.get(noEnd.spanId).attributes['lookspan.clamped_end_us']).toBe(0);
    } finally {
      await s.dispose();
    }
  });

  it('stores native text with lone surrogates (as U+FFFD) instead of writing a WAL line DuckDB refuses', async () => {
    const s = await startTestServer();
    try {
      const body = '{"spans":[{"traceId":"surrogate","spanId":"s1","name":"a\\ud800b","startedAt":"2026-06-02T10:00:00Z",'
        + '"input":{"k\\udc00":"\\udfff"},"attributes":{"x":"\\ud83d"}}]}';
      const res = await fetch(`${s.httpUrl}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(200);
      await waitLoaded(s);
      const t = await traceOf(s.httpUrl, 'surrogate');
      expect(t.spans[0].name).toBe('a\ufffdb');
      expect(t.spans[0].attributes.x).toBe('\ufffd');
      const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(h.status).toBe('ok');
    } finally {
      await s.dispose();
    }
  });

  it('regressions from the fuzz suite: Object.prototype names as attribute values, a leading BOM, the reserved trace id "spans"', async () => {
    const s = await startTestServer();
    try {
      const traceId = hexId(16);
      const spans = ['constructor', 'toString', '__proto__', 'hasOwnProperty'].flatMap((v) => [
        otlpSpan(traceId, {}, [{ key: 'gen_ai.operation.name', value: { stringValue: v } }]),
        otlpSpan(traceId, {}, [{ key: 'traceloop.span.kind', value: { stringValue: v } }]),
        otlpSpan(traceId, {}, [{ key: 'langfuse.observation.type', value: { stringValue: v } }, { key: 'gen_ai.system', value: { stringValue: v } }]),
      ]);
      expect((await postJson(`${s.httpUrl}/v1/traces`, request(spans))).status).toBe(200);

      const bom = await postJson(`${s.httpUrl}/api/ingest`, { spans: [{ traceId: '\ufeffbom', spanId: '\ufeffs1', name: '\ufeffn', startedAt: 0 }] });
      expect(bom.status).toBe(200);
      const reserved = await postJson(`${s.httpUrl}/api/ingest`, { spans: [{ traceId: 'spans', spanId: 's1', name: 'n', startedAt: 0 }] });
      expect(reserved.status).toBe(400);
      expect(((await reserved.json()) as any).error.problems[0].path).toBe('spans[0].traceId');

      await waitLoaded(s);
      const t = await traceOf(s.httpUrl, traceId);
      expect(t.spanCount).toBe(spans.length);
      for (const x of t.spans) expect(['llm_call', 'tool_call', 'agent', 'chain', 'retriever', 'embedding', 'mcp', 'other']).toContain(x.type);
      const b = await traceOf(s.httpUrl, encodeURIComponent('\ufeffbom'));
      expect(b.traceId ?? b.id).toBe('\ufeffbom');
      expect(b.spans[0].id).toBe('\ufeffs1');
      expect(b.spans[0].name).toBe('\ufeffn');
      const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(h.status).toBe('ok');
    } finally {
      await s.dispose();
    }
  });

  it('reports spans repeated within one native request as duplicates, stored once', async () => {
    const s = await startTestServer();
    try {
      const span = { traceId: 'dup-trace', spanId: 's1', name: 'agent.run', startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z' };
      const res = await postJson(`${s.httpUrl}/api/ingest`, { spans: [span, { ...span, name: 'second copy' }, { ...span, spanId: 's2' }] });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ accepted: 2, rejected: 0, duplicates: 1 });
      const tool = { server_name: 'srv', tool_name: 't', started_at: '2026-06-02T10:00:00Z', trace_id: 'dup-tool', span_id: 'a' };
      const res2 = await postJson(`${s.httpUrl}/api/traces/spans`, [tool, tool]);
      expect(res2.status).toBe(202);
      expect(await res2.json()).toEqual({ accepted: 1, rejected: 0, duplicates: 1 });
      await waitLoaded(s);
      const t = await traceOf(s.httpUrl, 'dup-trace');
      expect(t.spanCount).toBe(2);
      expect(t.spans.find((x: any) => x.id === 's1').name).toBe('agent.run');
    } finally {
      await s.dispose();
    }
  });
});
