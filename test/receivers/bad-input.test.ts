/**
 * Hostile and malformed input on every receiver. After each case the server
 * must still report healthy and everything ingested before must be intact.
 */
import { once } from 'node:events';
import { createGzip, gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeStatus,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  HealthCheckRequest,
  HealthCheckResponse,
} from '../../src/receivers/otlp/proto-root.js';
import { startTestServer, type TestServer, waitLoaded } from '../helpers/server.js';

const MAX_BODY = 2 * 1024 * 1024;
const MAX_DECOMPRESSED = 8 * 1024 * 1024;
const GRPC_MAX_RECEIVE = 1024 * 1024;
const MAX_DEPTH = 16;

const PB = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

let server: TestServer;
let grpcClient: grpc.Client;

// ---------------------------------------------------------------- helpers

const hex = (h: string) => Buffer.from(h, 'hex');
let idCounter = 0;
/** A fresh, valid 16-byte trace id (hex). */
const newTraceId = () => (0xbad00000 + ++idCounter).toString(16).padStart(32, 'c');
const newSpanId = () => (0x5a000000 + ++idCounter).toString(16).padStart(16, 'd');

interface PbSpan {
  traceId: Buffer;
  spanId: Buffer;
  name: string;
  attributes?: unknown[];
  [k: string]: unknown;
}

function pbSpan(traceId: string, spanId: string, name: string, extra: Record<string, unknown> = {}): PbSpan {
  return {
    traceId: hex(traceId),
    spanId: hex(spanId),
    name,
    kind: 1,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000005000000',
    ...extra,
  };
}

function pbRequest(spans: unknown[], service = 'bad-input'): Buffer {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'bad-input-test' }, spans }],
    }],
  })).finish());
}

function jsonRequest(spans: unknown[], service = 'bad-input'): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'bad-input-test' }, spans }],
    }],
  });
}

function jsonSpan(traceId: string, spanId: string, name: string, extra: Record<string, unknown> = {}) {
  return { traceId, spanId, name, kind: 1, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000005000000', ...extra };
}

function decodeResponse(buf: Buffer): { partialSuccess?: { rejectedSpans: number; errorMessage: string } } {
  return ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(buf), { longs: Number }) as any;
}

async function post(path: string, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(`${server.httpUrl}${path}`, { method: 'POST', headers, body });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, buf, type: res.headers.get('content-type') ?? '' };
}

const json = (buf: Buffer): any => JSON.parse(buf.toString('utf8'));

async function getTrace(id: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.httpUrl}/api/traces/${encodeURIComponent(id)}`);
  return { status: res.status, body: await res.json() };
}

function grpcUnary(path: string, message: Buffer): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
  return new Promise((resolve) => {
    grpcClient.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, message, (err, res) => resolve({ err: err ?? null, res }));
  });
}
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Wire encoding helpers for hand-built protobuf. */
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const lenField = (fieldNo: number, payload: Buffer) => Buffer.concat([varint((fieldNo << 3) | 2), varint(payload.length), payload]);

/** An AnyValue nested `depth` arrayValues deep, encoded without recursion. */
function deepAnyValue(depth: number): Buffer {
  const leaf = lenField(1, Buffer.from('x')); // AnyValue{string_value: "x"}
  const prefixes: Buffer[] = [];
  let len = leaf.length;
  for (let i = 0; i < depth; i++) {
    // ArrayValue{values(1): AnyValue}
    const arrPrefix = Buffer.concat([varint((1 << 3) | 2), varint(len)]);
    len += arrPrefix.length;
    // AnyValue{array_value(5): ArrayValue}
    const anyPrefix = Buffer.concat([varint((5 << 3) | 2), varint(len)]);
    len += anyPrefix.length;
    prefixes.push(anyPrefix, arrPrefix);
  }
  const out = Buffer.allocUnsafe(len);
  let off = 0;
  for (let i = prefixes.length - 2; i >= 0; i -= 2) {
    off += prefixes[i].copy(out, off);
    off += prefixes[i + 1].copy(out, off);
  }
  leaf.copy(out, off);
  return out;
}

/** ExportTraceServiceRequest with one span whose attribute `key` is nested `depth` deep. */
function deepProtobufRequest(traceId: string, spanId: string, key: string, depth: number): Buffer {
  const kv = Buffer.concat([lenField(1, Buffer.from(key)), lenField(2, deepAnyValue(depth))]);
  const span = Buffer.concat([lenField(1, hex(traceId)), lenField(2, hex(spanId)), lenField(5, Buffer.from('deep span')), lenField(9, kv)]);
  const scopeSpans = lenField(2, span);
  const resourceSpans = lenField(2, scopeSpans);
  return lenField(1, resourceSpans);
}

function nestedJsonValue(depth: number): unknown {
  let v: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}

async function gzipBomb(megabytes: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const ended = once(gz, 'end');
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < megabytes; i++) {
    if (!gz.write(zeros)) await once(gz, 'drain');
  }
  gz.end();
  await ended;
  return Buffer.concat(chunks);
}

// ------------------------------------------------- data that must survive

/** trace id → span ids that must stay stored. */
const known = new Map<string, string[]>();
let baselineTraceId = '';
let baselineSnapshot: any;

async function remember(traceId: string, spanIds: string[]): Promise<void> {
  await waitLoaded(server);
  const { status, body } = await getTrace(traceId);
  expect(status, `trace ${traceId} should be stored`).toBe(200);
  expect(body.spans.map((s: any) => s.id).sort()).toEqual([...spanIds].sort());
  known.set(traceId, spanIds);
}

beforeAll(async () => {
  server = await startTestServer({
    limits: { maxBodyBytes: MAX_BODY, maxDecompressedBytes: MAX_DECOMPRESSED, grpcMaxReceiveBytes: GRPC_MAX_RECEIVE, maxAttributeDepth: MAX_DEPTH },
  });
  grpcClient = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
  baselineTraceId = newTraceId();
  const spanA = newSpanId();
  const spanB = newSpanId();
  const res = await post('/v1/traces', pbRequest([
    pbSpan(baselineTraceId, spanA, 'baseline root', {
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-2024-08-06' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: 10 } },
      ],
    }),
    pbSpan(baselineTraceId, spanB, 'baseline child', { parentSpanId: hex(spanA), startTimeUnixNano: '1700000000001000000' }),
  ], 'baseline-svc'), { 'content-type': PB });
  expect(res.status).toBe(200);
  await remember(baselineTraceId, [spanA, spanB]);
  baselineSnapshot = (await getTrace(baselineTraceId)).body;
});

afterAll(async () => {
  grpcClient?.close();
  await server?.dispose();
});

afterEach(async () => {
  const health = await fetch(`${server.httpUrl}/api/health`);
  expect(health.status).toBe(200);
  const h = (await health.json()) as any;
  expect(h.status, JSON.stringify(h.store)).toBe('ok');
  expect(h.store.state).toBe('open');
  await waitLoaded(server);
  expect((await getTrace(baselineTraceId)).body).toEqual(baselineSnapshot);
  for (const [traceId, spanIds] of known) {
    const { status, body } = await getTrace(traceId);
    expect(status, `trace ${traceId} lost`).toBe(200);
    expect(body.spanCount).toBe(spanIds.length);
    expect(body.spans.map((s: any) => s.id).sort()).toEqual([...spanIds].sort());
  }
});

// ------------------------------------------------------------------ OTLP/HTTP

describe('OTLP/HTTP malformed bodies', () => {
  it('garbage protobuf → 400 with a google.rpc.Status INVALID_ARGUMENT', async () => {
    for (const garbage of [Buffer.from('this is not a protobuf'), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]) {
      const r = await post('/v1/traces', garbage, { 'content-type': PB });
      expect(r.status).toBe(400);
      expect(r.type).toMatch(/^application\/x-protobuf/);
      const st = decodeStatus(r.buf);
      expect(st.code).toBe(3);
      expect(st.message).toMatch(/malformed OTLP protobuf/);
    }
  });

  it('garbage protobuf inside valid gzip → 400 INVALID_ARGUMENT', async () => {
    const r = await post('/api/traces/otlp', gzipSync(Buffer.from('this is not a protobuf')), { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(decodeStatus(r.buf).code).toBe(3);
  });

  it('a body that is not gzip but says so → 400', async () => {
    const r = await post('/v1/traces', Buffer.from('plainly not gzip'), { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    const st = decodeStatus(r.buf);
    expect(st.code).toBe(3);
    expect(st.message).toMatch(/gzip/);
  });

  it('truncated JSON → 400 JSON naming the problem', async () => {
    const full = jsonRequest([jsonSpan(newTraceId(), newSpanId(), 'never stored')]);
    const r = await post('/v1/traces', full.slice(0, Math.floor(full.length / 2)), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/json/);
    const body = json(r.buf);
    expect(body.code).toBe(3);
    expect(body.message).toMatch(/malformed OTLP JSON/);
    expect(body.error.code).toBe('invalid');
    expect(body.error.message).toMatch(/malformed OTLP JSON/);
  });

  it('JSON that is not an object → 400', async () => {
    for (const text of ['[]', '42', 'null', '"resourceSpans"']) {
      const r = await post('/v1/traces', text, { 'content-type': JSON_TYPE });
      expect(r.status, text).toBe(400);
      expect(json(r.buf).error.code).toBe('invalid');
    }
    const r = await post('/v1/traces', JSON.stringify({ resourceSpans: 'nope' }), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(400);
    expect(json(r.buf).message).toMatch(/resourceSpans must be an array/);
  });

  it('wrong content type → 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const r = await post('/v1/traces', pbRequest([pbSpan(newTraceId(), newSpanId(), 'never stored')]), { 'content-type': type });
      expect(r.status, type).toBe(415);
      const body = json(r.buf);
      expect(body.error.code).toBe('unsupported_media_type');
      expect(body.error.message).toContain(type.split(';')[0]);
    }
  });

  it('unsupported Content-Encoding → 415', async () => {
    const r = await post('/v1/traces', Buffer.from('xx'), { 'content-type': PB, 'content-encoding': 'br' });
    expect(r.status).toBe(415);
    expect(decodeStatus(r.buf).message).toMatch(/Content-Encoding "br"/);
  });

  it('oversized body → 413 RESOURCE_EXHAUSTED (Content-Length declared)', async () => {
    const r = await post('/v1/traces', Buffer.alloc(MAX_BODY + 1024 * 1024, 0x41), { 'content-type': PB });
    expect(r.status).toBe(413);
    const st = decodeStatus(r.buf);
    expect(st.code).toBe(8);
    expect(st.message).toMatch(/exceeds the limit/);
  });

  it('oversized body → 413 (chunked, no Content-Length)', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x7b);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= MAX_BODY + 512 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${server.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': JSON_TYPE },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    const body = (await res.json()) as any;
    expect(body.code).toBe(8);
    expect(body.error.code).toBe('too_large');
  });

  it('gzip bomb → 413 at the decompressed cap without ballooning memory', async () => {
    const bomb = await gzipBomb(200);
    expect(bomb.length).toBeLessThan(MAX_BODY);
    expect(bomb.length).toBeGreaterThan(100 * 1024);
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const pb = await post('/v1/traces', bomb, { 'content-type': PB, 'content-encoding': 'gzip' });
      expect(pb.status).toBe(413);
      const st = decodeStatus(pb.buf);
      expect(st.code).toBe(8);
      expect(st.message).toMatch(/decompressed body exceeds the limit of 8388608 bytes/);
      const js = await post('/api/traces/otlp', bomb, { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' });
      expect(js.status).toBe(413);
      expect(json(js.buf).error.code).toBe('too_large');
      const native = await post('/api/ingest', bomb, { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' });
      expect(native.status).toBe(413);
      expect(json(native.buf).error.code).toBe('too_large');
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(peak - rssBefore).toBeLessThan(150 * 1024 * 1024);
  });

  it('empty protobuf body → 200 with an empty ExportTraceServiceResponse', async () => {
    const r = await post('/v1/traces', Buffer.alloc(0), { 'content-type': PB });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/x-protobuf/);
    expect(r.buf.length).toBe(0);
    expect(decodeResponse(r.buf).partialSuccess).toBeUndefined();
  });

  it('{} JSON → 200 {}; empty JSON body → 400', async () => {
    const ok = await post('/v1/traces', '{}', { 'content-type': JSON_TYPE });
    expect(ok.status).toBe(200);
    expect(json(ok.buf)).toEqual({});
    const empty = await post('/v1/traces', Buffer.alloc(0), { 'content-type': JSON_TYPE });
    expect(empty.status).toBe(400);
    expect(json(empty.buf).error.code).toBe('invalid');
  });
});

describe('individually invalid spans (partial success)', () => {
  it('invalid id lengths via protobuf: rejected spans counted, valid spans stored', async () => {
    const traceId = newTraceId();
    const good1 = newSpanId();
    const good2 = newSpanId();
    const body = pbRequest([
      pbSpan(traceId, good1, 'good 1'),
      { ...pbSpan(traceId, newSpanId(), 'short trace id'), traceId: hex('0102030405060708') },
      { ...pbSpan(traceId, newSpanId(), 'short span id'), spanId: hex('01020304') },
      { ...pbSpan(traceId, newSpanId(), 'missing span id'), spanId: Buffer.alloc(0) },
      { ...pbSpan(traceId, newSpanId(), 'long parent id'), parentSpanId: hex('010203040506070809') },
      pbSpan(traceId, good2, 'good 2'),
    ]);
    const r = await post('/v1/traces', body, { 'content-type': PB });
    expect(r.status).toBe(200);
    const resp = decodeResponse(r.buf);
    expect(resp.partialSuccess?.rejectedSpans).toBe(4);
    expect(resp.partialSuccess?.errorMessage).toMatch(/trace_id must be 16 bytes, got 8/);
    expect(resp.partialSuccess?.errorMessage).toMatch(/span_id must be 8 bytes, got 4/);
    expect(resp.partialSuccess?.errorMessage).toMatch(/span_id is missing/);
    expect(resp.partialSuccess?.errorMessage).toMatch(/parent_span_id must be 8 bytes, got 9/);
    await remember(traceId, [good1, good2]);
  });

  it('invalid id lengths via JSON', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    const r = await post('/v1/traces', jsonRequest([
      jsonSpan(traceId, good, 'good'),
      jsonSpan(traceId.slice(2), newSpanId(), 'short trace id'),
      jsonSpan(traceId, `${newSpanId()}ff`, 'long span id'),
    ]), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(200);
    const body = json(r.buf);
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(/trace_id must be 32 hex characters, got 30/);
    expect(body.partialSuccess.errorMessage).toMatch(/span_id must be 16 hex characters, got 18/);
    await remember(traceId, [good]);
  });

  it('attribute nested 100 deep (JSON) → that span rejected, naming the attribute', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    const shallow = newSpanId();
    const r = await post('/v1/traces', jsonRequest([
      jsonSpan(traceId, good, 'good'),
      jsonSpan(traceId, newSpanId(), 'too deep', { attributes: [{ key: 'app.deep.value', value: nestedJsonValue(100) }] }),
      jsonSpan(traceId, shallow, 'nested within the limit', { attributes: [{ key: 'app.ok.value', value: nestedJsonValue(3) }] }),
    ]), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(200);
    const body = json(r.buf);
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/spans\[1\]: attribute "app\.deep\.value" is nested deeper than 16 levels/);
    await remember(traceId, [good, shallow]);
    const { body: t } = await getTrace(traceId);
    expect(t.spans.find((s: any) => s.id === shallow).attributes['app.ok.value']).toEqual([[['leaf']]]);
  });

  it('kvlistValue nested 100 deep (JSON) → that span rejected, the message names the top-level attribute', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    let deep: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 100; i++) deep = { kvlistValue: { values: [{ key: `inner${i}`, value: deep }] } };
    const r = await post('/v1/traces', jsonRequest([
      jsonSpan(traceId, good, 'good'),
      jsonSpan(traceId, newSpanId(), 'too deep kvlist', { attributes: [{ key: 'app.deep.kvlist', value: deep }] }),
    ]), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(200);
    const body = json(r.buf);
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    await remember(traceId, [good]);
    // The sender can only act on the attribute it set, not on a key buried inside it.
    expect(body.partialSuccess.errorMessage).toContain('"app.deep.kvlist"');
  });

  it('attribute nested 30 deep (protobuf) → partial success naming the attribute', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    const body = Buffer.concat([
      deepProtobufRequest(traceId, newSpanId(), 'app.deep.pb', 30),
      pbRequest([pbSpan(traceId, good, 'good')]), // repeated resource_spans: concatenated messages merge
    ]);
    const r = await post('/v1/traces', body, { 'content-type': PB });
    expect(r.status).toBe(200);
    const resp = decodeResponse(r.buf);
    expect(resp.partialSuccess?.rejectedSpans).toBe(1);
    expect(resp.partialSuccess?.errorMessage).toMatch(/attribute "app\.deep\.pb" is nested deeper than 16 levels/);
    await remember(traceId, [good]);
  });

  it('attribute nested 100 deep (protobuf) → only that span rejected (partial success), the batch kept', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    const body = Buffer.concat([
      deepProtobufRequest(traceId, newSpanId(), 'app.deep.pb100', 100),
      pbRequest([pbSpan(traceId, good, 'good')]),
    ]);
    const r = await post('/v1/traces', body, { 'content-type': PB });
    const detail = r.status === 200 ? JSON.stringify(decodeResponse(r.buf)) : decodeStatus(r.buf).message;
    expect(r.status, detail).toBe(200);
    const resp = decodeResponse(r.buf);
    expect(resp.partialSuccess?.rejectedSpans).toBe(1);
    expect(resp.partialSuccess?.errorMessage).toContain('app.deep.pb100');
    await remember(traceId, [good]);
  });

  it('JSON nested 100000 deep → that span rejected, not a crash', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    const text = jsonRequest([
      jsonSpan(traceId, newSpanId(), 'abyss', { attributes: [{ key: 'app.abyss', value: { __placeholder: true } }] }),
      jsonSpan(traceId, good, 'good'),
    ]).replace('{"__placeholder":true}', '{"arrayValue":{"values":['.repeat(100_000) + '{"stringValue":"x"}' + ']}}'.repeat(100_000));
    const r = await post('/v1/traces', gzipSync(text), { 'content-type': JSON_TYPE, 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    const body = json(r.buf);
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toContain('app.abyss');
    await remember(traceId, [good]);
  });

  it('protobuf nested 100000 deep → that span rejected (the reader stops at the depth limit), not a crash', async () => {
    const traceId = newTraceId();
    const body = deepProtobufRequest(traceId, newSpanId(), 'app.abyss', 100_000);
    expect(body.length).toBeLessThan(MAX_BODY);
    const r = await post('/v1/traces', body, { 'content-type': PB });
    expect(r.status).toBe(200);
    const res = ExportTraceServiceResponse.decode(r.buf) as any;
    expect(Number(res.partialSuccess.rejectedSpans)).toBe(1);
    expect(res.partialSuccess.errorMessage).toContain('app.abyss');
    expect((await getTrace(traceId)).status).toBe(404);
  });

  it('invalid UTF-8 in protobuf strings → span stored with U+FFFD', async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    const buf = pbRequest([pbSpan(traceId, spanId, 'bad\x01\x02name', {
      attributes: [
        { key: 'key\x05', value: { stringValue: 'val\x03\x04' } },
        { key: 'app.truncated', value: { stringValue: 'e\x06\x07' } },
      ],
    })], 'svc\x08');
    const patch = (marker: string, bytes: number[]) => {
      const at = buf.indexOf(Buffer.from(marker, 'latin1'));
      expect(at, marker).toBeGreaterThanOrEqual(0);
      Buffer.from(bytes).copy(buf, at + marker.search(/[\x01-\x08]/));
    };
    patch('bad\x01\x02name', [0xff, 0xfe]); // two invalid bytes
    patch('key\x05', [0x80]); // lone continuation byte (an attribute key)
    patch('val\x03\x04', [0xc3, 0x28]); // lead byte followed by a non-continuation
    patch('e\x06\x07', [0xe2, 0x82]); // truncated 3-byte sequence at the end
    patch('svc\x08', [0xc0]); // invalid lead byte in a resource attribute
    const r = await post('/v1/traces', buf, { 'content-type': PB });
    expect(r.status).toBe(200);
    expect(decodeResponse(r.buf).partialSuccess).toBeUndefined();
    await remember(traceId, [spanId]);
    const { body } = await getTrace(traceId);
    const s = body.spans[0];
    expect(s.name).toBe('bad\uFFFD\uFFFDname');
    expect(s.attributes['key\uFFFD']).toBe('val\uFFFD(');
    expect(s.attributes['app.truncated']).toBe('e\uFFFD');
    expect(s.serviceName).toBe('svc\uFFFD');
    expect(body.serviceName).toBe('svc\uFFFD');
  });

  it('invalid UTF-8 and lone surrogates in OTLP/JSON → stored with U+FFFD', async () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    // "\ud800" is a lone surrogate escape; the raw 0xff byte is not UTF-8 at all.
    const text = jsonRequest([jsonSpan(traceId, spanId, 'SURROGATE', { attributes: [{ key: 'app.raw', value: { stringValue: 'RAW' } }] })])
      .replace('SURROGATE', 'lone \\ud800 surrogate');
    const raw = Buffer.from(text, 'utf8');
    const at = raw.indexOf(Buffer.from('"RAW"'));
    raw[at + 2] = 0xff;
    const r = await post('/v1/traces', raw, { 'content-type': JSON_TYPE });
    expect(r.status).toBe(200);
    expect(json(r.buf)).toEqual({});
    await remember(traceId, [spanId]);
    const s = (await getTrace(traceId)).body.spans[0];
    expect(s.name).toBe('lone \uFFFD surrogate');
    expect(s.attributes['app.raw']).toBe('R\uFFFDW');
  });
});

// ------------------------------------------------------------------ gRPC

describe('OTLP/gRPC', () => {
  it('garbage bytes → INVALID_ARGUMENT', async () => {
    const { err } = await grpcUnary(EXPORT_PATH, Buffer.from('this is not a protobuf'));
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/malformed OTLP protobuf/);
  });

  it('protobuf nested 100000 deep → OK with that span rejected in partial_success', async () => {
    const body = deepProtobufRequest(newTraceId(), newSpanId(), 'app.abyss', 100_000);
    expect(body.length).toBeLessThan(GRPC_MAX_RECEIVE);
    const { err, res } = await grpcUnary(EXPORT_PATH, body);
    expect(err).toBeNull();
    const decoded = ExportTraceServiceResponse.decode(res!) as any;
    expect(Number(decoded.partialSuccess.rejectedSpans)).toBe(1);
    expect(decoded.partialSuccess.errorMessage).toContain('app.abyss');
  });

  it('a message over grpcMaxReceiveBytes → RESOURCE_EXHAUSTED', async () => {
    const { err } = await grpcUnary(EXPORT_PATH, Buffer.alloc(GRPC_MAX_RECEIVE + 512 * 1024, 0x41));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('an empty message → OK with an empty response', async () => {
    const { err, res } = await grpcUnary(EXPORT_PATH, Buffer.alloc(0));
    expect(err).toBeNull();
    expect(res!.length).toBe(0);
  });

  it('invalid id lengths → partial_success, valid spans stored', async () => {
    const traceId = newTraceId();
    const good = newSpanId();
    const { err, res } = await grpcUnary(EXPORT_PATH, pbRequest([
      pbSpan(traceId, good, 'good'),
      { ...pbSpan(traceId, newSpanId(), 'short trace id'), traceId: hex('0102') },
    ]));
    expect(err).toBeNull();
    const resp = decodeResponse(res!);
    expect(resp.partialSuccess?.rejectedSpans).toBe(1);
    expect(resp.partialSuccess?.errorMessage).toMatch(/trace_id must be 16 bytes, got 2/);
    await remember(traceId, [good]);
  });

  it('health Check → SERVING; unknown service → NOT_FOUND', async () => {
    const check = (service: string) => new Promise<{ err: grpc.ServiceError | null; res?: any }>((resolve) => {
      grpcClient.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (m: object) => Buffer.from(HealthCheckRequest.encode(HealthCheckRequest.fromObject(m)).finish()),
        (b: Buffer) => HealthCheckResponse.toObject(HealthCheckResponse.decode(b), { defaults: true, enums: String }),
        { service },
        (err, res) => resolve({ err: err ?? null, res }),
      );
    });
    const all = await check('');
    expect(all.err).toBeNull();
    expect(all.res.status).toBe('SERVING');
    const otlp = await check('opentelemetry.proto.collector.trace.v1.TraceService');
    expect(otlp.err).toBeNull();
    expect(otlp.res.status).toBe('SERVING');
    const unknown = await check('no.such.Service');
    expect(unknown.err?.code).toBe(grpc.status.NOT_FOUND);
  });
});

// ------------------------------------------------------------------ native

describe('native ingest', () => {
  it('/api/ingest: a 400 lists every bad field by path and stores nothing', async () => {
    const traceId = `native-bad-${++idCounter}`;
    const r = await post('/api/ingest', JSON.stringify({
      spans: [
        { traceId, spanId: 's0', name: 'bad start', startedAt: 'not-a-date' },
        { traceId, spanId: 's1', name: 'bad usage', startedAt: '2025-01-01T00:00:00Z', usage: { inputTokens: -5, outputTokens: 1.5 } },
        { traceId: '', spanId: 's2', name: 'bad enums', startedAt: 1735689600000, status: 'exploded', type: 'banana' },
        { traceId, spanId: 's3', name: 'ends first', startedAt: '2025-01-01T00:00:01Z', endedAt: '2025-01-01T00:00:00Z' },
        { traceId, spanId: 's4', name: 'fine', startedAt: '2025-01-01T00:00:00Z' },
      ],
    }), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(400);
    const body = json(r.buf);
    expect(body.error.code).toBe('invalid');
    const paths = body.error.problems.map((p: any) => p.path);
    for (const p of ['spans[0].startedAt', 'spans[1].usage.inputTokens', 'spans[1].usage.outputTokens', 'spans[2].traceId', 'spans[2].status', 'spans[2].type', 'spans[3].endedAt']) {
      expect(paths, JSON.stringify(body.error.problems)).toContain(p);
    }
    expect(paths.some((p: string) => p.startsWith('spans[4]'))).toBe(false);
    expect(body.error.problems.every((p: any) => typeof p.message === 'string' && p.message.length > 0)).toBe(true);
    expect(body.error.message).toContain('spans[0].startedAt');
    await waitLoaded(server);
    expect((await getTrace(traceId)).status).toBe(404);
  });

  it('/api/ingest: missing spans, malformed JSON, wrong content type', async () => {
    const missing = await post('/api/ingest', JSON.stringify({ span: [] }), { 'content-type': JSON_TYPE });
    expect(missing.status).toBe(400);
    expect(json(missing.buf).error.problems.map((p: any) => p.path)).toContain('spans');
    const malformed = await post('/api/ingest', '{"spans": [', { 'content-type': JSON_TYPE });
    expect(malformed.status).toBe(400);
    expect(json(malformed.buf).error.message).toMatch(/malformed JSON/);
    const wrongType = await post('/api/ingest', JSON.stringify({ spans: [] }), { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(json(wrongType.buf).error.code).toBe('unsupported_media_type');
    const oversized = await post('/api/ingest', Buffer.alloc(MAX_BODY + 1024, 0x20), { 'content-type': JSON_TYPE });
    expect(oversized.status).toBe(413);
    expect(json(oversized.buf).error.code).toBe('too_large');
  });

  it('/api/traces/spans (bare array): a 400 lists every bad field by path', async () => {
    const r = await post('/api/traces/spans', JSON.stringify([
      { server_name: '', tool_name: 'search', started_at: 'yesterday' },
      { server_name: 'docs', tool_name: 'search', started_at: '2025-01-01T00:00:00Z', status: 'exploded', input_tokens: -1, latency_ms: 'fast' },
    ]), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(400);
    const body = json(r.buf);
    expect(body.error.code).toBe('invalid');
    const paths = body.error.problems.map((p: any) => p.path);
    for (const p of ['[0].server_name', '[0].started_at', '[1].status', '[1].input_tokens', '[1].latency_ms']) {
      expect(paths, JSON.stringify(body.error.problems)).toContain(p);
    }
  });

  it('/api/traces/spans ({spans: [...]} form): a 400 lists every bad field by path', async () => {
    const r = await post('/api/traces/spans', JSON.stringify({
      spans: [{ server_name: 'docs', tool_name: '', started_at: '2025-01-01T00:00:00Z', ended_at: 'later' }],
    }), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(400);
    const paths = json(r.buf).error.problems.map((p: any) => p.path);
    expect(paths, JSON.stringify(json(r.buf).error.problems)).toContain('spans[0].tool_name');
    expect(paths).toContain('spans[0].ended_at');
  });

  it('valid /api/ingest spans appear in /api/traces; costUsd 0 means computed', async () => {
    const traceId = `native-trace-${++idCounter}`;
    const r = await post('/api/ingest', JSON.stringify({
      spans: [
        {
          traceId, spanId: 'root', name: 'agent run', type: 'agent', status: 'ok',
          startedAt: '2025-02-01T10:00:00.000Z', endedAt: '2025-02-01T10:00:05.000Z',
          sessionId: 'native-session', serviceName: 'native-svc', agentName: 'planner',
        },
        {
          traceId, spanId: 'llm', parentSpanId: 'root', name: 'chat', type: 'llm_call', status: 'ok',
          startedAt: '2025-02-01T10:00:01.123456Z', endedAt: '2025-02-01T10:00:02.000Z',
          model: 'gpt-4o-2024-08-06', provider: 'openai', serviceName: 'native-svc',
          usage: { inputTokens: 1000, outputTokens: 200, costUsd: 0 },
        },
        {
          traceId, spanId: 'reported', parentSpanId: 'root', name: 'chat (reported)', type: 'llm_call',
          startedAt: '2025-02-01T10:00:03Z', endedAt: '2025-02-01T10:00:04Z',
          model: 'gpt-4o-2024-08-06', provider: 'openai', usage: { inputTokens: 10, outputTokens: 10, costUsd: 0.5 },
          status: 'error', error: { type: 'Timeout', message: 'took too long' },
        },
      ],
    }), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(200);
    expect(json(r.buf)).toEqual({ accepted: 3, rejected: 0, duplicates: 0 });
    await remember(traceId, ['root', 'llm', 'reported']);

    const list = (await (await fetch(`${server.httpUrl}/api/traces?total=1&sessionId=native-session`)).json()) as any;
    expect(list.total).toBe(1);
    expect(list.traces[0].id).toBe(traceId);
    expect(list.traces[0].serviceName).toBe('native-svc');
    expect(list.traces[0].agentName).toBe('planner');
    expect(list.traces[0].status).toBe('error');

    const { body: t } = await getTrace(traceId);
    expect(t.rootSpanId).toBe('root');
    expect(t.spans.map((s: any) => s.id)).toEqual(['root', 'llm', 'reported']);
    const llm = t.spans[1];
    expect(llm.startedAt).toBe('2025-02-01T10:00:01.123456Z');
    expect(llm.usage.costSource).toBe('computed');
    expect(llm.usage.costUsd).toBeCloseTo((1000 * 2.5 + 200 * 10) / 1e6, 9);
    expect(llm.model).toBe('gpt-4o-2024-08-06');
    const reported = t.spans[2];
    expect(reported.usage.costSource).toBe('reported');
    expect(reported.usage.costUsd).toBe(0.5);
    expect(reported.status).toBe('error');
    expect(reported.statusMessage).toBe('took too long');
    expect(reported.errorType).toBe('Timeout');
    expect(t.totalUsage.costUsd).toBeCloseTo(0.5 + 0.0045, 9);
    expect(t.totalUsage.inputTokens).toBe(1010);
  });

  it('valid /api/traces/spans spans appear in /api/traces', async () => {
    const traceId = `ls-trace-${++idCounter}`;
    const r = await post('/api/traces/spans', JSON.stringify([
      {
        server_name: 'docs-mcp', tool_name: 'search', trace_id: traceId, span_id: 'ls-span-1',
        started_at: '2025-02-01T11:00:00Z', ended_at: '2025-02-01T11:00:00.250Z',
        status: 'error', error: 'not found', session_id: 'ls-session', agent_name: 'researcher',
        input_args: { q: 'otlp' },
      },
    ]), { 'content-type': JSON_TYPE });
    expect(r.status).toBe(202);
    expect(json(r.buf)).toEqual({ accepted: 1, rejected: 0, duplicates: 0 });
    await remember(traceId, ['ls-span-1']);
    const { body: t } = await getTrace(traceId);
    expect(t.framework).toBe('langsight');
    expect(t.sessionId).toBe('ls-session');
    const [s] = t.spans;
    expect(s.type).toBe('tool_call');
    expect(s.status).toBe('error');
    expect(s.statusMessage).toBe('not found');
    expect(s.serverName).toBe('docs-mcp');
    expect(s.toolName).toBe('search');
    expect(s.durationMs).toBe(250);
    expect(JSON.parse(s.input)).toEqual({ q: 'otlp' });
    const list = (await (await fetch(`${server.httpUrl}/api/traces?total=1&sessionId=ls-session&status=error`)).json()) as any;
    expect(list.traces.map((x: any) => x.id)).toEqual([traceId]);
  });
});
