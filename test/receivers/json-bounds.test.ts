/**
 * Deeply nested JSON on the native routes is a 400 naming the field and the
 * limit (limits.maxJsonDepth), never a 500 from a stack overflow; the server
 * stays healthy and keeps accepting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tooDeepField } from '../../src/receivers/json-bounds.js';
import { parseJsonBody } from '../../src/receivers/native/validate.js';
import { LookspanError } from '../../src/errors.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const JSON_TYPE = 'application/json';
const nested = (n: number, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n);
const nestedObjects = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

describe('tooDeepField / parseJsonBody', () => {
  it('counts the root container as level 1 and ignores primitives', () => {
    expect(tooDeepField(1, 1)).toBeNull();
    expect(tooDeepField('x', 1)).toBeNull();
    expect(tooDeepField(JSON.parse(nested(3)), 3)).toBeNull();
    expect(tooDeepField(JSON.parse(nested(4)), 3)).toEqual([0]);
  });

  it('names the field of the array element the deep value sits in', () => {
    expect(tooDeepField({ spans: [{ name: 'ok' }, { input: JSON.parse(nested(10)) }] }, 5)).toEqual(['spans', 1, 'input']);
    expect(tooDeepField([{ input_args: { a: JSON.parse(nested(10)) } }], 5)).toEqual([0, 'input_args']);
    expect(tooDeepField(JSON.parse(nestedObjects(10)), 5)).toEqual(['a']);
    expect(tooDeepField({ model_id: 'm', provider: JSON.parse(nested(10)) }, 5)).toEqual(['provider']);
  });

  it('walks 1,000,000 levels without recursion', () => {
    const v = JSON.parse(nested(1_000_000));
    expect(tooDeepField(v, 64)).toEqual([0]);
  });

  it('parseJsonBody throws a 400 LookspanError with the path and the limit', () => {
    const body = Buffer.from(`{"spans":[{"input":${nested(100)}}]}`);
    let err: unknown;
    try {
      parseJsonBody(body, 64);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LookspanError);
    const e = err as LookspanError;
    expect(e.http).toBe(400);
    expect(e.details.problems?.[0].path).toBe('spans[0].input');
    expect(e.message).toContain('64');
    expect(parseJsonBody(Buffer.from(`{"spans":[{"input":${nested(60)}}]}`), 64)).toBeTruthy();
  });
});

describe('native routes: JSON nesting bounds', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.dispose());

  const post = async (path: string, body: string) => {
    const r = await fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': JSON_TYPE }, body });
    return { status: r.status, type: r.headers.get('content-type') ?? '', body: (await r.json()) as any };
  };

  const healthy = async () => {
    const h = (await (await fetch(`${server.httpUrl}/api/health`)).json()) as any;
    expect(h.status).toBe('ok');
    const ok = await post('/api/ingest', JSON.stringify({
      spans: [{ traceId: `after-${Math.random()}`, spanId: 's', name: 'still works', startedAt: '2025-01-01T00:00:00Z' }],
    }));
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(1);
  };

  const span = (field: string, value: string) =>
    `{"spans":[{"traceId":"deep","spanId":"s","name":"n","startedAt":"2025-01-01T00:00:00Z","${field}":${value}}]}`;

  it.each([
    ['/api/ingest', span('input', nested(100_000)), 'spans[0].input'],
    ['/api/ingest', span('output', nested(100_000)), 'spans[0].output'],
    ['/api/ingest', span('attributes', `{"a":${nested(100_000)}}`), 'spans[0].attributes'],
    ['/api/ingest', span('attributes', `{"a":${nestedObjects(100_000)}}`), 'spans[0].attributes'],
    ['/api/traces/spans', `[{"server_name":"a","tool_name":"b","started_at":"2025-01-01T00:00:00Z","input_args":${nested(100_000)}}]`, '[0].input_args'],
    ['/api/traces/spans', `{"spans":[{"server_name":"a","tool_name":"b","started_at":"2025-01-01T00:00:00Z","output_result":${nested(100_000)}}]}`, 'spans[0].output_result'],
    ['/api/traces/spans', `{"spans":[{"server_name":"a","tool_name":"b","started_at":"2025-01-01T00:00:00Z","llm_input":${nested(62)}}]}`, 'spans[0].llm_input'],
  ])('POST %s with nesting past the limit → 400 naming the field', async (path, body, field) => {
    const r = await post(path, body);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body.error.code).toBe('invalid');
    expect(r.body.error.message).toContain('64');
    expect(r.body.error.message).toContain('limits.maxJsonDepth');
    expect(r.body.error.problems).toEqual([{ path: field, message: expect.stringContaining('64') }]);
    await healthy();
  });

  it('a value using all 64 levels (3 of them the envelope) is accepted', async () => {
    const r = await post('/api/traces/spans', `{"spans":[{"server_name":"a","tool_name":"b","started_at":"2025-01-01T00:00:00Z","input_args":${nested(61)}}]}`);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
  });

  it('a deeply nested body with no envelope at all → 400', async () => {
    const r = await post('/api/ingest', nested(1_000_000));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid');
    await healthy();
  });

  it('POST /api/costs/models has the same check (at 64)', async () => {
    const r = await post('/api/costs/models', `{"model_id":"m","input_per_mtok":1,"output_per_mtok":1,"provider":${nested(1000)}}`);
    expect(r.status).toBe(400);
    expect(r.body.error.problems).toEqual([{ path: 'provider', message: expect.stringContaining('64') }]);
    await healthy();
  });

  it('limits.maxJsonDepth is configurable', async () => {
    const s = await startTestServer({ limits: { maxJsonDepth: 8 } });
    try {
      const post8 = (v: string) => fetch(`${s.httpUrl}/api/ingest`, { method: 'POST', headers: { 'content-type': JSON_TYPE }, body: span('input', v) });
      expect((await post8(nested(5))).status).toBe(200);
      const r = await post8(nested(6));
      expect(r.status).toBe(400);
      const body = (await r.json()) as any;
      expect(body.error.problems[0]).toEqual({ path: 'spans[0].input', message: expect.stringContaining('8 levels') });
    } finally {
      await s.dispose();
    }
  });
});
