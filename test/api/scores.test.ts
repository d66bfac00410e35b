import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScoreResponse } from '../../src/api/routes/scores.js';
import { TraceDetailResponse } from '../../src/api/routes/traces.js';
import type { TestServer } from '../helpers/server.js';
import { call, ingestSpan, startEvalServer } from '../evals/helpers.js';

let s: TestServer;
let traceId: string;
let spanId: string;
beforeAll(async () => {
  // Scores need no provider.
  s = await startEvalServer(null);
  ({ traceId, spanId } = await ingestSpan(s, { name: 'chat', scope: 'test', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5 } }));
});
afterAll(async () => { await s.dispose(); });

const post = (body: unknown, id = traceId) => call(s, 'POST', `/api/traces/${id}/scores`, body);

describe('POST /api/traces/:id/scores', () => {
  it('stores numeric, boolean and categorical scores, each typed', async () => {
    const n = await post({ name: 'helpfulness', value: 0.75, comment: 'mostly' });
    expect(n.status).toBe(200);
    expect(ScoreResponse.parse(n.body)).toMatchObject({ traceId, spanId: null, name: 'helpfulness', source: 'api', dataType: 'numeric', value: 0.75, label: null, comment: 'mostly', created: true });
    const b = await post({ name: 'resolved', value: true, source: 'sdk', spanId });
    expect(b.body).toMatchObject({ dataType: 'boolean', value: 1, label: 'true', spanId, source: 'sdk' });
    const c = await post({ name: 'tone', value: 'friendly' });
    expect(c.body).toMatchObject({ dataType: 'categorical', value: null, label: 'friendly' });
  });

  it('updates the one score of (trace, span, name, source) in place', async () => {
    const first = await post({ name: 'quality', value: 1 });
    const again = await post({ name: 'quality', value: 3, comment: 'better' });
    expect(again.body).toMatchObject({ id: first.body.id, value: 3, comment: 'better', created: false, createdAt: first.body.createdAt });
    const otherSource = await post({ name: 'quality', value: 2, source: 'reviewer' });
    expect(otherSource.body.created).toBe(true);
    expect(otherSource.body.id).not.toBe(first.body.id);
    const detail = TraceDetailResponse.parse((await call(s, 'GET', `/api/traces/${traceId}`)).body);
    const quality = detail.scores.filter((x) => x.name === 'quality');
    expect(quality.map((x) => [x.source, x.value])).toEqual([['api', 3], ['reviewer', 2]]);
  });

  it('refuses what it cannot store: unknown trace or span, reserved sources, a mismatched dataType, other fields', async () => {
    expect((await post({ name: 'x', value: 1 }, '00000000000000000000000000000001')).status).toBe(404);
    expect((await post({ name: 'x', value: 1, spanId: 'nope' })).status).toBe(404);
    const judge = await post({ name: 'x', value: 1, source: 'judge' });
    expect(judge.status).toBe(400);
    expect(judge.body.error.message).toMatch(/written by Lookspan itself/);
    expect((await post({ name: 'x', value: 'a', dataType: 'numeric' })).status).toBe(400);
    expect((await post({ name: 'x', value: Number.MAX_VALUE * 10 })).status).toBe(400);
    expect((await post({ name: 'x', value: 1, projectId: 'other' })).status).toBe(400);
    expect((await post({ value: 1 })).status).toBe(400);
  });

  it('appear in the trace detail and the JSON export, the same before and after a seal', async () => {
    const before = (await call(s, 'GET', `/api/traces/${traceId}`)).body;
    expect(before.scores.map((x: any) => x.name).sort()).toEqual(['helpfulness', 'quality', 'quality', 'resolved', 'tone']);
    const exp = await (await fetch(`${s.httpUrl}/api/export/traces?format=json`)).json() as any;
    const t = exp.traces.find((x: any) => x.id === traceId);
    expect(t.scores.map((x: any) => x.name).sort()).toEqual(['helpfulness', 'quality', 'quality', 'resolved', 'tone']);
    // The free-text comment only in a raw export.
    expect(t.scores.find((x: any) => x.name === 'helpfulness').comment).toBeUndefined();
    const raw = await (await fetch(`${s.httpUrl}/api/export/traces?format=json&raw=1`)).json() as any;
    expect(raw.traces.find((x: any) => x.id === traceId).scores.find((x: any) => x.name === 'helpfulness').comment).toBe('mostly');
    expect((await call(s, 'POST', '/api/storage/seal')).status).toBe(200);
    const after = (await call(s, 'GET', `/api/traces/${traceId}`)).body;
    expect(after.scores).toEqual(before.scores);
  });

  it('are aggregated in GET /api/stats per name, source and type', async () => {
    const st = (await call(s, 'GET', '/api/stats?window=24h')).body;
    const by = (name: string, source = 'api') => st.scores.find((x: any) => x.name === name && x.source === source);
    expect(by('helpfulness')).toEqual({ name: 'helpfulness', source: 'api', dataType: 'numeric', count: 1, mean: 0.75, labels: {} });
    expect(by('resolved', 'sdk')).toEqual({ name: 'resolved', source: 'sdk', dataType: 'boolean', count: 1, mean: 1, labels: { true: 1 } });
    expect(by('tone')).toEqual({ name: 'tone', source: 'api', dataType: 'categorical', count: 1, mean: null, labels: { friendly: 1 } });
    const old = (await call(s, 'GET', '/api/stats?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).body;
    expect(old.scores).toEqual([]);
  });

  it('survive a restart', async () => {
    const scores = (await call(s, 'GET', `/api/traces/${traceId}`)).body.scores;
    await s.stop();
    // The same data dir; afterAll's dispose (a second stop is a no-op) removes it.
    const again = await startEvalServer(null, {}, s.dataDir);
    try {
      expect((await call(again, 'GET', `/api/traces/${traceId}`)).body.scores).toEqual(scores);
    } finally {
      await again.dispose();
    }
  });
});
