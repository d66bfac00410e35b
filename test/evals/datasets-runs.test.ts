import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetDetailResponse, DatasetSchema, ItemsResponse } from '../../src/api/routes/datasets.js';
import { RunDetailResponse, RunSchema } from '../../src/api/routes/runs.js';
import { waitFor, type TestServer } from '../helpers/server.js';
import { startFakeLlm, type FakeLlm } from './fake-llm.js';
import { call, ingestSpan, startEvalServer } from './helpers.js';

let fake: FakeLlm;
let s: TestServer;
beforeAll(async () => {
  fake = await startFakeLlm();
  fake.answers.set('judge-good', '{"score": 0.8, "reasoning": "fine"}');
  fake.answers.set('judge-broken', 'not json at all');
  s = await startEvalServer(fake, { runConcurrency: 2 });
});
afterAll(async () => {
  await s.dispose();
  await fake.close();
});

/** Polls GET /api/runs/:id until the run has ended (the run itself never hangs: its calls are bounded). */
async function finished(runId: string) {
  return RunDetailResponse.parse(await waitFor(async () => {
    const r = await call(s, 'GET', `/api/runs/${runId}`);
    return r.body.run.status === 'completed' || r.body.run.status === 'interrupted' ? r.body : null;
  }, 20_000));
}

describe('datasets', () => {
  it('are created once per name, listed, and hold items added one or many at a time', async () => {
    const d = await call(s, 'POST', '/api/datasets', { name: 'capitals', description: 'geography' });
    expect(d.status).toBe(201);
    DatasetSchema.parse(d.body);
    expect((await call(s, 'POST', '/api/datasets', { name: 'capitals' })).status).toBe(409);
    const one = await call(s, 'POST', `/api/datasets/${d.body.id}/items`, { input: 'Capital of France?', expected: 'echo: Capital of France?' });
    expect(one.status).toBe(201);
    const many = await call(s, 'POST', `/api/datasets/${d.body.id}/items`, {
      items: [
        { input: [{ role: 'system', content: 'Answer in one word.' }, { role: 'user', content: 'Capital of Italy?' }], expected: 'Rome' },
        { input: { messages: [{ role: 'user', content: 'FAIL-500 please' }], temperature: 0.3 }, expected: 'x' },
      ],
    });
    expect(ItemsResponse.parse(many.body).items.map((i) => i.position)).toEqual([1, 2]);
    const detail = DatasetDetailResponse.parse((await call(s, 'GET', `/api/datasets/${d.body.id}`)).body);
    expect(detail.dataset).toMatchObject({ name: 'capitals', itemCount: 3, runCount: 0 });
    expect(detail.items.map((i) => i.position)).toEqual([0, 1, 2]);
    expect((await call(s, 'GET', '/api/datasets')).body.datasets.map((x: any) => x.name)).toContain('capitals');
    expect((await call(s, 'GET', `/api/datasets/${d.body.id}?limit=1&offset=1`)).body.items.map((i: any) => i.position)).toEqual([1]);
  });

  it('refuse items that cannot be sent, naming the field', async () => {
    const d = (await call(s, 'POST', '/api/datasets', { name: 'bad-items' })).body;
    const r = await call(s, 'POST', `/api/datasets/${d.id}/items`, { items: [{ input: 'ok' }, { input: [] }] });
    expect(r.status).toBe(400);
    expect(r.body.error.problems[0].path).toBe('items[1].input');
    expect((await call(s, 'POST', `/api/datasets/${d.id}/items`, { expected: 'x' })).status).toBe(400);
    expect((await call(s, 'POST', '/api/datasets/ds_nope/items', { input: 'x' })).status).toBe(404);
    expect((await call(s, 'GET', `/api/datasets/${d.id}`)).body.dataset.itemCount).toBe(0);
  });

  it('seed an item from a trace\'s captured prompt, runnable as it was captured', async () => {
    const { traceId, spanId } = await ingestSpan(s, {
      name: 'chat', scope: 'test',
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.request.temperature': 0.4,
        'gen_ai.system_instructions': 'Be brief.',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Seeded question' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Seeded answer' }] }]),
      },
    });
    const d = (await call(s, 'POST', '/api/datasets', { name: 'seeded' })).body;
    const r = await call(s, 'POST', `/api/datasets/${d.id}/items/from-trace`, { traceId, expectedFromOutput: true });
    expect(r.status).toBe(201);
    expect(r.body.items[0]).toMatchObject({
      sourceTraceId: traceId, sourceSpanId: spanId, expected: 'Seeded answer',
      input: { system: 'Be brief.', messages: [{ role: 'user', content: 'Seeded question' }], temperature: 0.4 },
      metadata: { model: 'gpt-4o-mini', convention: 'otel-genai' },
    });
    const run = (await call(s, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini', metric: 'none' })).body;
    await finished(run.id);
    const sent = fake.requests.find((q) => q.body.messages?.some((m: any) => m.content === 'Seeded question'))!.body;
    expect(sent).toMatchObject({ temperature: 0.4, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Seeded question' }] });
    expect((await call(s, 'POST', `/api/datasets/${d.id}/items/from-trace`, { traceId: '0123456789abcdef0123456789abcdef' })).status).toBe(404);
  });
});

describe('runs', () => {
  it('run in the background with bounded concurrency; a failing item is reported on its own; aggregates follow', async () => {
    const d = (await call(s, 'GET', '/api/datasets')).body.datasets.find((x: any) => x.name === 'capitals');
    const started = await call(s, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini' });
    expect(started.status).toBe(202);
    expect(RunSchema.parse(started.body)).toMatchObject({ status: 'queued', metric: 'exact_match', total: 3, concurrency: 2, judge: null });
    const done = await finished(started.body.id);
    expect(done.run.status).toBe('completed');
    expect(done.items.map((i) => [i.position, i.status, i.passed])).toEqual([[0, 'done', true], [1, 'done', false], [2, 'error', null]]);
    expect(done.items[1].output).toBe('echo: Capital of Italy?');
    expect(done.items[2].error).toMatchObject({ kind: 'server', status: 500 });
    expect(done.aggregates).toMatchObject({
      progress: { total: 3, done: 2, errors: 1, pending: 0, running: 0, fraction: 1 }, passed: 1, failed: 1, passRate: 0.5, meanScore: 0.5,
      inputTokens: 240, outputTokens: 60,
    });
    expect(done.aggregates.latencyMs.p95).not.toBeNull();
    const page = RunDetailResponse.parse((await call(s, 'GET', `/api/runs/${started.body.id}?limit=1&offset=1`)).body);
    expect(page.items.map((i) => i.position)).toEqual([1]);
    expect(page.hasMore).toBe(true);
    expect(page.aggregates).toEqual(done.aggregates);
    const detail = (await call(s, 'GET', `/api/datasets/${d.id}`)).body;
    expect(detail.runs.map((r: any) => r.id)).toContain(started.body.id);
  });

  it('judged runs score every answer; a judge answer that is not a verdict fails that item only', async () => {
    const d = (await call(s, 'POST', '/api/datasets', { name: 'judged' })).body;
    await call(s, 'POST', `/api/datasets/${d.id}/items`, { items: [{ input: 'a' }, { input: 'b' }] });
    const good = (await call(s, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini', judge: { model: 'judge-good' }, metric: 'relevance' })).body;
    expect(good.judge).toMatchObject({ model: 'judge-good', provider: 'openai' });
    const g = await finished(good.id);
    expect(g.items.every((i) => i.status === 'done' && i.score === 0.8 && i.passed === true && i.reasoning === 'fine')).toBe(true);
    expect(g.aggregates).toMatchObject({ passRate: 1, meanScore: 0.8 });
    const broken = (await call(s, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini', judge: { model: 'judge-broken' }, rubric: 'Is it polite?' })).body;
    const b = await finished(broken.id);
    expect(b.run.metric).toBe('rubric');
    expect(b.items.map((i) => [i.status, i.error?.kind, i.output])).toEqual([['error', 'invalid_answer', 'echo: a'], ['error', 'invalid_answer', 'echo: b']]);
    expect(b.aggregates).toMatchObject({ passRate: null, meanScore: null, progress: { errors: 2 } });
  });

  it('refuse what cannot run before queuing anything', async () => {
    const empty = (await call(s, 'POST', '/api/datasets', { name: 'empty' })).body;
    expect((await call(s, 'POST', `/api/datasets/${empty.id}/run`, { model: 'gpt-4o-mini' })).status).toBe(400);
    const d = (await call(s, 'GET', '/api/datasets')).body.datasets.find((x: any) => x.name === 'capitals');
    expect((await call(s, 'POST', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini', metric: 'relevance' })).status).toBe(400);
    expect((await call(s, 'POST', `/api/datasets/${d.id}/run`, {})).status).toBe(400);
    expect((await call(s, 'POST', '/api/datasets/ds_missing/run', { model: 'gpt-4o-mini' })).status).toBe(404);
    expect((await call(s, 'GET', '/api/runs/run_missing')).status).toBe(404);
  });
});
