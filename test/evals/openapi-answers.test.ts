/**
 * The evaluation routes' real answers (successes and the errors each
 * declares) validated against the response schemas /openapi.json gives
 * for their status, as test/api/openapi.test.ts does for the other routes.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { waitFor, type TestServer } from '../helpers/server.js';
import { checkAnswer } from '../helpers/openapi-answers.js';
import { startFakeLlm, type FakeLlm } from './fake-llm.js';
import { ingestChat, startEvalServer } from './helpers.js';

type Json = Record<string, any>;
let fake: FakeLlm;
let s: TestServer;
let bare: TestServer;
let doc: Json;
let traceId: string;

beforeAll(async () => {
  fake = await startFakeLlm();
  fake.answers.set('judge-good', '{"score":1,"reasoning":"r"}');
  fake.answers.set('judge-prose', 'nine out of ten');
  [s, bare] = await Promise.all([startEvalServer(fake, { judgeModel: 'judge-good' }), startEvalServer(null)]);
  ({ traceId } = await ingestChat(s));
  await ingestChat(bare, 'yo');
  doc = (await (await fetch(`${s.httpUrl}/openapi.json`)).json()) as Json;
});
afterAll(async () => {
  await Promise.all([s.dispose(), bare.dispose()]);
  await fake.close();
});

/** Calls the route on `server` and validates the answer against the document; `want`: the status it must have. */
const check = (server: TestServer, method: string, docPath: string, url: string, body?: unknown, want?: number): Promise<any> =>
  checkAnswer(doc, server.httpUrl, method, docPath, url, body, want);

describe('evaluation routes answer what /openapi.json describes', () => {
  it('scores, replay, judge', async () => {
    await check(s, 'post', '/api/traces/{traceId}/scores', `/api/traces/${traceId}/scores`, { name: 'n', value: 0.5 }, 200);
    await check(s, 'post', '/api/traces/{traceId}/scores', `/api/traces/${traceId}/scores`, { name: 'n', value: 1 }, 200);
    await check(s, 'post', '/api/traces/{traceId}/scores', `/api/traces/${traceId}/scores`, { name: 'n', value: 1, spanId: 'nope' }, 404);
    await check(s, 'post', '/api/traces/{traceId}/replay', `/api/traces/${traceId}/replay`, {}, 201);
    await check(s, 'post', '/api/traces/{traceId}/replay', `/api/traces/${traceId}/replay`, { model: 'gpt-error-500' }, 201);
    await check(s, 'get', '/api/traces/{traceId}/replays', `/api/traces/${traceId}/replays`, undefined, 200);
    await check(s, 'post', '/api/traces/{traceId}/judge', `/api/traces/${traceId}/judge`, {}, 201);
    await check(s, 'post', '/api/traces/{traceId}/judge', `/api/traces/${traceId}/judge`, { model: 'judge-prose' }, 201);
    await check(s, 'post', '/api/traces/{traceId}/judge', `/api/traces/${traceId}/judge`, { metric: 'vibes' }, 400);
    await check(s, 'get', '/api/traces/{traceId}', `/api/traces/${traceId}`, undefined, 200);
    const t = (await (await fetch(`${bare.httpUrl}/api/traces`)).json() as any).traces[0].id;
    await check(bare, 'post', '/api/traces/{traceId}/replay', `/api/traces/${t}/replay`, {}, 503);
    await check(bare, 'post', '/api/traces/{traceId}/judge', `/api/traces/${t}/judge`, {}, 503);
  });

  it('datasets and runs', async () => {
    const d = await check(s, 'post', '/api/datasets', '/api/datasets', { name: 'doc' }, 201);
    await check(s, 'post', '/api/datasets', '/api/datasets', { name: 'doc' }, 409);
    await check(s, 'post', '/api/datasets/{id}/items', `/api/datasets/${d.id}/items`, { items: [{ input: 'x', expected: 'echo: x' }, { input: 'FAIL-500' }] }, 201);
    await check(s, 'post', '/api/datasets/{id}/items/from-trace', `/api/datasets/${d.id}/items/from-trace`, { traceId }, 201);
    await check(s, 'get', '/api/datasets', '/api/datasets', undefined, 200);
    const run = await check(s, 'post', '/api/datasets/{id}/run', `/api/datasets/${d.id}/run`, { model: 'gpt-4o-mini', metric: 'contains' }, 202);
    await waitFor(async () => ((await (await fetch(`${s.httpUrl}/api/runs/${run.id}`)).json()) as any).run.status === 'completed');
    await check(s, 'get', '/api/runs/{id}', `/api/runs/${run.id}`, undefined, 200);
    await check(s, 'get', '/api/datasets/{id}', `/api/datasets/${d.id}`, undefined, 200);
    await check(s, 'get', '/api/runs/{id}', '/api/runs/run_nope', undefined, 404);
    const b = await check(bare, 'post', '/api/datasets', '/api/datasets', { name: 'x' }, 201);
    await check(bare, 'post', '/api/datasets/{id}/items', `/api/datasets/${b.id}/items`, { input: 'q' }, 201);
    await check(bare, 'post', '/api/datasets/{id}/run', `/api/datasets/${b.id}/run`, { model: 'gpt-4o' }, 503);
  });
});
