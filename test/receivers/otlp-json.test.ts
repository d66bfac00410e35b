/**
 * OTLP/JSON over HTTP from fixtures written after the OTLP specification's
 * examples/trace.json (hex ids, int64 as strings or numbers, enums as
 * integers), checked field by field against what the traces API returns.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestServer, type TestServer, waitLoaded } from '../helpers/server.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/otlp');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');

let server: TestServer;

async function postJson(body: string | Buffer, opts: { path?: string; gzip?: boolean; contentType?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
  let payload: string | Buffer = body;
  if (opts.gzip) {
    payload = gzipSync(Buffer.from(body));
    headers['content-encoding'] = 'gzip';
  }
  const res = await fetch(`${server.httpUrl}${opts.path ?? '/v1/traces'}`, { method: 'POST', headers, body: payload });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: JSON.parse(text) as any };
}

async function getTrace(id: string): Promise<any> {
  const res = await fetch(`${server.httpUrl}/api/traces/${id}`);
  expect(res.status).toBe(200);
  return res.json();
}

const responses: Record<string, Awaited<ReturnType<typeof postJson>>> = {};

beforeAll(async () => {
  server = await startTestServer();
  responses.specExample = await postJson(fixture('spec-example.json'));
  responses.specStrings = await postJson(fixture('spec-string-int64.json'), { path: '/api/traces/otlp' });
  responses.genai = await postJson(fixture('genai-chat.json'), { gzip: true });
  responses.partial = await postJson(fixture('partial-invalid-ids.json'));
  await waitLoaded(server);
});

afterAll(async () => {
  await server?.dispose();
});

describe('OTLP/JSON fixtures', () => {
  it('full success answers {} as application/json', () => {
    for (const key of ['specExample', 'specStrings', 'genai'] as const) {
      const r = responses[key];
      expect(r.status, `${key}: ${r.text}`).toBe(200);
      expect(r.type).toMatch(/^application\/json/);
      expect(r.json).toEqual({});
    }
  });

  it('the specification example: uppercase hex ids, int64 as numbers, kind as an integer', async () => {
    const t = await getTrace('5b8efff798038103d269b633813fc60c');
    expect(t.id).toBe('5b8efff798038103d269b633813fc60c');
    expect(t.spanCount).toBe(1);
    expect(t.serviceName).toBe('my.service');
    expect(t.name).toBe("I'm a server span");
    expect(t.startedAt).toBe('2018-12-13T14:51:00.000000Z');
    expect(t.endedAt).toBe('2018-12-13T14:51:01.000000Z');
    expect(t.durationMs).toBe(1000);
    const [s] = t.spans;
    expect(s.id).toBe('eee19b7ec3c1b174');
    expect(s.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(s.parentSpanId).toBe('eee19b7ec3c1b173');
    expect(s.name).toBe("I'm a server span");
    expect(s.kind).toBe('server');
    expect(s.status).toBe('unset');
    expect(s.statusMessage).toBeNull();
    expect(s.startedAt).toBe('2018-12-13T14:51:00.000000Z');
    expect(s.endedAt).toBe('2018-12-13T14:51:01.000000Z');
    expect(s.durationMs).toBe(1000);
    expect(s.scopeName).toBe('my.library');
    expect(s.serviceName).toBe('my.service');
    expect(s.attributes).toEqual({ 'my.span.attr': 'some value' });
    expect(s.resource).toEqual({ 'service.name': 'my.service' });
    expect(s.type).toBe('other');
    expect(s.usage.costSource).toBe('unknown');
  });

  it('the same example with int64 as strings keeps microseconds exactly', async () => {
    const t = await getTrace('5b8efff798038103d269b633813fc60d');
    expect(t.spanCount).toBe(2);
    expect(t.rootSpanId).toBe('eee19b7ec3c1b174');
    expect(t.status).toBe('error');
    expect(t.errorCount).toBe(1);
    expect(t.startedAt).toBe('2018-12-13T14:51:00.000000Z');
    expect(t.endedAt).toBe('2018-12-13T14:51:01.000000Z');
    const [server_, client] = t.spans;

    expect(server_.id).toBe('eee19b7ec3c1b174');
    expect(server_.parentSpanId).toBeNull();
    expect(server_.kind).toBe('server');
    expect(server_.status).toBe('ok');
    expect(server_.startedAt).toBe('2018-12-13T14:51:00.000000Z');
    expect(server_.attributes).toEqual({ 'my.span.attr': 'some value', 'http.response.status_code': 200 });
    expect(server_.resource).toEqual({ 'service.name': 'my.service', 'service.instance.id': 'instance-1', 'host.cpu.count': 8 });

    // 1544712660123456789 ns → .123456 µs (nanoseconds below a microsecond are dropped, not rounded).
    expect(client.id).toBe('eee19b7ec3c1b175');
    expect(client.parentSpanId).toBe('eee19b7ec3c1b174');
    expect(client.kind).toBe('client');
    expect(client.startedAt).toBe('2018-12-13T14:51:00.123456Z');
    expect(client.endedAt).toBe('2018-12-13T14:51:00.623456Z');
    expect(client.durationMs).toBe(500);
    expect(client.status).toBe('error');
    expect(client.statusMessage).toBe('upstream timed out');
    expect(client.errorType).toBe('TimeoutError');
    expect(client.attributes).toEqual({ 'retry.count': 3 });
    expect(client.events).toEqual([
      {
        time_us: 1544712660500000,
        name: 'exception',
        attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'upstream timed out' },
      },
    ]);
    expect(client.links).toEqual([
      { trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', attributes: { 'link.kind': 'follows_from' } },
    ]);
  });

  it('GenAI span: arrays, kvlists, bytes, doubles, bools, int64 strings and numbers (gzip body)', async () => {
    const t = await getTrace('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(t.serviceName).toBe('chat-backend');
    expect(t.sessionId).toBe('conv-json-1');
    expect(t.models).toEqual(['gpt-4o-2024-08-06']);
    expect(t.totalUsage.inputTokens).toBe(1200);
    expect(t.totalUsage.outputTokens).toBe(300);
    const [s] = t.spans;
    expect(s.id).toBe('00f067aa0ba902b7');
    expect(s.startedAt).toBe('2023-11-14T22:13:20.123456Z');
    expect(s.endedAt).toBe('2023-11-14T22:13:21.623456Z');
    expect(s.durationMs).toBe(1500);
    expect(s.kind).toBe('client');
    expect(s.type).toBe('llm_call');
    expect(s.status).toBe('ok');
    expect(s.provider).toBe('openai');
    expect(s.operation).toBe('chat');
    expect(s.model).toBe('gpt-4o-2024-08-06');
    expect(s.finishReason).toBe('stop');
    expect(s.sessionId).toBe('conv-json-1');
    expect(s.usage.inputTokens).toBe(1200);
    expect(s.usage.outputTokens).toBe(300);
    expect(s.usage.costSource).toBe('computed');
    // 1200 × $2.50/M + 300 × $10/M
    expect(s.usage.costUsd).toBeCloseTo(0.006, 9);
    expect(s.attributes['gen_ai.usage.input_tokens']).toBe(1200);
    expect(s.attributes['gen_ai.usage.output_tokens']).toBe(300);
    expect(s.attributes['gen_ai.request.temperature']).toBe(0.25);
    expect(s.attributes['gen_ai.request.stream']).toBe(true);
    expect(s.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    // int64 beyond 2^53 survives as its decimal string rather than a rounded number.
    expect(s.attributes['app.request.meta']).toEqual({ tenant: 'acme', priority: 2, tags: ['a', '9223372036854775807', false] });
    expect(s.attributes['app.request.digest']).toBe('3q2+7w==');
    expect(s.attributes).toHaveProperty('app.empty', null);
  });

  it('individually invalid ids are rejected through partialSuccess; the valid span is stored', async () => {
    const r = responses.partial;
    expect(r.status).toBe(200);
    expect(r.json.partialSuccess.rejectedSpans).toBe('2');
    expect(r.json.partialSuccess.errorMessage).toMatch(/trace_id must be 32 hex characters, got 30/);
    expect(r.json.partialSuccess.errorMessage).toMatch(/span_id must be 16 hex characters, got 8/);
    const t = await getTrace('11111111111111111111111111111111');
    expect(t.spanCount).toBe(1);
    expect(t.spans.map((s: any) => s.name)).toEqual(['valid span']);
    expect(t.serviceName).toBe('partial-svc');
  });
});

describe('OTLP/JSON variations', () => {
  const span = (over: Record<string, unknown>) => JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'variations' } }] },
      scopeSpans: [{ scope: { name: 'v' }, spans: [{ name: 'v', startTimeUnixNano: '1600000000000000000', endTimeUnixNano: '1600000000002000000', ...over }] }],
    }],
  });

  it('enum names are accepted for kind and status code', async () => {
    const r = await postJson(span({
      traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', spanId: 'bbbbbbbbbbbbbbb1',
      kind: 'SPAN_KIND_PRODUCER', status: { code: 'STATUS_CODE_ERROR', message: 'named enum' },
    }));
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({});
    await waitLoaded(server);
    const [s] = (await getTrace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1')).spans;
    expect(s.kind).toBe('producer');
    expect(s.status).toBe('error');
    expect(s.statusMessage).toBe('named enum');
    expect(s.durationMs).toBe(2);
  });

  it('an unknown enum name rejects that span only', async () => {
    const r = await postJson(span({ traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', spanId: 'bbbbbbbbbbbbbbb2', kind: 'SPAN_KIND_SIDEWAYS' }));
    expect(r.status).toBe(200);
    expect(r.json.partialSuccess.rejectedSpans).toBe('1');
    expect(r.json.partialSuccess.errorMessage).toContain('SPAN_KIND_SIDEWAYS');
  });

  it('a non-numeric int64 string rejects that span with a message', async () => {
    const r = await postJson(span({ traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3', spanId: 'bbbbbbbbbbbbbbb3', startTimeUnixNano: '12:00' }));
    expect(r.status).toBe(200);
    expect(r.json.partialSuccess.rejectedSpans).toBe('1');
    expect(r.json.partialSuccess.errorMessage).toMatch(/timestamp/);
  });

  it('non-hex ids are rejected individually', async () => {
    const r = await postJson(span({ traceId: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', spanId: 'bbbbbbbbbbbbbbb4' }));
    expect(r.status).toBe(200);
    expect(r.json.partialSuccess.rejectedSpans).toBe('1');
    expect(r.json.partialSuccess.errorMessage).toMatch(/trace_id must be a hex string/);
  });

  it('content type parameters are accepted (application/json; charset=utf-8)', async () => {
    const r = await postJson(span({ traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5', spanId: 'bbbbbbbbbbbbbbb5' }), { contentType: 'application/json; charset=utf-8' });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({});
    await waitLoaded(server);
    const t = await getTrace('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa5');
    expect(t.serviceName).toBe('variations');
  });

  it('resourceSpans without spans answers {} and stores nothing new', async () => {
    const before = (await (await fetch(`${server.httpUrl}/api/traces?total=1&limit=1`)).json() as any).total;
    const r = await postJson(JSON.stringify({ resourceSpans: [{ resource: {}, scopeSpans: [{ scope: {}, spans: [] }] }] }));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({});
    await waitLoaded(server);
    const after = (await (await fetch(`${server.httpUrl}/api/traces?total=1&limit=1`)).json() as any).total;
    expect(after).toBe(before);
  });
});
