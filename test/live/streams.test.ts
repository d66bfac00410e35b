/**
 * The live streams end to end: a real OpenTelemetry exporter sends spans
 * over OTLP/HTTP; a `ws` client with a filter (set by message, then changed)
 * and SSE clients on /api/stream and /api/live/events, parsing the stream
 * over plain HTTP, each receive exactly the matching events in order, and
 * resume with Last-Event-ID from the server's buffer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { SseClient, WsClient, wsUrl } from './clients.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ live: { sseBufferEvents: 5, sseKeepaliveSeconds: 0.05 } });
});

afterAll(async () => {
  await server?.dispose();
});

/** Sends one chat span per [model, session] pair through a real OTel SDK and exporter; resolves once acknowledged. */
async function exportChats(chats: Array<[string, string, boolean?]>): Promise<string[]> {
  const exporter = new OTLPTraceExporter({ url: `${server.httpUrl}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'live-test' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 512, scheduledDelayMillis: 60_000 })],
  });
  const tracer = provider.getTracer('live-test');
  const ids: string[] = [];
  for (const [model, session, failed] of chats) {
    const span = tracer.startSpan(`chat ${model}`, {
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5, 'session.id': session,
      },
    }, ROOT_CONTEXT);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    ids.push(span.spanContext().spanId);
    span.end();
  }
  // forceFlush resolves after the export's response: the ack.
  await provider.forceFlush();
  await provider.shutdown();
  return ids;
}

describe('WebSocket /api/live and SSE /api/stream', () => {
  it('deliver exactly the matching events, in order, after the ack', async () => {
    const ws = await WsClient.open(wsUrl(server.httpUrl));
    await ws.messages.until((m) => m.some((x) => x.type === 'subscribed'), 'the initial subscribed');
    ws.send({ type: 'subscribe', filter: { model: 'gpt-4o', events: 'span.ingested' } });
    await ws.messages.until((m) => m.filter((x) => x.type === 'subscribed').length === 2, 'the second subscribed');
    expect(ws.of('subscribed')[1]).toMatchObject({ filter: { model: ['gpt-4o'], events: ['span.ingested'] }, replayed: 0 });

    const sse = await SseClient.open(`${server.httpUrl}/api/stream?session_id=s-a`);
    expect(sse.status).toBe(200);
    expect(sse.headers!.get('content-type')).toMatch(/^text\/event-stream/);
    await sse.comments.until((c) => c.includes('connected'), 'the connected comment');

    const plan: Array<[string, string, boolean?]> = [
      ['gpt-4o', 's-a'], ['gpt-4o-mini', 's-a', true], ['gpt-4o', 's-b'], ['claude-3-5-sonnet', 's-b'], ['gpt-4o', 's-a'],
    ];
    const ids = await exportChats(plan);
    const wsWanted = ids.filter((_, i) => plan[i][0] === 'gpt-4o');
    const sseWanted = ids.filter((_, i) => plan[i][1] === 's-a');

    // A sentinel matching both filters, sent after: once it arrives, everything before it has too.
    const [sentinel] = await exportChats([['gpt-4o', 's-a']]);
    await ws.messages.until((m) => m.some((x) => x.data?.spanId === sentinel), 'the sentinel on the WebSocket');
    await sse.events.until((e) => e.some((x) => x.event === 'span.ingested' && JSON.parse(x.data).spanId === sentinel), 'the sentinel on SSE');

    const wsSpans = ws.of('span.ingested');
    expect(wsSpans.map((m) => m.data.spanId)).toEqual([...wsWanted, sentinel]);
    expect(wsSpans.every((m) => m.data.model === 'gpt-4o' && m.data.serviceName === 'live-test')).toBe(true);
    expect(ws.messages.items.filter((m) => !['subscribed', 'span.ingested'].includes(m.type))).toEqual([]);
    // Ids increase in delivery order.
    const wsIds = wsSpans.map((m) => m.id!);
    expect([...wsIds].sort((a, b) => a - b)).toEqual(wsIds);

    const sseSpans = sse.data('span.ingested');
    expect(sseSpans.map((d) => d.spanId)).toEqual([...sseWanted, sentinel]);
    expect(sseSpans[1]).toMatchObject({ status: 'error', statusMessage: 'boom', model: 'gpt-4o-mini', sessionId: 's-a', usage: { inputTokens: 10, outputTokens: 5 } });
    // One trace.updated per trace of session s-a (each chat is its own trace), after its span.
    const updates = sse.data('trace.updated');
    expect(updates.map((u) => u.spans)).toEqual([1, 1, 1, 1]);
    expect(updates.map((u) => u.sessionId)).toEqual(['s-a', 's-a', 's-a', 's-a']);
    expect(updates[1]).toMatchObject({ status: 'error', errors: 1 });
    const order = sse.events.items.filter((e) => e.event !== 'message').map((e) => `${e.event}:${JSON.parse(e.data).spanId ?? JSON.parse(e.data).traceId}`);
    expect(order.filter((x) => x.startsWith('span.ingested'))).toHaveLength(4);
    // Every SSE event has an id, increasing.
    const sseIds = sse.events.items.map((e) => Number(e.id));
    expect(sseIds.every((n) => Number.isSafeInteger(n) && n > 0)).toBe(true);
    expect([...sseIds].sort((a, b) => a - b)).toEqual(sseIds);

    // Changing the filter by message: from now on only s-b spans.
    ws.send({ type: 'subscribe', filter: { session: 's-b' } });
    await ws.messages.until((m) => m.filter((x) => x.type === 'subscribed').length === 3, 'the third subscribed');
    const [, later] = await exportChats([['gpt-4o', 's-a'], ['gpt-4o-mini', 's-b']]);
    await ws.messages.until((m) => m.some((x) => x.type === 'trace.updated' && x.data.sessionId === 's-b'), 'the s-b trace update');
    const afterChange = ws.messages.items.slice(ws.messages.items.indexOf(ws.of('subscribed')[2]) + 1);
    expect(afterChange.map((m) => `${m.type}:${m.data.sessionId}`)).toEqual(['span.ingested:s-b', 'trace.updated:s-b']);
    expect(afterChange[0].data.spanId).toBe(later);

    await ws.close();
    await sse.close();
  });

  it('answers a bad filter with an error message and keeps the connection', async () => {
    const ws = await WsClient.open(wsUrl(server.httpUrl));
    ws.send({ type: 'subscribe', filter: { colour: 'red' } });
    ws.ws.send('not json');
    await ws.messages.until((m) => m.filter((x) => x.type === 'error').length === 2, 'two errors');
    const errors = ws.of('error');
    expect(errors[0]).toMatchObject({ code: 'invalid_filter' });
    expect(String(errors[0].message)).toContain('colour');
    expect(errors[1]).toMatchObject({ code: 'invalid_message' });
    ws.send({ type: 'subscribe', filter: { project: 'default' } });
    await ws.messages.until((m) => m.filter((x) => x.type === 'subscribed').length === 2, 'subscribed after the errors');
    await ws.close();
  });

  it('refuses a bad SSE filter with 400 and an unknown WebSocket path with 404', async () => {
    const bad = await SseClient.open(`${server.httpUrl}/api/stream?events=health.check`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body!).error.code).toBe('invalid');
    const alsoBad = await SseClient.open(`${server.httpUrl}/api/stream?colour=red`);
    expect(alsoBad.status).toBe(400);
    await expect(WsClient.open(`${server.httpUrl.replace('http', 'ws')}/api/elsewhere`)).rejects.toMatchObject({ status: 404 });
  });

  it('sends `: keepalive` comments', async () => {
    const sse = await SseClient.open(`${server.httpUrl}/api/live/events`);
    await sse.comments.until((c) => c.filter((x) => x === 'keepalive').length >= 2, 'two keepalives');
    await sse.close();
  });
});

describe('SSE /api/live/events (langsight)', () => {
  it('streams span:new with project_id and resumes from Last-Event-ID, the newest buffered first dropped oldest', async () => {
    const sse = await SseClient.open(`${server.httpUrl}/api/live/events?project_id=p-live`);
    expect(sse.status).toBe(200);
    const span = (i: number) => ({
      traceId: `t-live-${i}`, spanId: `s-${i}`, type: 'tool_call', name: `tool ${i}`, toolName: 'query', serverName: 'pg',
      startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z', status: i === 2 ? 'error' : 'ok', statusMessage: i === 2 ? 'denied' : undefined,
    });
    const res = await postJson(`${server.httpUrl}/api/ingest`, { projectId: 'p-live', spans: [span(1), span(2)] });
    expect(res.status).toBe(200);
    await postJson(`${server.httpUrl}/api/ingest`, { projectId: 'other', spans: [span(99)] });
    await sse.events.until((e) => e.length >= 2, 'two span:new events');
    expect(sse.events.items.map((e) => e.event)).toEqual(['span:new', 'span:new']);
    const [first, second] = sse.data('span:new');
    expect(first).toMatchObject({ project_id: 'p-live', span_id: 's-1', trace_id: 't-live-1', server_name: 'pg', tool_name: 'query', status: 'success', latency_ms: 1000 });
    expect(second).toMatchObject({ project_id: 'p-live', span_id: 's-2', status: 'error', error: 'denied' });
    const lastId = sse.events.items[1].id!;
    await sse.close();

    // Missed while disconnected: 8 spans; the buffer holds 5 per client, so the newest 5 come back.
    const missed = Array.from({ length: 8 }, (_, i) => span(10 + i));
    expect((await postJson(`${server.httpUrl}/api/ingest`, { projectId: 'p-live', spans: missed })).status).toBe(200);
    const probe = await SseClient.open(`${server.httpUrl}/api/live/events?project_id=p-live`, { 'last-event-id': lastId });
    await probe.events.until((e) => e.length >= 5, 'the replayed events');
    expect(probe.data('span:new').map((d) => d.span_id)).toEqual(['s-13', 's-14', 's-15', 's-16', 's-17']);
    expect(probe.comments.items.some((c) => c.includes('no longer all buffered'))).toBe(true);
    const resumedAt = probe.events.items[4].id!;
    await probe.close();

    // Resuming from the newest id: nothing to replay, and no gap.
    const none = await SseClient.open(`${server.httpUrl}/api/live/events?project_id=p-live&lastEventId=${resumedAt}`);
    await none.comments.until((c) => c.includes('connected'), 'connected');
    expect(none.comments.items.some((c) => c.includes('no longer'))).toBe(false);
    expect(none.events.items).toEqual([]);
    await none.close();
  });

  it('resumes a WebSocket from lastEventId in the subscribe message', async () => {
    const ws = await WsClient.open(wsUrl(server.httpUrl, '?project=p-ws'));
    await ws.messages.until((m) => m.some((x) => x.type === 'subscribed'), 'subscribed');
    const s = (id: string) => ({ traceId: `t-${id}`, spanId: id, name: id, startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:00.5Z' });
    await postJson(`${server.httpUrl}/api/ingest`, { projectId: 'p-ws', spans: [s('w1')] });
    await ws.messages.until((m) => m.some((x) => x.type === 'trace.updated'), 'the first trace update');
    const mark = ws.messages.items.find((m) => m.type === 'trace.updated')!.id!;
    await ws.close();
    await postJson(`${server.httpUrl}/api/ingest`, { projectId: 'p-ws', spans: [s('w2'), s('w3')] });
    const again = await WsClient.open(wsUrl(server.httpUrl));
    again.send({ type: 'subscribe', filter: { project: 'p-ws', events: ['span.ingested'] }, lastEventId: mark });
    await again.messages.until((m) => m.filter((x) => x.type === 'span.ingested').length === 2, 'the two replayed spans');
    expect(again.of('subscribed')[1]).toMatchObject({ replayed: 2, gap: false });
    expect(again.of('span.ingested').map((m) => m.data.spanId)).toEqual(['w2', 'w3']);
    await again.close();
  });
});
