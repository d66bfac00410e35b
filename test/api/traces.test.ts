/**
 * The read side and the operational endpoints: error shapes, query
 * validation, health/liveness/readiness, /metrics, and de-duplication of a
 * re-sent OTLP batch.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from '../../src/receivers/otlp/proto-root.js';
import { startTestServer, type TestServer, waitLoaded } from '../helpers/server.js';

let server: TestServer;

const hex = (h: string) => Buffer.from(h, 'hex');

async function get(path: string): Promise<{ status: number; type: string; body: any; text: string }> {
  const res = await fetch(`${server.httpUrl}${path}`);
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body, text };
}

function expectErrorShape(body: any, code: string): void {
  expect(body).toBeTypeOf('object');
  expect(body.error).toBeTypeOf('object');
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
}

const TRACE = '0123456789abcdef0123456789abcdef';
const SPANS = ['1111111111111111', '2222222222222222', '3333333333333333'];

function batch(spanIds: string[]): Buffer {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'dedup-svc' } }] },
      scopeSpans: [{
        scope: { name: 'dedup' },
        spans: spanIds.map((id, i) => ({
          traceId: hex(TRACE),
          spanId: hex(id),
          parentSpanId: i === 0 ? undefined : hex(SPANS[0]),
          name: i === 0 ? 'root' : `chat ${i}`,
          kind: i === 0 ? 2 : 3,
          startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n),
          endTimeUnixNano: String(1_700_000_000_500_000_000n + BigInt(i) * 1_000_000n),
          attributes: i === 0 ? [] : [
            { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
            { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
            { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-2024-08-06' } },
            { key: 'gen_ai.usage.input_tokens', value: { intValue: 100 } },
            { key: 'gen_ai.usage.output_tokens', value: { intValue: 50 } },
          ],
        })),
      }],
    }],
  })).finish());
}

async function postBatch(body: Buffer): Promise<void> {
  const res = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  expect(res.status).toBe(200);
  const resp = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(Buffer.from(await res.arrayBuffer()))) as any;
  expect(resp.partialSuccess).toBeUndefined();
}

function grpcExport(body: Buffer): Promise<void> {
  const client = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    client.makeUnaryRequest(
      '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err) => {
        client.close();
        if (err) reject(err);
        else resolve();
      },
    );
  });
}

/** The value of an unlabelled-or-labelled Prometheus sample, or undefined. */
function sample(metrics: string, name: string, labels = ''): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.dispose();
});

describe('errors are JSON with a stable shape', () => {
  it('unknown trace id → 404 {error:{code:"not_found",message}}', async () => {
    const r = await get('/api/traces/ffffffffffffffffffffffffffffffff');
    expect(r.status).toBe(404);
    expect(r.type).toMatch(/^application\/json/);
    expectErrorShape(r.body, 'not_found');
    expect(r.body.error.message).toContain('ffffffffffffffffffffffffffffffff');
  });

  it('unknown route → 404 JSON', async () => {
    const r = await get('/api/definitely-not-a-route');
    expect(r.status).toBe(404);
    expect(r.type).toMatch(/^application\/json/);
    expectErrorShape(r.body, 'not_found');
    expect(r.body.error.message).toContain('/api/definitely-not-a-route');
  });

  it.each([
    ['limit=abc', 'limit'],
    ['limit=0', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=1000000', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=x', 'offset'],
    ['status=exploded', 'status'],
    ['from=not-a-time', 'from'],
    ['to=yesterday-ish', 'to'],
  ])('GET /api/traces?total=1&%s → 400 naming %s', async (query, field) => {
    const r = await get(`/api/traces?total=1&${query}`);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/json/);
    expectErrorShape(r.body, 'invalid');
    expect(r.body.error.message).toContain(field);
    expect(r.body.error.problems.map((p: any) => p.path)).toEqual([field]);
  });

  it('limit and offset at their bounds are accepted', async () => {
    const r = await get('/api/traces?total=1&limit=1000&offset=0');
    expect(r.status).toBe(200);
    expect(r.body.limit).toBe(1000);
    const d = await get('/api/traces');
    expect(d.status).toBe(200);
    expect(d.body.limit).toBe(50);
    expect(d.body.offset).toBe(0);
  });
});

describe('health endpoints', () => {
  it('/api/liveness → 200', async () => {
    const r = await get('/api/liveness');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('alive');
  });

  it('/api/readiness → 200 when the store is open and the WAL replayed', async () => {
    const r = await get('/api/readiness');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ready');
    expect(r.body.replayed).toBe(true);
  });

  it('/api/health reports status, version, uptime and store state', async () => {
    const r = await get('/api/health');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
    expect(r.body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isInteger(r.body.uptimeSeconds)).toBe(true);
    expect(r.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(r.body.store.state).toBe('open');
    expect(r.body.store.engine).toBe('duckdb');
    expect(r.body.store.error).toBeNull();
    expect(r.body.store.wal.lag).toEqual(expect.objectContaining({ bytes: expect.any(Number), spans: expect.any(Number) }));
  });

  it('WAL lag never reads 0 while acknowledged spans are not loaded', async () => {
    // What /api/health and /metrics report as the lag is store.lag(); sample it on every event-loop turn
    // while segments holding acknowledged spans are sealed and loaded.
    const { store, pipeline } = server;
    const bad: Array<{ lag: number; acked: number; loaded: number }> = [];
    let samples = 0;
    let sampling = false;
    const sampleLag = () => {
      if (!sampling) return;
      const acked = pipeline.counters.acceptedSpans;
      const loaded = store.loader.stats.loadedSpans;
      const lag = store.lag().spans;
      samples++;
      if (lag === 0 && loaded < acked) bad.push({ lag, acked, loaded });
      setImmediate(sampleLag);
    };
    for (let round = 0; round < 5; round++) {
      const traceId = `${'7'.repeat(31)}${round}`;
      const body = Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
        resourceSpans: [{ scopeSpans: [{ spans: [{
          traceId: hex(traceId), spanId: hex(`${'8'.repeat(15)}${round}`), name: 'lag probe',
          startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000001000000',
        }] }] }],
      })).finish());
      await postBatch(body);
      sampling = true;
      sampleLag();
      await store.wal.sealNow();
      await waitLoaded(server);
      sampling = false;
    }
    expect(samples).toBeGreaterThan(0);
    expect(bad.slice(0, 3), `lag read 0 in ${bad.length} of ${samples} samples while spans were unloaded`).toEqual([]);
  });
});

describe('re-sent batches', () => {
  let first: any;
  let acceptedBefore = 0;

  beforeAll(async () => {
    const metrics = await get('/metrics');
    acceptedBefore = sample(metrics.text, 'lookspan_spans_accepted_total', '{receiver="otlp_http_protobuf"}') ?? 0;
    const body = batch(SPANS);
    // Twice at once (most likely the same WAL segment), then once more after loading.
    await Promise.all([postBatch(body), postBatch(body)]);
    await waitLoaded(server);
    first = (await get(`/api/traces/${TRACE}`)).body;
  });

  it('the first delivery is stored once', () => {
    expect(first.spanCount).toBe(3);
    expect(first.spans).toHaveLength(3);
    expect(first.spans.map((s: any) => s.id)).toEqual(SPANS);
    expect(first.totalUsage.inputTokens).toBe(200);
    expect(first.totalUsage.outputTokens).toBe(100);
    expect(first.llmCallCount).toBe(2);
  });

  it('re-sending the same batch over HTTP and gRPC after it was loaded adds nothing', async () => {
    await postBatch(batch(SPANS));
    await grpcExport(batch(SPANS));
    await waitLoaded(server);
    const again = (await get(`/api/traces/${TRACE}`)).body;
    expect(again.spanCount).toBe(3);
    expect(again.spans).toHaveLength(3);
    expect(again.llmCallCount).toBe(2);
    expect(again.totalUsage).toEqual(first.totalUsage);
    expect(again).toEqual(first);
    const list = await get('/api/traces?total=1&service=dedup-svc');
    expect(list.body.total).toBe(1);
    expect(list.body.traces[0].spanCount).toBe(3);
  });

  it('a re-sent batch with one new span adds only that span', async () => {
    const extra = '4444444444444444';
    await postBatch(batch([...SPANS, extra]));
    await waitLoaded(server);
    const t = (await get(`/api/traces/${TRACE}`)).body;
    expect(t.spanCount).toBe(4);
    expect(t.spans.map((s: any) => s.id)).toEqual([...SPANS, extra]);
    expect(t.llmCallCount).toBe(3);
    expect(t.totalUsage.inputTokens).toBe(300);
  });

  it('/metrics counts accepted spans by receiver', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.text).toContain('# TYPE lookspan_spans_accepted_total counter');
    // 3 + 3 (concurrent) + 3 (HTTP re-send) + 4 = 13 accepted over HTTP/protobuf; 3 over gRPC.
    expect(sample(r.text, 'lookspan_spans_accepted_total', '{receiver="otlp_http_protobuf"}')).toBe(acceptedBefore + 13);
    expect(sample(r.text, 'lookspan_spans_accepted_total', '{receiver="otlp_grpc"}')).toBe(3);
    expect(sample(r.text, 'lookspan_wal_unloaded_spans')).toBe(0);
    expect(r.text).toMatch(/^lookspan_spans_loaded_total \d+$/m);
    expect(r.text).toMatch(/^lookspan_http_requests_total\{method="GET",path="\/api\/traces\/:traceId",status="200"\} \d+$/m);
  });
});

describe('unknown project', () => {
  it('a trace is not visible under another projectId', async () => {
    const r = await get(`/api/traces/${TRACE}?projectId=some-other-project`);
    expect(r.status).toBe(404);
    expectErrorShape(r.body, 'not_found');
    const list = await get('/api/traces?total=1&projectId=some-other-project');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(0);
  });
});

describe('method not allowed', () => {
  it('POST to a GET-only route answers a JSON error', async () => {
    const res = await fetch(`${server.httpUrl}/api/liveness`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    const body = (await res.json()) as any;
    expect(body.error.code).toBeTypeOf('string');
    expect(body.error.message).toBeTypeOf('string');
  });
});
