/**
 * The OTLP logs receivers against a running Lookspan: HTTP/JSON, HTTP/protobuf
 * (gzip) and gRPC, GenAI events attached to their spans in the trace detail
 * whichever arrives first, evaluations as scores, other records acknowledged
 * and counted, bad input refused naming the field, partial success, and the
 * same answers after a seal into the lake.
 */
import { gzipSync } from 'node:zlib';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { hexId } from '../helpers/otlp-json.js';
import { ExportLogsServiceRequest, ExportLogsServiceResponse, decodeStatus } from '../../src/receivers/otlp/proto-root.js';

const str = (v: string) => ({ stringValue: v });
const kv = (key: string, value: object) => ({ key, value });
const kvlist = (o: Record<string, object>) => ({ kvlistValue: { values: Object.entries(o).map(([k, v]) => kv(k, v)) } });
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** An ExportLogsServiceRequest (OTLP/JSON object form) with the given records under one resource and scope. */
function logsRequest(records: object[], service = 'logs-test') {
  return { resourceLogs: [{ resource: { attributes: [kv('service.name', str(service))] }, scopeLogs: [{ scope: { name: '@opentelemetry/instrumentation-openai', version: '0.21.0' }, logRecords: records }] }] };
}

/** One chat span as OTLP/JSON, as @opentelemetry/instrumentation-openai sends it (no content on the span). */
function chatSpan(traceId: string, spanId: string, extra: object[] = []) {
  const start = nowNs();
  return {
    resourceSpans: [{
      resource: { attributes: [kv('service.name', str('logs-test'))] },
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-openai' }, spans: [{
        traceId, spanId, name: 'chat gpt-4o-mini', kind: 3, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5_000_000n),
        attributes: [kv('gen_ai.operation.name', str('chat')), kv('gen_ai.request.model', str('gpt-4o-mini')), ...extra],
      }] }],
    }],
  };
}

/** The deprecated per-message events of one call (Chat Completions under instrumentation-openai 0.21). */
function messageEvents(traceId: string, spanId: string, t = nowNs()) {
  const ev = (name: string, body: object) => ({
    timeUnixNano: String(t), severityNumber: 9, traceId, spanId,
    attributes: [kv('event.name', str(name)), kv('gen_ai.system', str('openai'))], body,
  });
  return [
    ev('gen_ai.system.message', kvlist({ content: str('You are terse.') })),
    ev('gen_ai.user.message', kvlist({ content: str('Say hello.') })),
  ];
}

function choiceEvent(traceId: string, spanId: string) {
  return {
    timeUnixNano: String(nowNs() + 1_000_000n), severityNumber: 9, traceId, spanId,
    attributes: [kv('event.name', str('gen_ai.choice'))],
    body: kvlist({ finish_reason: str('stop'), index: { intValue: '0' }, message: kvlist({ content: str('Hello.') }) }),
  };
}

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s?.dispose());

async function postJson(p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.httpUrl}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

const trace = async (id: string) => (await fetch(`${s.httpUrl}/api/traces/${id}`)).json() as Promise<any>;

/** The trace once its span and `n` log-derived fields are there (the loaders run after the acknowledgement). */
async function traceWhen(id: string, ok: (t: any) => boolean): Promise<any> {
  return waitFor(async () => {
    const res = await fetch(`${s.httpUrl}/api/traces/${id}`);
    if (res.status !== 200) return null;
    const t = (await res.json()) as any;
    return ok(t) ? t : null;
  });
}

const parse = (v: string | null) => (v === null ? null : JSON.parse(v));

describe('OTLP logs → the spans they belong to', () => {
  it('deprecated message and choice events sent before their span, in separate requests, fill its input, output and finish reason', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    expect(await postJson('/v1/logs', logsRequest(messageEvents(traceId, spanId)))).toEqual({ status: 200, body: {} });
    expect(await postJson('/v1/logs', logsRequest([choiceEvent(traceId, spanId)]))).toEqual({ status: 200, body: {} });
    expect((await postJson('/v1/traces', chatSpan(traceId, spanId))).status).toBe(200);
    const t = await traceWhen(traceId, (x) => x.spans[0]?.output !== null);
    expect(parse(t.spans[0].input)).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }]);
    expect(parse(t.spans[0].output)).toEqual([{ role: 'assistant', content: 'Hello.', finish_reason: 'stop' }]);
    expect(t.spans[0].finishReason).toBe('stop');
  });

  it('the same records sent after their span, twice (a collector retrying), give the same answer once', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    expect((await postJson('/v1/traces', chatSpan(traceId, spanId))).status).toBe(200);
    const t0 = nowNs();
    const records = [...messageEvents(traceId, spanId, t0), choiceEvent(traceId, spanId)];
    for (let i = 0; i < 2; i++) expect((await postJson('/v1/logs', logsRequest(records))).status).toBe(200);
    await s.store.sealAll();
    const t = await trace(traceId);
    expect(parse(t.spans[0].input)).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }]);
    expect(parse(t.spans[0].output)).toHaveLength(1);
  });

  it('gen_ai.client.inference.operation.details (event_name field, structured messages) over HTTP/protobuf with gzip', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    const t = nowNs();
    const msg = (role: string, text: string, extra: Record<string, object> = {}) => kvlist({
      role: str(role), parts: { arrayValue: { values: [kvlist({ type: str('text'), content: str(text) })] } }, ...extra,
    });
    const records = [
      { timeUnixNano: String(t), eventName: 'gen_ai.client.inference.operation.details', traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(spanId, 'hex'),
        attributes: [kv('gen_ai.system_instructions', str('Be terse.')), kv('gen_ai.input.messages', { arrayValue: { values: [msg('user', 'hi')] } })] },
      { timeUnixNano: String(t + 1000n), eventName: 'gen_ai.client.inference.operation.details', traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(spanId, 'hex'),
        attributes: [kv('gen_ai.output.messages', { arrayValue: { values: [msg('assistant', 'hello', { finish_reason: str('stop') })] } })] },
    ];
    const body = gzipSync(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(logsRequest(records))).finish());
    const res = await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(new Uint8Array(await res.arrayBuffer())))).toEqual({});
    await postJson('/v1/traces', chatSpan(traceId, spanId));
    const tr = await traceWhen(traceId, (x) => x.spans[0]?.output !== null);
    expect(parse(tr.spans[0].input)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be terse.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'hi' }] },
    ]);
    expect(parse(tr.spans[0].output)).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finish_reason: 'stop' }]);
    expect(tr.spans[0].finishReason).toBe('stop');
  });

  it('never overrides what the span carries itself', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    await postJson('/v1/traces', chatSpan(traceId, spanId, [kv('gen_ai.input.messages', str('[{"role":"user","parts":[{"type":"text","content":"from the span"}]}]'))]));
    await postJson('/v1/logs', logsRequest([...messageEvents(traceId, spanId), choiceEvent(traceId, spanId)]));
    const t = await traceWhen(traceId, (x) => x.spans[0]?.output !== null);
    expect(parse(t.spans[0].input)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'from the span' }] }]);
  });

  it('gen_ai.evaluation.result becomes a score of the trace (over gRPC LogsService/Export)', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    await postJson('/v1/traces', chatSpan(traceId, spanId, [kv('gen_ai.response.id', str('chatcmpl-42'))]));
    const evaluation = (name: string, attrs: object[], withSpan: boolean) => ({
      timeUnixNano: String(nowNs()), eventName: 'gen_ai.evaluation.result', traceId: Buffer.from(traceId, 'hex'),
      ...(withSpan ? { spanId: Buffer.from(spanId, 'hex') } : {}),
      attributes: [kv('gen_ai.evaluation.name', str(name)), ...attrs],
    });
    const body = Buffer.from(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(logsRequest([
      evaluation('Relevance', [kv('gen_ai.evaluation.score.value', { doubleValue: 4 }), kv('gen_ai.evaluation.score.label', str('relevant')), kv('gen_ai.evaluation.explanation', str('On topic.'))], true),
      // No span id: the evaluated response is named instead.
      evaluation('Groundedness', [kv('gen_ai.evaluation.score.label', str('fail')), kv('gen_ai.response.id', str('chatcmpl-42'))], false),
    ]))).finish());
    const { err, response } = await rawLogsClientExport(s.grpcAddress, body);
    expect(err).toBeNull();
    expect(ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(response!))).toEqual({});
    const t = await traceWhen(traceId, (x) => x.scores.length === 2);
    expect(t.scores).toEqual([
      expect.objectContaining({ name: 'Relevance', value: 4, label: 'relevant', explanation: 'On topic.', comment: 'On topic.', source: 'otel', spanId }),
      expect.objectContaining({ name: 'Groundedness', value: null, label: 'fail', source: 'otel', spanId }),
    ]);
  });
});

describe('records that are no GenAI event, bad input, partial success', () => {
  it('a plain log line and another domain\'s event are acknowledged, counted by reason, and not stored', async () => {
    const metric = async (reason: string) => {
      const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
      return Number(new RegExp(`^lookspan_log_records_ignored_total\\{receiver="otlp_http_json",reason="${reason}"\\} (\\S+)$`, 'm').exec(text)?.[1]);
    };
    const before = { line: await metric('not_an_event'), other: await metric('other_event') };
    const traceId = hexId(16);
    const res = await postJson('/v1/logs', logsRequest([
      { timeUnixNano: String(nowNs()), severityNumber: 17, body: str('connection refused'), traceId },
      { timeUnixNano: String(nowNs()), eventName: 'browser.web_vital', traceId },
    ]));
    expect(res).toEqual({ status: 200, body: {} });
    expect(await metric('not_an_event')).toBe(before.line + 1);
    expect(await metric('other_event')).toBe(before.other + 1);
    await s.store.sealAll();
    const stored = await s.store.db.withSnapshot(async (c) => Number((await c.runAndReadAll('SELECT count(*) FROM all_logs WHERE trace_id = $1', [traceId])).getRows()[0][0]));
    expect(stored).toBe(0);
  });

  it('an invalid record is refused through partial success naming it and the field; the others are stored', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    const good = messageEvents(traceId, spanId);
    const bad = { ...good[0], spanId: 'abc' };
    const res = await postJson('/v1/logs', logsRequest([bad, good[1]]));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record(s) rejected: resourceLogs[0].scopeLogs[0].logRecords[0]: span_id must be 16 hex characters, got 3' } });
    await postJson('/v1/traces', chatSpan(traceId, spanId));
    const t = await traceWhen(traceId, (x) => x.spans[0]?.input !== null);
    expect(parse(t.spans[0].input)).toEqual([{ role: 'user', content: 'Say hello.' }]);
  });

  it('a time the store cannot hold is refused on its own', async () => {
    const res = await postJson('/v1/logs', logsRequest([{ timeUnixNano: '99999999999999999999', eventName: 'gen_ai.user.message' }]));
    expect(res.body.partialSuccess.rejectedLogRecords).toBe('1');
    expect(res.body.partialSuccess.errorMessage).toMatch(/log record 0 \(gen_ai\.user\.message\): time: timestamp must not be after 2262-04-11/);
  });

  it('a malformed request is a 400 (HTTP) or INVALID_ARGUMENT (gRPC) naming what is wrong', async () => {
    expect(await postJson('/v1/logs', { resourceLogs: { not: 'an array' } })).toMatchObject({
      status: 400, body: { code: 3, message: 'resourceLogs must be an array', error: { code: 'invalid' } },
    });
    const raw = await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[' });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as any).message).toMatch(/^malformed OTLP JSON/);
    const proto = await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0x05, 0x12]) });
    expect(proto.status).toBe(400);
    expect(decodeStatus(new Uint8Array(await proto.arrayBuffer()))).toMatchObject({ code: 3, message: expect.stringMatching(/^malformed OTLP protobuf: length past the end of its message/) });
    const type = await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(type.status).toBe(415);
    const gz = await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip' });
    expect(gz.status).toBe(400);
    const { err } = await rawLogsClientExport(s.grpcAddress, Buffer.from([0x0a, 0x05, 0x12]));
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/^malformed OTLP protobuf/);
  });

  it('a body past the size limits is a 413, like traces', async () => {
    const small = await startTestServer({ limits: { maxBodyBytes: 1024, maxDecompressedBytes: 4096 } });
    try {
      const big = JSON.stringify(logsRequest([{ eventName: 'gen_ai.user.message', body: str('x'.repeat(8000)) }]));
      const res = await fetch(`${small.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      expect(res.status).toBe(413);
      const bomb = await fetch(`${small.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(big) });
      expect(bomb.status).toBe(413);
      expect(((await bomb.json()) as any).message).toMatch(/decompressed body exceeds the limit of 4096 bytes/);
    } finally {
      await small.dispose();
    }
  });
});

describe('the lake', () => {
  it('seals log records into lake/logs/project_id=…/date=… and answers the same before and after', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    await postJson('/v1/traces', chatSpan(traceId, spanId));
    await postJson('/v1/logs', logsRequest([...messageEvents(traceId, spanId), choiceEvent(traceId, spanId)]));
    const before = await traceWhen(traceId, (x) => x.spans[0]?.output !== null);
    const sealed = await (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' })).json() as any;
    expect(sealed.sealed.logs).toBeGreaterThan(0);
    expect(sealed.storage.hot.logs).toBe(0);
    expect(await trace(traceId)).toEqual(before);
    const dir = path.join(s.dataDir, 'lake', 'logs', 'project_id=default');
    expect(existsSync(dir)).toBe(true);
    const dates = readdirSync(dir);
    expect(dates[0]).toMatch(/^date=\d{4}-\d{2}-\d{2}$/);
    expect(readdirSync(path.join(dir, dates[0])).some((f) => f.endsWith('.parquet'))).toBe(true);
    expect(sealed.storage.partitions.some((p: any) => p.kind === 'logs')).toBe(true);
    // Compaction rewrites log partitions too, dropping nothing.
    await postJson('/v1/logs', logsRequest([choiceEvent(traceId, hexId(8))]));
    await s.store.sealAll();
    await (await fetch(`${s.httpUrl}/api/storage/compact`, { method: 'POST' })).json();
    expect(await trace(traceId)).toEqual(before);
  });
});

/** A LogsService client that sends pre-encoded ExportLogsServiceRequest bytes as they are. */
function rawLogsClientExport(address: string, body: Buffer): Promise<{ err: grpc.ServiceError | null; response: Buffer | null }> {
  const identity = (b: Buffer) => b;
  const Client = grpc.makeGenericClientConstructor({
    Export: {
      path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export', requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    },
  }, 'LogsService');
  const client = new Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => (client as any).Export(body, (err: grpc.ServiceError | null, response: Buffer | null) => {
    client.close();
    resolve({ err, response });
  }));
}
