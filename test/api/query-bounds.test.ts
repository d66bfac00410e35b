/**
 * No 5xx from a request: out-of-range query parameters are 400s naming the
 * parameter, and requests Node's HTTP parser refuses (huge headers or URL,
 * malformed request lines) get the JSON error shape. The server stays
 * healthy after each.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClientErrorHandler } from '../../src/api/client-error.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const r = await postJson(`${server.httpUrl}/api/traces/spans`, [
    { server_name: 'bounds-mcp', tool_name: 'q', trace_id: 'bounds-trace', span_id: 'bounds-span', started_at: '2026-03-17T12:00:00Z', ended_at: '2026-03-17T12:00:01Z' },
  ]);
  expect(r.status).toBe(202);
  await waitLoaded(server);
});
afterAll(async () => server?.dispose());

const get = async (path: string) => {
  const r = await fetch(`${server.httpUrl}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: (await r.json()) as any };
};

async function expectHealthy(): Promise<void> {
  const h = await get('/api/health');
  expect(h.status).toBe(200);
  expect(h.body.status).toBe('ok');
  const list = await get('/api/traces/spans?total=1&server_name=bounds-mcp');
  expect(list.status).toBe(200);
  expect(list.body.total).toBe(1);
}

const huge = '9'.repeat(20);
const veryLong = '1'.repeat(5000);

/** Shown in test names instead of 5000-character values. */
const label = (v: string) => (v.length > 40 ? `${v.slice(0, 12)}…(${v.length} chars)` : v);

describe('query parameters are range-checked (400, never 500)', () => {
  const cases: Array<[string, string, string]> = [];
  const add = (route: string, p: string, v: string) => cases.push([`${route}?${p}=${label(v)}`, `${route}?${p}=${v}`, p]);
  const strings: Record<string, string[]> = {
    '/api/traces': ['projectId', 'project_id', 'framework', 'sessionId', 'service', 'model', 'status'],
    '/api/traces/spans': ['project_id', 'server_name', 'tool_name', 'session_id', 'agent_name', 'status'],
  };
  for (const route of ['/api/traces', '/api/traces/spans']) {
    for (const p of ['from', 'to', 'since', 'until', 'start', 'end']) {
      for (const v of [huge, '-1', '1.5', 'NaN', 'Infinity', '1e3', '0x10', veryLong, '%2B275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z', '10000-01-01T00:00:00Z', '2025-13-45', 'March%207']) {
        add(route, p, v);
      }
    }
    for (const p of ['limit', 'offset']) {
      for (const v of [huge, '-1', '1.5', 'NaN', 'Infinity', '1e3', '0x10', veryLong, '-99999999999999999999']) add(route, p, v);
    }
    for (const p of strings[route]) add(route, p, 'x'.repeat(5000));
  }
  add('/api/traces/bounds-trace', 'projectId', 'x'.repeat(5000));

  it.each(cases)('GET %s → 400', async (_label, path, name) => {
    const r = await get(path);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.body.error.code).toBe('invalid');
    expect(r.body.error.problems.map((p: any) => p.path)).toEqual([name]);
    expect(r.body.error.message).toContain(name);
    // A 400 never echoes kilobytes back.
    expect(r.body.error.message.length).toBeLessThan(400);
  });

  it('the error for an out-of-range time says which range', async () => {
    const r = await get(`/api/traces?total=1&from=${huge}`);
    expect(r.body.error.message).toContain('1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z');
  });

  it.each([
    '/api/traces?total=1&from=0&to=253402300799999',
    '/api/traces?total=1&from=1970-01-01T00:00:00Z&to=9999-12-31T23:59:59.999999Z',
    '/api/traces?total=1&from=2026-03-17&to=2026-03-18T00:00:00%2B02:00',
    '/api/traces/spans?from=0&to=253402300799999',
    '/api/traces/spans?since=2026-03-17T11:59:59.999999Z&until=2026-03-17T12:00:00.000001Z',
    '/api/traces?total=1&limit=1000&offset=10000000',
    '/api/traces?total=1&offset=-0',
    '/api/costs/models',
  ])('GET %s at the edges of the ranges → 200', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(200);
  });

  it('microsecond time bounds are kept (ISO fractions past milliseconds)', async () => {
    expect((await get('/api/traces/spans?total=1&from=2026-03-17T12:00:00.000001Z')).body.total).toBe(0);
    expect((await get('/api/traces/spans?total=1&from=2026-03-17T12:00:00.000000Z')).body.total).toBe(1);
    // Without an offset, a date-time is UTC, not the server's local time.
    expect((await get('/api/traces/spans?total=1&from=2026-03-17T12:00:00&to=2026-03-17T12:00:00')).body.total).toBe(1);
  });

  it('the server is healthy afterwards', expectHealthy);
});

/** Sends raw bytes on a fresh connection and collects everything the server writes until it closes. */
function raw(data: string | Buffer, port = server.httpPort): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (out += d));
    socket.on('error', (err) => (out ? resolve(out) : reject(err)));
    socket.on('close', () => resolve(out));
    socket.write(data);
  });
}

function parseResponse(text: string): { status: number; headers: Record<string, string>; body: any } {
  const split = text.indexOf('\r\n\r\n');
  expect(split, text).toBeGreaterThan(0);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const body = text.slice(split + 4);
  expect(Buffer.byteLength(body)).toBe(Number(headers['content-length']));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

describe('requests the HTTP parser refuses get the JSON error shape', () => {
  it('a 20 KB header → 431 too_large JSON, then the connection closes', async () => {
    const r = parseResponse(await raw(`GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`));
    expect(r.status).toBe(431);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers.connection).toBe('close');
    expect(r.body).toEqual({ error: { code: 'too_large', message: 'request line and headers exceed 16384 bytes' } });
    await expectHealthy();
  });

  it('a 100 KB URL → 431 too_large JSON', async () => {
    const r = parseResponse(await raw(`GET /api/traces?total=1&model=${'m'.repeat(100 * 1024)} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
    expect(r.status).toBe(431);
    expect(r.body.error.code).toBe('too_large');
    await expectHealthy();
  });

  it.each([
    ['an invalid method', 'G@T / HTTP/1.1\r\nHost: localhost\r\n\r\n', 'HPE_INVALID_METHOD'],
    ['garbage', 'this is not http\r\n\r\n', 'HPE_'],
    ['a bad Content-Length', 'POST /api/ingest HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a bad header name', 'GET / HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n', 'HPE_'],
  ])('%s → 400 invalid JSON', async (_what, request, code) => {
    const r = parseResponse(await raw(request));
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.body.error.code).toBe('invalid');
    expect(r.body.error.message).toContain('malformed HTTP request');
    expect(r.body.error.message).toContain(code);
    await expectHealthy();
  });

  it('a malformed request pipelined after a good one: the good response is intact and nothing is appended to it', async () => {
    const text = await raw('GET /api/liveness HTTP/1.1\r\nHost: localhost\r\n\r\nG@T / HTTP/1.1\r\n\r\n');
    const first = text.indexOf('HTTP/1.1 200');
    expect(first).toBe(0);
    // Either the 200 alone (a response was in flight, so nothing else is written) or the 200 followed by a whole JSON 400.
    const rest = text.slice(text.indexOf('{"status":"alive"}') + '{"status":"alive"}'.length);
    if (rest !== '') expect(parseResponse(rest).status).toBe(400);
    await expectHealthy();
  });

  it('headers not completed within the request timeout → 408 JSON (a bare server with short timeouts)', async () => {
    const bare = http.createServer({ requestTimeout: 300, headersTimeout: 300, connectionsCheckingInterval: 50 }, (_req, res) => res.end('ok'));
    installClientErrorHandler(bare);
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      const r = parseResponse(await raw('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', (bare.address() as AddressInfo).port));
      expect(r.status).toBe(408);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.body.error.code).toBe('request_timeout');
    } finally {
      bare.closeAllConnections();
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});
