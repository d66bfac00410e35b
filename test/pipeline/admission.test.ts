import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { Admission } from '../../src/pipeline/admission.js';
import { LookspanError } from '../../src/errors.js';
import { decodeStatus } from '../../src/receivers/otlp/proto-root.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { rawExportClient, rawTraceClient } from '../helpers/grpc.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';

describe('Admission', () => {
  const gauges = { closed: () => null as string | null, failure: () => null as Error | null, queuedSpans: () => 0, unloadedBytes: () => 0 };
  const limits = { maxConcurrentRequests: 2, queueMaxSpans: 100, walMaxUnloadedBytes: 1000, retryAfterSeconds: 4 };

  it('caps requests in progress per receiver group; a released slot (released twice or not) is free again', () => {
    const refused: string[] = [];
    const a = new Admission(gauges, limits, (receiver, reason) => refused.push(`${receiver}:${reason}`));
    const t1 = a.admit('otlp_http_protobuf', 'otlp_http');
    a.admit('otlp_http_json', 'otlp_http');
    const err = (() => { try { a.admit('otlp_http_protobuf', 'otlp_http'); } catch (e) { return e; } })() as LookspanError;
    expect(err).toBeInstanceOf(LookspanError);
    expect(err.http).toBe(429);
    expect(err.details.retryAfterSeconds).toBe(4);
    // Another group has slots of its own.
    a.admit('otlp_grpc', 'otlp_grpc');
    t1.release();
    t1.release();
    expect(a.inProgress('otlp_http')).toBe(1);
    a.admit('otlp_http_protobuf', 'otlp_http');
    expect(refused).toEqual(['otlp_http_protobuf:concurrency']);
  });

  it('refuses on a full queue, a WAL backlog over its bound, a closed pipeline and a failed WAL, with their reasons', () => {
    const cases: Array<[Partial<typeof gauges>, string, number]> = [
      [{ queuedSpans: () => 100 }, 'queue_full', 429],
      [{ unloadedBytes: () => 1001 }, 'wal_backlog', 429],
      [{ closed: () => 'shutting down' }, 'unavailable', 503],
      [{ failure: () => new Error('EIO') }, 'unavailable', 503],
    ];
    for (const [g, reason, status] of cases) {
      const refused: string[] = [];
      const a = new Admission({ ...gauges, ...g }, limits, (_r, why) => refused.push(why));
      expect(() => a.admit('native_ingest', 'native')).toThrow(LookspanError);
      try { a.admit('native_ingest', 'native'); } catch (e) { expect((e as LookspanError).http).toBe(status); }
      expect(refused[0]).toBe(reason);
      expect(a.inProgress('native')).toBe(0);
    }
  });
});

// One slot per receiver: a request whose body is still being uploaded holds it,
// so the next one is refused before its (garbage) body is read or decoded.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ pipeline: { maxConcurrentRequests: 1, retryAfterSeconds: 3 } });
});
afterAll(async () => s.dispose());

/** Requests a receiver group of the span pipeline, or of the logs pipeline for `/v1/logs`, holds. */
const inProgress = (path: string) => (path === '/v1/logs' ? s.logs.inProgress('otlp_http') : s.pipeline.inProgress(path.startsWith('/api/') ? 'native' : 'otlp_http'));

/** Starts a POST whose body never completes; resolves once the server holds it (admitted), with a way to finish it. */
async function holdHttp(path: string, type: string): Promise<{ finish: (rest: Buffer) => Promise<number> }> {
  const url = new URL(path, s.httpUrl);
  const req = http.request(url, { method: 'POST', headers: { 'content-type': type, 'content-length': 1_000_000 } });
  const answered = new Promise<number>((resolve) => req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); }));
  req.on('error', () => {});
  req.write(Buffer.alloc(10));
  await waitFor(async () => inProgress(path) === 1);
  return { finish: async (rest) => { req.end(rest); return answered; } };
}

/**
 * Starts a gRPC `<service>/Export` call whose headers arrive but whose message never does; resolves
 * once it holds its receiver's slot (`held()` reads 1), with a way to cancel it.
 */
async function holdGrpc(service: string, held: () => number): Promise<{ cancel: () => void }> {
  const session = http2.connect(`http://${s.grpcAddress}`);
  const stream = session.request({ ':method': 'POST', ':path': `/${service}/Export`, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => {});
  stream.write(Buffer.from([0, 0, 0, 0, 100]));
  await waitFor(async () => held() === 1);
  return { cancel: () => { stream.close(http2.constants.NGHTTP2_CANCEL); session.close(); } };
}

/** A gRPC call refused for concurrency: RESOURCE_EXHAUSTED, the reason, and a RetryInfo in the status details. */
function expectConcurrencyRefusal(err: grpc.ServiceError | null): void {
  expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  expect(err?.details).toMatch(/too many concurrent requests/);
  expect(err?.metadata.get('grpc-status-details-bin')).toHaveLength(1);
}

describe('admission before work, per receiver', () => {
  it('OTLP/HTTP: a request past the concurrency cap gets 429 + Retry-After without its body being decoded, and the slot frees once the first is answered', async () => {
    const held = await holdHttp('/v1/traces', 'application/x-protobuf');
    const garbage = await fetch(`${s.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from('not protobuf at all') });
    expect(garbage.status).toBe(429);
    expect(garbage.headers.get('retry-after')).toBe('3');
    const status = decodeStatus(new Uint8Array(await garbage.arrayBuffer()));
    expect(status.code).toBe(8);
    expect(status.message).toMatch(/too many concurrent requests/);
    // The held request's body is 1 MB of zeroes: malformed protobuf, answered 400 — it was decoded, the refused one was not.
    expect(await held.finish(Buffer.alloc(1_000_000 - 10))).toBe(400);
    await waitFor(async () => s.pipeline.inProgress('otlp_http') === 0);
    const ok = await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(hexId(16), 2));
    expect(ok.status).toBe(200);
  });

  it('native ingest: 429 before the body is read, then accepted once the slot is free', async () => {
    const held = await holdHttp('/api/ingest', 'application/json');
    const refused = await fetch(`${s.httpUrl}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{ not json' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(((await refused.json()) as any).error.code).toBe('overloaded');
    expect(await held.finish(Buffer.alloc(1_000_000 - 10, 0x20))).toBe(400);
    const ok = await postJson(`${s.httpUrl}/api/ingest`, { spans: [{ traceId: 't-adm', spanId: 's1', name: 'n', startedAt: '2026-06-02T10:00:00Z' }] });
    expect(ok.status).toBe(200);
  });

  it('OTLP/gRPC: a call past the cap ends RESOURCE_EXHAUSTED with RetryInfo on its metadata, before its message is decoded', async () => {
    // A call whose headers arrived but whose message never does holds the gRPC receiver's one slot.
    const held = await holdGrpc('opentelemetry.proto.collector.trace.v1.TraceService', () => s.pipeline.inProgress('otlp_grpc'));

    const client = rawTraceClient(s.grpcAddress);
    const { err } = await client.export(Buffer.from('garbage that is not protobuf'));
    expectConcurrencyRefusal(err);

    held.cancel();
    await waitFor(async () => s.pipeline.inProgress('otlp_grpc') === 0);
    const again = await client.export(Buffer.from('garbage that is not protobuf'));
    expect(again.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    client.close();

    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/lookspan_ingest_requests_refused_total\{receiver="otlp_grpc",reason="concurrency"\} 1/);
    expect(metrics).toMatch(/lookspan_ingest_requests_refused_total\{receiver="otlp_http_protobuf",reason="concurrency"\} 1/);
    expect(metrics).toMatch(/lookspan_ingest_requests_refused_total\{receiver="native_ingest",reason="concurrency"\} 1/);
  });

  it('OTLP logs over HTTP and gRPC: slots of their own, refused past the cap before the body is read, free again once answered', async () => {
    // A held trace request does not take the logs receiver's slot, nor the other way round.
    const heldTraces = await holdHttp('/v1/traces', 'application/x-protobuf');
    const held = await holdHttp('/v1/logs', 'application/x-protobuf');
    const refused = await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from('not protobuf at all') });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    expect(decodeStatus(new Uint8Array(await refused.arrayBuffer())).message).toMatch(/too many concurrent requests/);
    // The held body (zeroes) was decoded and refused as malformed; the refused one never was.
    expect(await held.finish(Buffer.alloc(1_000_000 - 10))).toBe(400);
    expect(await heldTraces.finish(Buffer.alloc(1_000_000 - 10))).toBe(400);
    await waitFor(async () => s.logs.inProgress('otlp_http') === 0);
    expect((await postJson(`${s.httpUrl}/v1/logs`, { resourceLogs: [] })).status).toBe(200);

    const heldCall = await holdGrpc('opentelemetry.proto.collector.logs.v1.LogsService', () => s.logs.inProgress('otlp_grpc'));
    const logs = rawExportClient(s.grpcAddress, 'opentelemetry.proto.collector.logs.v1.LogsService');
    const { err } = await logs.export(Buffer.from('garbage that is not protobuf'));
    expectConcurrencyRefusal(err);
    heldCall.cancel();
    await waitFor(async () => s.logs.inProgress('otlp_grpc') === 0);
    expect((await logs.export(Buffer.alloc(0))).err).toBeNull();
    logs.close();

    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/lookspan_log_requests_refused_total\{receiver="otlp_http_protobuf",reason="concurrency"\} 1/);
    expect(metrics).toMatch(/lookspan_log_requests_refused_total\{receiver="otlp_grpc",reason="concurrency"\} 1/);
  });
});
