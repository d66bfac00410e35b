/**
 * The evaluation routes' real answers (successes and the errors each
 * declares) validated against the response schemas /openapi.json gives
 * for their status, as test/api/openapi.test.ts does for the other routes.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type TestServer } from '../helpers/server.js';
import { startFakeLlm, type FakeLlm } from './fake-llm.js';
import { ingestSpan, startEvalServer } from './helpers.js';

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
  ({ traceId } = await ingestSpan(s, {
    name: 'chat', scope: 'test',
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }] }]),
    },
  }));
  await ingestSpan(bare, { name: 'chat', scope: 'test', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]', 'gen_ai.output.messages': '[{"role":"assistant","parts":[{"type":"text","content":"yo"}]}]' } });
  doc = (await (await fetch(`${s.httpUrl}/openapi.json`)).json()) as Json;
});
afterAll(async () => {
  await Promise.all([s.dispose(), bare.dispose()]);
  await fake.close();
});

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });

function responseOf(method: string, path: string, status: number): Json | undefined {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method} ${path} is not described`);
  const r = op.responses[String(status)] ?? op.responses.default;
  return r?.$ref ? doc.components.responses[r.$ref.split('/').pop()] : r;
}

async function check(server: TestServer, method: string, docPath: string, url: string, body?: unknown, want?: number): Promise<any> {
  const r = await fetch(`${server.httpUrl}${url}`, {
    method: method.toUpperCase(), ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = await r.json();
  if (want !== undefined) expect(r.status, JSON.stringify(json)).toBe(want);
  const schema = responseOf(method, docPath, r.status)?.content?.['application/json']?.schema;
  expect(schema, `${method} ${url} answered ${r.status}, which the document does not describe`).toBeDefined();
  const validate = ajv.compile({ ...schema, components: doc.components });
  expect(validate(json) ? [] : validate.errors, `${method} ${url} (${r.status})`).toEqual([]);
  return json;
}

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
