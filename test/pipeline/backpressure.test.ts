import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceRequest, decodeStatus } from '../../src/receivers/otlp/proto-root.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { rawTraceClient } from '../helpers/grpc.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';

// The loader never catches up in this test: segments are sealed only after a minute,
// so the first batch leaves the WAL backlog above its (tiny) bound.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ pipeline: { walMaxUnloadedBytes: 1, segmentMaxAgeMs: 60_000, retryAfterSeconds: 3 } });
});
afterAll(async () => s.dispose());

async function exportGrpc(body: Buffer): Promise<grpc.ServiceError | null> {
  const client = rawTraceClient(s.grpcAddress);
  const { err } = await client.export(body);
  client.close();
  return err;
}

describe('backpressure', () => {
  it('answers 429 with Retry-After over HTTP and RESOURCE_EXHAUSTED with RetryInfo over gRPC once the WAL backlog is over its bound', async () => {
    const first = await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(hexId(16), 2));
    expect(first.status).toBe(200);

    const refused = await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(hexId(16), 2));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    const body = (await refused.json()) as any;
    expect(body.code).toBe(8);
    expect(body.message).toMatch(/write-ahead log backlog/);

    const proto = await fetch(`${s.httpUrl}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf' },
      body: ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(hexId(16), 'hex'), spanId: Buffer.from(hexId(8), 'hex'), name: 'x' }] }] }],
      })).finish(),
    });
    expect(proto.status).toBe(429);
    const status = decodeStatus(new Uint8Array(await proto.arrayBuffer()));
    expect(status.code).toBe(8);
    expect(status.details[0].typeUrl).toBe('type.googleapis.com/google.rpc.RetryInfo');

    const err = await exportGrpc(Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(hexId(16), 'hex'), spanId: Buffer.from(hexId(8), 'hex'), name: 'x' }] }] }],
    })).finish()));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.metadata.get('grpc-status-details-bin')).toHaveLength(1);

    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    // Refused before decoding: counted as requests, never as received or rejected spans.
    expect(metrics).toMatch(/lookspan_ingest_requests_refused_total\{receiver="otlp_http_json",reason="wal_backlog"\} 1/);
    expect(metrics).toMatch(/lookspan_ingest_requests_refused_total\{receiver="otlp_http_protobuf",reason="wal_backlog"\} 1/);
    expect(metrics).toMatch(/lookspan_ingest_requests_refused_total\{receiver="otlp_grpc",reason="wal_backlog"\} 1/);
    expect(metrics).toMatch(/lookspan_spans_received_total\{receiver="otlp_grpc"\} 0/);
    expect(metrics).toMatch(/lookspan_spans_rejected_total\{receiver="otlp_grpc",reason="wal_backlog"\} 0/);
  });

  it('answers 503 with Retry-After while shutting down, and the accepted span survives', async () => {
    s.pipeline.close();
    const res = await postJson(`${s.httpUrl}/api/ingest`, {
      spans: [{ traceId: 't-shutdown', spanId: 's1', name: 'late', startedAt: '2026-06-02T10:00:00Z' }],
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(((await res.json()) as any).error.code).toBe('unavailable');
    expect(s.store.lag().spans).toBe(2);
  });
});
