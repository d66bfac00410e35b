import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceRequest } from '../../src/receivers/otlp/proto-root.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { rawTraceClient } from '../helpers/grpc.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';

// The WAL directory disappears under a running server (a lost volume): the
// next segment cannot be created, and every receiver must say UNAVAILABLE
// instead of acknowledging spans it could not make durable.
let s: TestServer;
const kept = hexId(16);
beforeAll(async () => {
  s = await startTestServer();
  expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(kept, 2))).status).toBe(200);
  await waitLoaded(s);
  await rm(path.join(s.dataDir, 'wal'), { recursive: true, force: true });
});
afterAll(async () => s.dispose());

describe('store unavailable', () => {
  it('answers 503 with Retry-After over HTTP, then UNAVAILABLE over gRPC, and reports it in health and readiness', async () => {
    const res = await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(hexId(16), 2));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(((await res.json()) as any).message).toMatch(/store unavailable/);

    const client = rawTraceClient(s.grpcAddress);
    const { err } = await client.export(Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(hexId(16), 'hex'), spanId: Buffer.from(hexId(8), 'hex'), name: 'x' }] }] }],
    })).finish()));
    client.close();
    expect(err?.code).toBe(grpc.status.UNAVAILABLE);

    const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
    expect(h.status).toBe('error');
    expect(h.store.state).toBe('failed');
    expect((await fetch(`${s.httpUrl}/api/readiness`)).status).toBe(503);
    // What was loaded before stays readable.
    expect(((await (await fetch(`${s.httpUrl}/api/traces/${kept}`)).json()) as any).spanCount).toBe(2);
  });
});
