/**
 * GET /api/stats against an independent computation over a generated data
 * set (trace latency percentiles by linear interpolation, error rates,
 * tokens, cost per UTC day), before and after a seal into the lake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatsResponse } from '../../src/api/routes/stats.js';
import { getJson, ingest, percentile, prng, seal, type NativeSpan } from '../helpers/read-data.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DAY = 86_400_000;
const T0 = Date.now();
// The window starts at a UTC midnight, so one trace can cross into it.
const FROM = Math.floor(T0 / DAY) * DAY - 2 * DAY;
const TO = T0 + 60_000;

function generate(): NativeSpan[] {
  const rnd = prng(17);
  const spans: NativeSpan[] = [];
  for (let t = 0; t < 150; t++) {
    // Most inside the window, some a week before it.
    const start = t < 130 ? FROM + Math.floor(rnd() * (T0 - FROM - 120_000)) : FROM - 7 * DAY + t * 60_000;
    const traceId = `stats-${t}`;
    const session = `sess-${t % 23}`;
    const root = { traceId, spanId: `${traceId}-r`, type: 'agent', name: 'run', startedAt: start, sessionId: session };
    const children: NativeSpan[] = [];
    const n = 1 + Math.floor(rnd() * 5);
    let end = start + 5;
    for (let c = 0; c < n; c++) {
      const s0 = start + 5 + Math.floor(rnd() * 2000);
      const dur = 1 + Math.floor(rnd() * (rnd() < 0.1 ? 60_000 : 3000));
      end = Math.max(end, s0 + dur);
      const llm = rnd() < 0.6;
      children.push({
        traceId, spanId: `${traceId}-${c}`, parentSpanId: `${traceId}-r`, type: llm ? 'llm_call' : 'tool_call', name: llm ? 'chat' : 'tool',
        startedAt: s0, endedAt: s0 + dur, status: rnd() < 0.08 ? 'error' : 'ok',
        ...(llm ? { model: 'gpt-4o', provider: 'openai', usage: { inputTokens: Math.floor(rnd() * 4000), outputTokens: Math.floor(rnd() * 500), costUsd: Math.round(rnd() * 1e6) / 1e8 + 1e-8 } }
          : { toolName: 'q', serverName: 'pg' }),
      });
    }
    spans.push({ ...root, endedAt: end, status: 'ok' }, ...children);
  }
  // A trace that began a second before the window: its spans after midnight count, the trace does not.
  spans.push(
    { traceId: 'stats-midnight', spanId: 'm-r', type: 'agent', name: 'run', startedAt: FROM - 1000, endedAt: FROM + 5000, status: 'ok' },
    { traceId: 'stats-midnight', spanId: 'm-1', parentSpanId: 'm-r', type: 'llm_call', name: 'chat', model: 'gpt-4o', startedAt: FROM + 10, endedAt: FROM + 4000,
      usage: { inputTokens: 10, outputTokens: 1, costUsd: 0.5 }, status: 'error' },
  );
  return spans;
}

const spans = generate();

function expected() {
  const traces = new Map<string, { start: number; end: number; error: boolean; session?: string }>();
  for (const s of spans) {
    const t = traces.get(s.traceId) ?? { start: Infinity, end: -Infinity, error: false };
    t.start = Math.min(t.start, s.startedAt);
    t.end = Math.max(t.end, s.endedAt);
    t.error ||= s.status === 'error';
    t.session ??= s.sessionId;
    traces.set(s.traceId, t);
  }
  const inTraces = [...traces.values()].filter((t) => t.start >= FROM && t.start < TO);
  const inSpans = spans.filter((s) => s.startedAt >= FROM && s.startedAt < TO);
  const days = new Map<string, { spans: number; llmCalls: number; errors: number; inputTokens: number; outputTokens: number; costUsd: number }>();
  for (const s of inSpans) {
    const d = new Date(s.startedAt).toISOString().slice(0, 10);
    const g = days.get(d) ?? { spans: 0, llmCalls: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
    g.spans++;
    g.llmCalls += s.type === 'llm_call' ? 1 : 0;
    g.errors += s.status === 'error' ? 1 : 0;
    g.inputTokens += s.usage?.inputTokens ?? 0;
    g.outputTokens += s.usage?.outputTokens ?? 0;
    g.costUsd += s.usage?.costUsd ?? 0;
    days.set(d, g);
  }
  const durations = inTraces.map((t) => t.end - t.start);
  const sum = (f: (s: NativeSpan) => number) => inSpans.reduce((a, s) => a + f(s), 0);
  return {
    traces: inTraces.length,
    errorTraces: inTraces.filter((t) => t.error).length,
    sessions: new Set(inTraces.map((t) => t.session).filter(Boolean)).size,
    spans: inSpans.length,
    errorSpans: sum((s) => (s.status === 'error' ? 1 : 0)),
    llmCalls: sum((s) => (s.type === 'llm_call' ? 1 : 0)),
    toolCalls: sum((s) => (s.type === 'tool_call' ? 1 : 0)),
    inputTokens: sum((s) => s.usage?.inputTokens ?? 0),
    outputTokens: sum((s) => s.usage?.outputTokens ?? 0),
    costUsd: sum((s) => s.usage?.costUsd ?? 0),
    p: [0.5, 0.95, 0.99].map((q) => percentile(durations, q)),
    days: [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await ingest(server, spans);
});
afterAll(async () => server?.dispose());

const path = `/api/stats?from=${FROM}&to=${TO}`;

function check(body: any): void {
  expect(() => StatsResponse.parse(body)).not.toThrow();
  const e = expected();
  expect(body.totals).toMatchObject({
    traces: e.traces, errorTraces: e.errorTraces, sessions: e.sessions, spans: e.spans, errorSpans: e.errorSpans,
    llmCalls: e.llmCalls, toolCalls: e.toolCalls, inputTokens: e.inputTokens, outputTokens: e.outputTokens, totalTokens: e.inputTokens + e.outputTokens,
  });
  expect(body.totals.costUsd).toBeCloseTo(e.costUsd, 10);
  expect(body.errorRate).toBeCloseTo(e.errorTraces / e.traces, 12);
  expect(body.spanErrorRate).toBeCloseTo(e.errorSpans / e.spans, 12);
  expect(body.latency.p50Ms).toBeCloseTo(e.p[0], 6);
  expect(body.latency.p95Ms).toBeCloseTo(e.p[1], 6);
  expect(body.latency.p99Ms).toBeCloseTo(e.p[2], 6);
  expect(body.costPerDay.map((d: any) => d.date)).toEqual(e.days.map(([d]) => d));
  for (const [i, [, g]] of e.days.entries()) {
    expect(body.costPerDay[i]).toMatchObject({ spans: g.spans, llmCalls: g.llmCalls, errors: g.errors, inputTokens: g.inputTokens, outputTokens: g.outputTokens });
    expect(body.costPerDay[i].costUsd).toBeCloseTo(g.costUsd, 10);
  }
  expect(body.costPerDayHasMore).toBe(false);
}

describe('GET /api/stats', () => {
  let before: any;
  it('totals, error rates, trace latency percentiles and cost per day match the independent computation', async () => {
    const r = await getJson(server, path);
    expect(r.status).toBe(200);
    check(r.body);
    // The trace that began before the window is not one of its traces, but its spans inside are.
    expect(r.body.totals.traces).toBe(130);
    before = r.body;
  });

  it('answers the same after the data is sealed into the lake', async () => {
    await seal(server);
    const r = await getJson(server, path);
    check(r.body);
    expect(r.body).toEqual(before);
  });

  it('an empty window has zero totals and null rates', async () => {
    const r = await getJson(server, `/api/stats?from=${FROM - 30 * DAY}&to=${FROM - 29 * DAY}`);
    expect(r.body.totals.traces).toBe(0);
    expect(r.body.errorRate).toBeNull();
    expect(r.body.latency).toBeNull();
    expect(r.body.costPerDay).toEqual([]);
  });

  it('window=all covers the history; invalid parameters are 400s naming them', async () => {
    const all = await getJson(server, '/api/stats?window=all');
    expect(all.body.totals.spans).toBe(spans.length);
    for (const [q, name] of [['window=1w', 'window'], ['to=not-a-time', 'to'], ['from=99999999999999999', 'from']]) {
      const r = await getJson(server, `/api/stats?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.problems[0].path).toBe(name);
    }
  });
});
