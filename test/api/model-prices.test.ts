/**
 * The model-pricing routes (langsight-api.txt, Costs): list, create, update
 * and delete local price overrides; every change prices the spans ingested
 * after it, and the overrides survive a restart on the same data dir.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexId, postJson } from '../helpers/otlp-json.js';
import { startTestServer, tempDir, type TestServer, waitLoaded } from '../helpers/server.js';

const MODEL = 'acme-llm-1';
const TOKENS = { input: 1000, cacheRead: 400, output: 500 };

let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await tempDir('lookspan-prices-');
  server = await startTestServer({}, dataDir);
});

afterAll(async () => {
  await server?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? JSON.parse(text) : undefined };
}

/** Sends one chat span over OTLP/JSON and returns its usage as the traces API shows it. */
async function ingestChat(model: string, provider: string, responseModel?: string): Promise<any> {
  const traceId = hexId(16);
  const now = BigInt(Date.now()) * 1_000_000n;
  const attrs: Array<{ key: string; value: Record<string, unknown> }> = [
    { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
    { key: 'gen_ai.provider.name', value: { stringValue: provider } },
    { key: 'gen_ai.request.model', value: { stringValue: model } },
    { key: 'gen_ai.usage.input_tokens', value: { intValue: String(TOKENS.input) } },
    { key: 'gen_ai.usage.cache_read.input_tokens', value: { intValue: String(TOKENS.cacheRead) } },
    { key: 'gen_ai.usage.output_tokens', value: { intValue: String(TOKENS.output) } },
  ];
  if (responseModel) attrs.push({ key: 'gen_ai.response.model', value: { stringValue: responseModel } });
  const res = await postJson(`${server.httpUrl}/v1/traces`, {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'prices-test' } }] },
      scopeSpans: [{
        scope: { name: 'prices-test' },
        spans: [{
          traceId, spanId: hexId(8), name: `chat ${model}`, kind: 3,
          startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n),
          attributes: attrs, status: { code: 1 },
        }],
      }],
    }],
  });
  expect(res.status).toBe(200);
  await waitLoaded(server);
  const trace = await call('GET', `/api/traces/${traceId}`);
  expect(trace.status).toBe(200);
  expect(trace.body.spans).toHaveLength(1);
  return trace.body.spans[0].usage;
}

/** USD for TOKENS at the given per-million rates (cache reads at their own rate, or at the input rate). */
function expectedUsd(input: number, output: number, cacheRead: number | null = null): number {
  const uncached = TOKENS.input - TOKENS.cacheRead;
  return (uncached * input + TOKENS.cacheRead * (cacheRead ?? input) + TOKENS.output * output) / 1e6;
}

describe('model price overrides', () => {
  it('lists nothing before any override is created', async () => {
    const res = await call('GET', '/api/costs/models');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ models: [], total: 0 });
  });

  it('leaves a made-up model unpriced (unknown, never 0) until an override exists', async () => {
    const usage = await ingestChat(MODEL, 'acme');
    expect(usage.inputTokens).toBe(TOKENS.input);
    expect(usage.costUsd).toBeNull();
    expect(usage.costSource).toBe('unknown');
  });

  it('creates an override and prices spans ingested after it with it', async () => {
    const res = await call('POST', '/api/costs/models', {
      model_id: MODEL, provider: 'acme', input_per_mtok: 2, output_per_mtok: 8, cache_read_per_mtok: 0.5,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      model_id: MODEL, provider: 'acme', input_per_mtok: 2, output_per_mtok: 8, cache_read_per_mtok: 0.5,
      cache_write_per_mtok: null, reasoning_per_mtok: null, source: 'override',
    });
    expect(Date.parse(res.body.created_at)).toBeGreaterThan(0);

    const list = await call('GET', '/api/costs/models');
    expect(list.body.total).toBe(1);
    expect(list.body.models[0]).toMatchObject({ model_id: MODEL, source: 'override', input_per_mtok: 2 });

    const usage = await ingestChat(MODEL, 'acme');
    expect(usage.costSource).toBe('computed');
    expect(usage.costUsd).toBeCloseTo(expectedUsd(2, 8, 0.5), 12);
  });

  it('matches the override only for its provider', async () => {
    const usage = await ingestChat(MODEL, 'other-cloud');
    expect(usage.costSource).toBe('unknown');
    expect(usage.costUsd).toBeNull();
  });

  it('answers 409 for an existing model id, in any letter case', async () => {
    for (const id of [MODEL, MODEL.toUpperCase()]) {
      const res = await call('POST', '/api/costs/models', { model_id: id, input_per_mtok: 1, output_per_mtok: 1 });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
      expect(res.body.error.message).toContain(id);
    }
  });

  it('answers 400 listing every bad field with its path', async () => {
    const res = await call('POST', '/api/costs/models', {
      model_id: '', provider: 7, input_per_mtok: -1, output_per_mtok: 'cheap', reasoning_per_mtok: Number.NaN, colour: 'red',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid');
    const paths = (res.body.error.problems as Array<{ path: string; message: string }>).map((p) => p.path);
    // NaN serializes as null, which the nullable rate accepts.
    expect(paths).toEqual(expect.arrayContaining(['model_id', 'provider', 'input_per_mtok', 'output_per_mtok', '(body)']));
    const unknownKey = res.body.error.problems.find((p: any) => p.path === '(body)');
    expect(unknownKey.message).toContain('colour');

    const missing = await call('POST', '/api/costs/models', { model_id: 'x-1' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.problems.map((p: any) => p.path).sort()).toEqual(['input_per_mtok', 'output_per_mtok']);

    const notJson = await call('POST', '/api/costs/models', '{"model_id":');
    expect(notJson.status).toBe(400);
    expect((await call('GET', '/api/costs/models')).body.total).toBe(1);
  });

  it('updates part of an override; later spans use the new price', async () => {
    const res = await call('PATCH', `/api/costs/models/${MODEL}`, { input_per_mtok: 4 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model_id: MODEL, input_per_mtok: 4, output_per_mtok: 8, cache_read_per_mtok: 0.5, source: 'override' });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));
    expect((await ingestChat(MODEL, 'acme')).costUsd).toBeCloseTo(expectedUsd(4, 8, 0.5), 12);

    // null clears a rate: cache reads are then charged at the input rate.
    const cleared = await call('PATCH', `/api/costs/models/${encodeURIComponent(MODEL.toUpperCase())}`, { cache_read_per_mtok: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.cache_read_per_mtok).toBeNull();
    expect((await ingestChat(MODEL, 'acme')).costUsd).toBeCloseTo(expectedUsd(4, 8), 12);
  });

  it('answers 404 for an unknown model and 400 for a bad or empty update', async () => {
    const unknown = await call('PATCH', '/api/costs/models/no-such-model', { input_per_mtok: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');

    const bad = await call('PATCH', `/api/costs/models/${MODEL}`, { output_per_mtok: -3, model_id: 'renamed' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems.map((p: any) => p.path).sort()).toEqual(['(body)', 'output_per_mtok']);

    const empty = await call('PATCH', `/api/costs/models/${MODEL}`, {});
    expect(empty.status).toBe(400);
    expect((await call('GET', '/api/costs/models')).body.models[0].output_per_mtok).toBe(8);
  });

  it('takes precedence over the public price table for a known model, until deleted', async () => {
    const created = await call('POST', '/api/costs/models', { model_id: 'gpt-4o-mini', input_per_mtok: 100, output_per_mtok: 200 });
    expect(created.status).toBe(201);
    expect(created.body.provider).toBeNull();
    // The response names the dated snapshot; the override matches it by normalized name.
    const overridden = await ingestChat('gpt-4o-mini', 'openai', 'gpt-4o-mini-2024-07-18');
    expect(overridden.costUsd).toBeCloseTo(expectedUsd(100, 200), 12);

    const del = await call('DELETE', '/api/costs/models/gpt-4o-mini');
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ model_id: 'gpt-4o-mini', deleted: true });
    // gpt-4o-mini in the table: $0.15 input, $0.075 cached input, $0.60 output per million.
    const table = await ingestChat('gpt-4o-mini', 'openai', 'gpt-4o-mini-2024-07-18');
    expect(table.costSource).toBe('computed');
    expect(table.costUsd).toBeCloseTo(expectedUsd(0.15, 0.6, 0.075), 12);
  });

  it('deletes an override: later spans are unpriced again; a second delete is 404', async () => {
    const del = await call('DELETE', `/api/costs/models/${MODEL}`);
    expect(del.status).toBe(200);
    expect((await call('GET', '/api/costs/models')).body).toEqual({ models: [], total: 0 });
    const usage = await ingestChat(MODEL, 'acme');
    expect(usage.costSource).toBe('unknown');
    expect(usage.costUsd).toBeNull();
    const again = await call('DELETE', `/api/costs/models/${MODEL}`);
    expect(again.status).toBe(404);
  });

  it('keeps overrides across a restart on the same data dir and prices with them at once', async () => {
    const created = await call('POST', '/api/costs/models', {
      model_id: 'acme-llm-2', input_per_mtok: 3, output_per_mtok: 6, cache_write_per_mtok: 3.75, reasoning_per_mtok: 9,
    });
    expect(created.status).toBe(201);
    await server.dispose();
    server = await startTestServer({}, dataDir);

    const list = await call('GET', '/api/costs/models');
    expect(list.body.total).toBe(1);
    expect(list.body.models[0]).toMatchObject({
      model_id: 'acme-llm-2', provider: null, input_per_mtok: 3, output_per_mtok: 6,
      cache_write_per_mtok: 3.75, reasoning_per_mtok: 9, cache_read_per_mtok: null, source: 'override',
    });
    const usage = await ingestChat('acme-llm-2', 'acme');
    expect(usage.costSource).toBe('computed');
    expect(usage.costUsd).toBeCloseTo(expectedUsd(3, 6), 12);
  });
});
