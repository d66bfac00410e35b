/**
 * Cross-project isolation with real clients: the official OpenTelemetry
 * exporters (gRPC with `authorization` metadata, HTTP/protobuf with
 * X-API-Key, HTTP/JSON with Bearer) send with keys bound to projects; the
 * spans land in the key's project only, and every read path — REST lists,
 * trace detail, the span query, the export, SSE, the WebSocket (with a
 * stream ticket), and the same answers after a seal into the lake — shows
 * a project's data to its own keys only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import WebSocket from 'ws';
import { startTestServer, waitFor, waitLoaded, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

const K = {
  admin: staticKey('admin'),
  ingestA: staticKey('ingest-a'),
  viewerA: staticKey('viewer-a'),
  ingestB: staticKey('ingest-b'),
  viewerB: staticKey('viewer-b'),
  ingestAny: staticKey('ingest-any'),
};

let server: TestServer;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer({
    auth: {
      apiKeys: [
        `${K.admin}:admin`, `${K.ingestA}:ingest:team-a`, `${K.viewerA}:viewer:team-a`,
        `${K.ingestB}:ingest:team-b`, `${K.viewerB}:viewer:team-b`, `${K.ingestAny}:ingest`,
      ],
      projectResourceAttribute: 'lookspan.project',
    },
  });
  call = client(server.httpUrl);
});

afterAll(async () => {
  await server?.dispose();
});

/** Exports one span named `name` through `exporter`; resolves with the export result and the span's trace id. */
async function exportOne(exporter: SpanExporter, name: string, resource: Record<string, string> = {}): Promise<{ result: ExportResult; traceId: string }> {
  let result: ExportResult | undefined;
  const recording: SpanExporter = {
    export: (spans: ReadableSpan[], done) => exporter.export(spans, (r) => {
      result = r;
      done(r);
    }),
    shutdown: () => exporter.shutdown(),
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'tenancy-test', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(recording)],
  });
  const span = provider.getTracer('tenancy').startSpan(name, { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } }, ROOT_CONTEXT);
  span.end();
  // A refused export rejects the flush as well; the result recorded above is what is judged.
  await provider.forceFlush().catch(() => {});
  await provider.shutdown().catch(() => {});
  return { result: result!, traceId: span.spanContext().traceId };
}

const bearer = (key: string) => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${key}`);
  return md;
};
const grpcExporter = (md?: grpc.Metadata) => new GrpcExporter({ url: `http://${server.grpcAddress}`, ...(md ? { metadata: md } : {}) });
const protoExporter = (headers: Record<string, string>) => new ProtoExporter({ url: `${server.httpUrl}/v1/traces`, headers });
const jsonExporter = (headers: Record<string, string>) => new JsonExporter({ url: `${server.httpUrl}/v1/traces`, headers });

const traceIds = async (key: string, query = '') => {
  const r = await call('GET', `/api/traces?limit=1000${query}`, { key });
  expect(r.status).toBe(200);
  return new Set((r.body.traces as Array<{ id: string }>).map((t) => t.id));
};

const sent: Record<string, string> = {};

describe('ingest with keys bound to projects', () => {
  it('the gRPC exporter with authorization metadata writes into the key\'s project', async () => {
    const { result, traceId } = await exportOne(grpcExporter(bearer(K.ingestA)), 'grpc-a');
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    sent.grpcA = traceId;
  });

  it('the HTTP/protobuf exporter with X-API-Key and the HTTP/JSON exporter with Bearer do too', async () => {
    const proto = await exportOne(protoExporter({ 'x-api-key': K.ingestB }), 'proto-b');
    expect(proto.result.code).toBe(ExportResultCode.SUCCESS);
    sent.protoB = proto.traceId;
    const json = await exportOne(jsonExporter({ authorization: `Bearer ${K.ingestA}` }), 'json-a');
    expect(json.result.code).toBe(ExportResultCode.SUCCESS);
    sent.jsonA = json.traceId;
  });

  it('a bound key ignores the project a resource names; an unbound key follows the mapped attribute', async () => {
    const bound = await exportOne(grpcExporter(bearer(K.ingestA)), 'bound-says-b', { 'lookspan.project': 'team-b' });
    expect(bound.result.code).toBe(ExportResultCode.SUCCESS);
    sent.boundSaysB = bound.traceId;
    const mapped = await exportOne(grpcExporter(bearer(K.ingestAny)), 'mapped-c', { 'lookspan.project': 'team-c' });
    expect(mapped.result.code).toBe(ExportResultCode.SUCCESS);
    sent.mappedC = mapped.traceId;
  });

  it('exporters without a key or with a reading key are refused', async () => {
    const none = await exportOne(grpcExporter(), 'no-key');
    expect(none.result.code).toBe(ExportResultCode.FAILED);
    expect(String(none.result.error)).toMatch(/UNAUTHENTICATED|missing credentials/);
    const viewer = await exportOne(grpcExporter(bearer(K.viewerA)), 'viewer-key');
    expect(viewer.result.code).toBe(ExportResultCode.FAILED);
    expect(String(viewer.result.error)).toMatch(/PERMISSION_DENIED|needs the ingest role/);
    const http = await exportOne(jsonExporter({}), 'no-key-http');
    expect(http.result.code).toBe(ExportResultCode.FAILED);
    expect(String(http.result.error)).toMatch(/401|Unauthorized/);
  });

  it('native ingest with a bound key refuses another project and fills in its own', async () => {
    const span = (id: string) => ({
      traceId: `native-${id}`, spanId: 's1', name: 'agent.run', type: 'agent', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), status: 'ok',
    });
    const other = await call('POST', '/api/ingest', { key: K.ingestA, body: { projectId: 'team-b', spans: [span('x')] } });
    expect(other.status).toBe(403);
    expect((await call('POST', '/api/ingest', { key: K.ingestA, body: { spans: [span('a')] } })).status).toBe(200);
    const tool = { server_name: 'pg', tool_name: 'query', started_at: new Date().toISOString(), ended_at: new Date().toISOString(), latency_ms: 1, status: 'success' };
    expect((await call('POST', '/api/traces/spans', { key: K.ingestB, body: [{ ...tool, project_id: 'team-a' }] })).status).toBe(403);
    expect((await call('POST', '/api/traces/spans', { key: K.ingestB, body: [tool] })).status).toBe(202);
    sent.nativeA = 'native-a';
  });
});

describe('reads', () => {
  /** Each project's view, through every read route a key may use. */
  async function views() {
    const a = await traceIds(K.viewerA);
    const b = await traceIds(K.viewerB);
    const c = await traceIds(K.admin, '&project_id=team-c');
    const adminDefault = await traceIds(K.admin);
    const detailAcross = (await call('GET', `/api/traces/${sent.grpcA}`, { key: K.viewerB })).status;
    const detailOwn = (await call('GET', `/api/traces/${sent.grpcA}`, { key: K.viewerA })).status;
    const spansB = (await call('GET', '/api/traces/spans?limit=1000', { key: K.viewerB })).body.spans.map((s: { trace_id: string }) => s.trace_id).sort();
    const exported = await call('GET', '/api/export/traces?format=json', { key: K.viewerB });
    return { a, b, c, adminDefault, detailAcross, detailOwn, spansB, exportB: { traces: exported.body.traces, sha256: exported.body.sha256, count: exported.body.count }, exportStatus: exported.status };
  }

  let before: Awaited<ReturnType<typeof views>>;

  it('each key sees its own project only', async () => {
    await waitLoaded(server);
    before = await views();
    expect([...before.a].sort()).toEqual([sent.grpcA, sent.jsonA, sent.boundSaysB, sent.nativeA].sort());
    // team-b: the proto export and the tool-call span sent with ingest-b.
    expect(before.b.size).toBe(2);
    expect(before.b.has(sent.protoB)).toBe(true);
    for (const id of before.a) expect(before.b.has(id)).toBe(false);
    expect([...before.c]).toEqual([sent.mappedC]);
    expect(before.adminDefault.size).toBe(0);
    expect(before.detailAcross).toBe(404);
    expect(before.detailOwn).toBe(200);
    expect(before.spansB).not.toContain(sent.grpcA);
    expect(before.exportStatus).toBe(200);
    const exportedB = JSON.stringify(before.exportB);
    for (const id of [sent.grpcA, sent.jsonA, sent.boundSaysB]) expect(exportedB).not.toContain(id);
    expect(exportedB).toContain(sent.protoB);
  });

  it('a bound key asking for another project gets 403, an admin picks any with project_id or X-Lookspan-Project', async () => {
    const r = await call('GET', '/api/traces?project_id=team-a', { key: K.viewerB });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toContain('bound to project "team-b"');
    expect((await call('GET', '/api/traces', { key: K.viewerB, headers: { 'x-lookspan-project': 'team-a' } })).status).toBe(403);
    expect(await traceIds(K.admin, '&project_id=team-b')).toEqual(before.b);
    const viaHeader = await call('GET', '/api/traces?limit=1000', { key: K.admin, headers: { 'x-lookspan-project': 'team-b' } });
    expect(new Set(viaHeader.body.traces.map((t: { id: string }) => t.id))).toEqual(before.b);
  });

  it('answers the same after the hot rows are sealed into the lake', async () => {
    const seal = await call('POST', '/api/storage/seal', { key: K.admin });
    expect(seal.status).toBe(200);
    expect(seal.body.sealed).not.toBeNull();
    const after = await views();
    const plain = (v: typeof before) => ({ ...v, a: [...v.a].sort(), b: [...v.b].sort(), c: [...v.c].sort(), adminDefault: [...v.adminDefault] });
    expect(plain(after)).toEqual(plain(before));
  });
});

/** Reads an SSE stream; `next(pred)` resolves with the first event matching. */
function sse(path: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const events: Array<{ event: string; data: any }> = [];
  const waiters: Array<() => void> = [];
  const opened = fetch(`${server.httpUrl}${path}`, { headers, signal: controller.signal }).then(async (res) => {
    if (res.status !== 200) return res.status;
    (async () => {
      const decoder = new TextDecoder();
      let buf = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(frame)?.[1];
            const data = /^data: (.*)$/m.exec(frame)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data) });
            waiters.splice(0).forEach((w) => w());
          }
        }
      } catch {
        // Aborted.
      }
    })();
    return 200;
  });
  return {
    opened,
    events,
    async next(pred: (e: { event: string; data: any }) => boolean) {
      return waitFor(async () => events.find(pred), 10_000, 20);
    },
    close: () => controller.abort(),
  };
}

describe('live streams', () => {
  const ingestOne = (key: string, traceId: string) => call('POST', '/api/ingest', {
    key,
    body: { spans: [{ traceId, spanId: 's1', name: 'live', type: 'agent', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), status: 'ok' }] },
  });

  it('SSE carries a bound key\'s project only', async () => {
    const a = sse('/api/stream', { authorization: `Bearer ${K.viewerA}` });
    const b = sse('/api/stream', { 'x-api-key': K.viewerB });
    expect(await a.opened).toBe(200);
    expect(await b.opened).toBe(200);
    expect((await sse('/api/stream', {}).opened)).toBe(401);
    // a's span first: had it leaked, it would be b's first span too.
    expect((await ingestOne(K.ingestA, 'live-a')).status).toBe(200);
    await a.next((e) => e.event === 'span.ingested' && e.data.traceId === 'live-a');
    expect((await ingestOne(K.ingestB, 'live-b')).status).toBe(200);
    await b.next((e) => e.event === 'span.ingested' && e.data.traceId === 'live-b');
    expect(b.events.filter((e) => e.event === 'span.ingested').map((e) => e.data.projectId)).toEqual(['team-b']);
    expect(a.events.filter((e) => e.event === 'span.ingested').every((e) => e.data.projectId === 'team-a')).toBe(true);
    a.close();
    b.close();
  });

  it('an EventSource-style ?ticket= works once', async () => {
    const t = await call('POST', '/api/auth/ticket', { key: K.viewerA });
    expect(t.status).toBe(200);
    expect(t.body.ticket).toMatch(/^lst_/);
    const first = sse(`/api/live/events?ticket=${encodeURIComponent(t.body.ticket)}`, {});
    expect(await first.opened).toBe(200);
    first.close();
    expect(await sse(`/api/live/events?ticket=${encodeURIComponent(t.body.ticket)}`, {}).opened).toBe(401);
    // A ticket is no credential for a route that is not a stream.
    const t2 = await call('POST', '/api/auth/ticket', { key: K.viewerA });
    expect((await call('GET', `/api/traces?ticket=${encodeURIComponent(t2.body.ticket)}`)).status).toBe(401);
  });

  it('the WebSocket authenticates with a ticket (once) or a header, and carries the key\'s project only', async () => {
    const wsUrl = server.httpUrl.replace(/^http/, 'ws');
    const refused = (url: string, headers: Record<string, string> = {}) => new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve(101);
        ws.close();
      });
      ws.on('error', () => {});
    });
    expect(await refused(`${wsUrl}/api/live`)).toBe(401);
    expect(await refused(`${wsUrl}/api/live?project_id=team-a`, { 'x-api-key': K.viewerB })).toBe(403);

    const t = (await call('POST', '/api/auth/ticket', { key: K.viewerB })).body.ticket as string;
    const ws = new WebSocket(`${wsUrl}/api/live?ticket=${encodeURIComponent(t)}`);
    const frames: any[] = [];
    ws.on('message', (m) => frames.push(JSON.parse(String(m))));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await waitFor(async () => frames.find((f) => f.type === 'subscribed'));
    expect(await refused(`${wsUrl}/api/live?ticket=${encodeURIComponent(t)}`)).toBe(401);
    expect((await ingestOne(K.ingestA, 'ws-a')).status).toBe(200);
    expect((await ingestOne(K.ingestB, 'ws-b')).status).toBe(200);
    await waitFor(async () => frames.find((f) => f.type === 'span.ingested' && f.data.traceId === 'ws-b'));
    expect(frames.filter((f) => f.type === 'span.ingested').map((f) => f.data.projectId)).toEqual(['team-b']);
    ws.close();
  });
});
