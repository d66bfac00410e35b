import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { call, ingestChat, startEvalServer } from '../evals/helpers.js';

let s: TestServer;
let traceId: string;
beforeAll(async () => {
  s = await startEvalServer(null);
  ({ traceId } = await ingestChat(s));
});
afterAll(async () => { await s.dispose(); });

/** The 503 every provider-backed route answers without a key: it names the config key and the variable. */
function expectNoKey(r: { status: number; body: any }, provider: 'openai' | 'anthropic') {
  expect(r.status).toBe(503);
  expect(r.body.error.code).toBe('unavailable');
  expect(r.body.error.message).toContain(`evals.providers.${provider}.apiKey`);
  expect(r.body.error.message).toContain(provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY');
}

describe('with no provider configured', () => {
  it('replay answers 503 saying what to set, and records nothing', async () => {
    expectNoKey(await call(s, 'POST', `/api/traces/${traceId}/replay`, {}), 'openai');
    expectNoKey(await call(s, 'POST', `/api/traces/${traceId}/replay`, { model: 'claude-haiku-4-5' }), 'anthropic');
    expect((await call(s, 'GET', `/api/traces/${traceId}/replays`)).body).toEqual({ replays: [] });
  });

  it('judge answers 503 the same way, and writes no score', async () => {
    expectNoKey(await call(s, 'POST', `/api/traces/${traceId}/judge`, {}), 'openai');
    expectNoKey(await call(s, 'POST', `/api/traces/${traceId}/judge`, { provider: 'anthropic' }), 'anthropic');
    expect((await call(s, 'GET', `/api/traces/${traceId}`)).body.scores).toEqual([]);
  });

  it('scores, datasets and items work; a run answers 503 and queues nothing', async () => {
    expect((await call(s, 'POST', `/api/traces/${traceId}/scores`, { name: 'ok', value: true })).status).toBe(200);
    const d = (await call(s, 'POST', '/api/datasets', { name: 'offline' })).body;
    expect((await call(s, 'POST', `/api/datasets/${d.id}/items`, { input: 'q' })).status).toBe(201);
    expect((await call(s, 'POST', `/api/datasets/${d.id}/items/from-trace`, { traceId })).status).toBe(201);
    expectNoKey(await call(s, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini' }), 'openai');
    const detail = (await call(s, 'GET', `/api/datasets/${d.id}`)).body;
    expect(detail.dataset).toMatchObject({ itemCount: 2, runCount: 0 });
    expect(detail.runs).toEqual([]);
  });

  it('what does not need a provider is answered first: an unknown trace is still a 404', async () => {
    expect((await call(s, 'POST', '/api/traces/ffffffffffffffffffffffffffffffff/replay', {})).status).toBe(404);
    expect((await call(s, 'POST', '/api/traces/ffffffffffffffffffffffffffffffff/judge', {})).status).toBe(404);
  });
});
