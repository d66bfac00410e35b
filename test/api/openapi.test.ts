/**
 * /openapi.json against a validator package and against the server itself:
 * the document validates as OpenAPI 3.1; every route registered on the
 * router (and the WebSocket served on the upgrade event) is described, and
 * nothing else is; real answers of the routes validate against the response
 * schemas the document gives for their status (so a field added to a route
 * without its schema, or a schema that drifts from the handler, fails here);
 * /docs is the interactive page, served from local files only.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../../src/api/openapi/index.js';
import { OUTSIDE_ROUTER, registeredRoutes } from '../access/routes.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { checkAnswer } from '../helpers/openapi-answers.js';

type Json = Record<string, any>;

let s: TestServer;
let doc: Json;
const traceId = hexId(16);

beforeAll(async () => {
  s = await startTestServer();
  const at = (x: string) => new Date(Date.now() - 60_000 + Number(x) * 1000).toISOString();
  const spans = await postJson(`${s.httpUrl}/api/traces/spans`, [
    { trace_id: 'tr-o', span_id: 'root', span_type: 'agent', server_name: 'rt', tool_name: 'run', agent_name: 'writer', session_id: 'sess-o', started_at: at('0'), ended_at: at('5') },
    { trace_id: 'tr-o', span_id: 'q', parent_span_id: 'root', server_name: 'pg-mcp', tool_name: 'query', agent_name: 'writer', session_id: 'sess-o', started_at: at('1'), ended_at: at('2'), status: 'error', error: 'boom' },
  ]);
  expect(spans.status).toBe(202);
  expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(traceId, 3))).status).toBe(200);
  await waitLoaded(s);
  const r = await fetch(`${s.httpUrl}/openapi.json`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await r.json()) as Json;
  const v = new Validator();
  const res = await v.validate(structuredClone(doc));
  expect(res.errors ?? []).toEqual([]);
  expect(res.valid).toBe(true);
});
afterAll(async () => s?.dispose());

const described = () => Object.entries(doc.paths as Record<string, Json>)
  .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();

describe('/openapi.json', () => {
  it('is OpenAPI 3.1 (validated by @seriousme/openapi-schema-validator)', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Lookspan API');
  });

  it('describes every route the server serves, and only those', () => {
    const served = [...registeredRoutes(s.router), ...OUTSIDE_ROUTER].map((k) => {
      const [m, p] = k.split(' ');
      return `${m} ${openApiPath(p)}`;
    }).sort();
    expect(served.length).toBeGreaterThan(80);
    expect(served.filter((k) => !described().includes(k))).toEqual([]);
    expect(described().filter((k) => !served.includes(k))).toEqual([]);
  });

  it('names every query parameter a schema declares, and marks the open routes', () => {
    const list = doc.paths['/api/traces'].get;
    const names = list.parameters.map((p: Json) => p.name);
    for (const n of ['projectId', 'sessionId', 'model', 'status', 'limit', 'offset', 'from', 'to']) expect(names).toContain(n);
    const limit = list.parameters.find((p: Json) => p.name === 'limit');
    expect(limit.in).toBe('query');
    expect(limit.schema.type).toBe('string');
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    expect(doc.paths['/api/traces'].get.security).toBeUndefined();
    expect(doc.paths['/api/traces'].get.responses['401']).toBeDefined();
    expect(doc.paths['/api/traces/{traceId}'].get.description).toMatch(/parentIndex/);
  });
});

/** Calls the route and validates the answer against the document; returns the body. */
const check = (method: string, docPath: string, url: string, body?: unknown): Promise<unknown> =>
  checkAnswer(doc, s.httpUrl, method, docPath, url, body);

describe('the answers of the routes match the document', () => {
  it('read routes, before and after a seal', async () => {
    for (const phase of ['hot', 'sealed']) {
      if (phase === 'sealed') await check('post', '/api/storage/seal', '/api/storage/seal');
      await check('get', '/api/traces', '/api/traces?total=1');
      await check('get', '/api/traces/spans', '/api/traces/spans?total=1');
      await check('get', '/api/traces/{traceId}', `/api/traces/${traceId}`);
      await check('get', '/api/traces/{traceId}', '/api/traces/tr-o');
      await check('get', '/api/sessions', '/api/sessions');
      await check('get', '/api/sessions/{id}', '/api/sessions/sess-o');
      await check('get', '/api/agents/sessions', '/api/agents/sessions');
      await check('get', '/api/agents/sessions/{session_id}', '/api/agents/sessions/sess-o');
      await check('get', '/api/agents/lineage', '/api/agents/lineage');
      await check('get', '/api/costs/summary', '/api/costs/summary');
      await check('get', '/api/costs/breakdown', '/api/costs/breakdown');
      await check('get', '/api/stats', '/api/stats');
      await check('get', '/api/reliability/anomalies', '/api/reliability/anomalies');
    }
  });

  it('health, storage and admin routes', async () => {
    for (const p of ['/api/health', '/api/status', '/api/liveness', '/api/readiness', '/api/storage', '/api/storage/quarantine',
      '/api/alerts', '/api/alerts/config', '/api/alerts/rules', '/api/costs/models', '/api/prevention/sessions', '/api/slos', '/api/slos/status',
      '/api/agents/metadata', '/api/keys', '/api/projects', '/api/settings', '/api/auth/whoami']) {
      await check('get', p, p);
    }
    await check('post', '/api/storage/compact', '/api/storage/compact');
    await check('post', '/api/storage/retention', '/api/storage/retention?dryRun=1');
    await check('post', '/api/storage/quarantine/replay', '/api/storage/quarantine/replay');
    await check('post', '/api/alerts/evaluate', '/api/alerts/evaluate');
    await check('post', '/api/agents/discover', '/api/agents/discover');
    await check('post', '/api/servers/discover', '/api/servers/discover');
  });

  it('create, change and delete routes', async () => {
    const slo = await check('post', '/api/slos', '/api/slos', { agent_name: 'writer', metric: 'success_rate', threshold: 0.99 }) as Json;
    await check('patch', '/api/slos/{slo_id}', `/api/slos/${slo.slo_id}`, { threshold: 0.9 });
    await check('get', '/api/slos/status', '/api/slos/status');
    await check('delete', '/api/slos/{slo_id}', `/api/slos/${slo.slo_id}`);
    const rule = await check('post', '/api/alerts/rules', '/api/alerts/rules', { kind: 'error_rate', threshold: 0.5 }) as Json;
    await check('get', '/api/alerts/rules/{rule_id}', `/api/alerts/rules/${rule.id}`);
    await check('patch', '/api/alerts/rules/{rule_id}', `/api/alerts/rules/${rule.id}`, { enabled: false });
    await check('delete', '/api/alerts/rules/{rule_id}', `/api/alerts/rules/${rule.id}`);
    await check('post', '/api/costs/models', '/api/costs/models', { model_id: 'my-model', input_per_mtok: 1, output_per_mtok: 2 });
    await check('patch', '/api/costs/models/{model_id}', '/api/costs/models/my-model', { output_per_mtok: 3 });
    await check('delete', '/api/costs/models/{model_id}', '/api/costs/models/my-model');
    await check('put', '/api/agents/{name}/prevention-config', '/api/agents/writer/prevention-config', { loop_threshold: 5 });
    await check('get', '/api/agents/{name}/prevention-config', '/api/agents/writer/prevention-config');
    await check('delete', '/api/agents/{name}/prevention-config', '/api/agents/writer/prevention-config');
    await check('put', '/api/agents/metadata/{agent_name}', '/api/agents/metadata/writer', { description: 'drafts replies' });
    await check('get', '/api/agents/metadata/{agent_name}', '/api/agents/metadata/writer');
    await check('delete', '/api/agents/metadata/{agent_name}', '/api/agents/metadata/writer');
    await check('post', '/api/alerts/config', '/api/alerts/config', { alert_types: { mcp_down: false } });
  });

  it('errors: a bad parameter is a 400 in the documented error shape, naming it', async () => {
    const body = await check('get', '/api/traces', '/api/traces?limit=abc') as Json;
    expect(body.error.problems[0].path).toBe('limit');
    const nf = await check('get', '/api/traces/{traceId}', `/api/traces/${hexId(16)}`) as Json;
    expect(nf.error.code).toBe('not_found');
  });
});

describe('/docs', () => {
  it('is the Swagger UI page, loading only local files', async () => {
    const r = await fetch(`${s.httpUrl}/docs`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await r.text();
    expect(html).not.toMatch(/https?:\/\//);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) {
      expect(ref.startsWith('/docs/')).toBe(true);
      const a = await fetch(`${s.httpUrl}${ref}`);
      expect(a.status, ref).toBe(200);
      expect((await a.arrayBuffer()).byteLength, ref).toBeGreaterThan(100);
    }
    const init = await (await fetch(`${s.httpUrl}/docs/init.js`)).text();
    expect(init).toContain("url: '/openapi.json'");
  });

  it('serves nothing else from the package', async () => {
    for (const p of ['/docs/package.json', '/docs/..%2Fpackage.json', '/docs/index.html']) {
      expect((await fetch(`${s.httpUrl}${p}`)).status, p).toBe(404);
    }
  });
});
