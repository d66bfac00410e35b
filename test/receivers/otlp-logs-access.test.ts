/**
 * The logs receivers under access control, like the trace receivers: an
 * ingest key is needed (HTTP 401/403, gRPC UNAUTHENTICATED/PERMISSION_DENIED
 * otherwise) and a key bound to a project stores its records there, over
 * HTTP and over gRPC metadata.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { hexId } from '../helpers/otlp-json.js';
import { staticKey } from '../access/client.js';
import { ExportLogsServiceRequest } from '../../src/receivers/otlp/proto-root.js';

const K = { admin: staticKey('admin'), ingestA: staticKey('ingest-a'), viewerA: staticKey('viewer-a') };
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ auth: { apiKeys: [`${K.admin}:admin`, `${K.ingestA}:ingest:team-a`, `${K.viewerA}:viewer:team-a`] } });
});
afterAll(() => s?.dispose());

const kv = (key: string, value: object) => ({ key, value });
const userMessage = (traceId: string, spanId: string, text: string) => ({
  timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), traceId, spanId, eventName: 'gen_ai.user.message',
  body: { kvlistValue: { values: [kv('content', { stringValue: text })] } },
});
const logsRequest = (records: object[]) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });

async function post(path: string, body: unknown, key?: string) {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  return res.status;
}

function grpcExport(body: Buffer, key?: string): Promise<grpc.ServiceError | null> {
  const identity = (b: Buffer) => b;
  const Client = grpc.makeGenericClientConstructor({
    Export: {
      path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    },
  }, 'LogsService');
  const client = new Client(s.grpcAddress, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (key) md.set('authorization', `Bearer ${key}`);
  return new Promise((resolve) => (client as any).Export(body, md, (err: grpc.ServiceError | null) => {
    client.close();
    resolve(err);
  }));
}

describe('OTLP logs under access control', () => {
  it('refuses a request without an ingest key, over HTTP and gRPC', async () => {
    const body = logsRequest([userMessage(hexId(16), hexId(8), 'x')]);
    expect(await post('/v1/logs', body)).toBe(401);
    expect(await post('/v1/logs', body, K.viewerA)).toBe(403);
    const proto = Buffer.from(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(body)).finish());
    expect((await grpcExport(proto))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await grpcExport(proto, K.viewerA))?.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('a key bound to a project stores its records there (HTTP and gRPC), where its spans are', async () => {
    const traceId = hexId(16);
    const [httpSpan, grpcSpan] = [hexId(8), hexId(8)];
    const start = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string) => ({ traceId, spanId, name: 'chat m', kind: 3, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n), attributes: [kv('gen_ai.operation.name', { stringValue: 'chat' })] });
    expect(await post('/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans: [span(httpSpan), span(grpcSpan)] }] }] }, K.ingestA)).toBe(200);
    expect(await post('/v1/logs', logsRequest([userMessage(traceId, httpSpan, 'over http')]), K.ingestA)).toBe(200);
    const proto = ExportLogsServiceRequest.fromObject(logsRequest([{ ...userMessage(traceId, grpcSpan, 'over grpc'), traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(grpcSpan, 'hex') }]));
    expect(await grpcExport(Buffer.from(ExportLogsServiceRequest.encode(proto).finish()), K.ingestA)).toBeNull();
    const read = async (project: string) => fetch(`${s.httpUrl}/api/traces/${traceId}?projectId=${project}`, { headers: { authorization: `Bearer ${K.admin}` } });
    const t = await waitFor(async () => {
      const res = await read('team-a');
      const body = res.status === 200 ? (await res.json()) as any : null;
      return body && body.spans.every((x: any) => x.input !== null) ? body : null;
    });
    const inputs = Object.fromEntries(t.spans.map((x: any) => [x.id, JSON.parse(x.input)]));
    expect(inputs).toEqual({ [httpSpan]: [{ role: 'user', content: 'over http' }], [grpcSpan]: [{ role: 'user', content: 'over grpc' }] });
    // Nothing landed in the default project.
    const stored = await s.store.db.withSnapshot(async (c) => (await c.runAndReadAll('SELECT DISTINCT project_id FROM all_logs WHERE trace_id = $1', [traceId])).getRows().map((r) => r[0]));
    expect(stored).toEqual(['team-a']);
  });
});
