/**
 * Real OpenTelemetry exporters (gRPC+gzip, HTTP/protobuf+gzip, HTTP/JSON)
 * send GenAI and MCP spans from a BasicTracerProvider; the spans must then
 * come back from the traces API normalized (model, tokens, computed cost,
 * provider, type, error status, session, service) and the listing filters
 * must select them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { startTestServer, type TestServer, waitLoaded } from '../helpers/server.js';

type Kind = 'grpc' | 'proto' | 'json';
const KINDS: Kind[] = ['grpc', 'proto', 'json'];

const CHAT_MODEL = 'gpt-4o-2024-08-06';
const ERROR_MODEL = 'gpt-4o-mini-2024-07-18';
const INPUT_TOKENS = 1000;
const OUTPUT_TOKENS = 200;
// gpt-4o-2024-08-06: $2.50 / M input, $10 / M output.
const EXPECTED_COST = (INPUT_TOKENS * 2.5 + OUTPUT_TOKENS * 10) / 1e6;

/** Records every export result so a failed export fails the test instead of being logged by the SDK. */
class RecordingExporter implements SpanExporter {
  readonly results: ExportResult[] = [];
  exported = 0;
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      this.results.push(r);
      if (r.code === ExportResultCode.SUCCESS) this.exported += spans.length;
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

interface Sent {
  chatTraceId: string;
  chatSpanId: string;
  toolSpanId: string;
  mcpTraceId: string;
  mcpSpanId: string;
  errorTraceId: string;
  errorSpanId: string;
  chatStartMs: number;
  chatEndMs: number;
  service: string;
  session: string;
  mcpSession: string;
  exporter: RecordingExporter;
}

/** Milliseconds as the API's microsecond ISO string. */
const isoMicros = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

function makeExporter(kind: Kind, server: TestServer): SpanExporter {
  if (kind === 'grpc') return new GrpcExporter({ url: `http://${server.grpcAddress}`, compression: CompressionAlgorithm.GZIP });
  if (kind === 'proto') return new ProtoExporter({ url: `${server.httpUrl}/v1/traces`, compression: CompressionAlgorithm.GZIP });
  return new JsonExporter({ url: `${server.httpUrl}/v1/traces` });
}

async function sendWith(kind: Kind, server: TestServer, baseMs: number): Promise<Sent> {
  const exporter = new RecordingExporter(makeExporter(kind, server));
  const service = `svc-${kind}`;
  const session = `conv-${kind}`;
  const mcpSession = `mcp-session-${kind}`;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.2.3', 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('lookspan-e2e', '0.0.1');

  // Trace 1: a chat call with a tool execution under it.
  const chatStartMs = baseMs;
  const chatEndMs = baseMs + 1234;
  const chat = tracer.startSpan(`chat ${CHAT_MODEL}`, {
    kind: SpanKind.CLIENT,
    startTime: chatStartMs,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': CHAT_MODEL,
      'gen_ai.response.model': CHAT_MODEL,
      'gen_ai.usage.input_tokens': INPUT_TOKENS,
      'gen_ai.usage.output_tokens': OUTPUT_TOKENS,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.conversation.id': session,
    },
  }, ROOT_CONTEXT);
  const tool = tracer.startSpan('tools/call get_weather', {
    kind: SpanKind.CLIENT,
    startTime: chatStartMs + 100,
    attributes: {
      'mcp.method.name': 'tools/call',
      'mcp.session.id': mcpSession,
      'gen_ai.tool.name': 'get_weather',
      'server.address': 'weather-mcp',
    },
  }, trace.setSpan(ROOT_CONTEXT, chat));
  tool.end(chatStartMs + 300);
  chat.setStatus({ code: SpanStatusCode.OK });
  chat.end(chatEndMs);

  // Trace 2: an MCP server span on its own.
  const mcp = tracer.startSpan('tools/call search_docs', {
    kind: SpanKind.SERVER,
    startTime: baseMs + 2000,
    attributes: {
      'mcp.method.name': 'tools/call',
      'mcp.session.id': mcpSession,
      'gen_ai.tool.name': 'search_docs',
    },
  }, ROOT_CONTEXT);
  mcp.end(baseMs + 2050);

  // Trace 3: a failed chat call.
  const failed: Span = tracer.startSpan(`chat ${ERROR_MODEL}`, {
    kind: SpanKind.CLIENT,
    startTime: baseMs + 3000,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': ERROR_MODEL,
      'gen_ai.conversation.id': session,
      'error.type': 'RateLimitError',
    },
  }, ROOT_CONTEXT);
  failed.setStatus({ code: SpanStatusCode.ERROR, message: `429 rate limited (${kind})` });
  failed.end(baseMs + 3100);

  await provider.forceFlush();
  await provider.shutdown();
  return {
    chatTraceId: chat.spanContext().traceId,
    chatSpanId: chat.spanContext().spanId,
    toolSpanId: tool.spanContext().spanId,
    mcpTraceId: mcp.spanContext().traceId,
    mcpSpanId: mcp.spanContext().spanId,
    errorTraceId: failed.spanContext().traceId,
    errorSpanId: failed.spanContext().spanId,
    chatStartMs,
    chatEndMs,
    service,
    session,
    mcpSession,
    exporter,
  };
}

let server: TestServer;
const sent = {} as Record<Kind, Sent>;

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.httpUrl}${path}`);
  return { status: res.status, body: (await res.json()) as any };
}

async function listIds(query: string): Promise<{ ids: string[]; total: number; body: any }> {
  const { status, body } = await getJson(`/api/traces?total=1&${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return { ids: body.traces.map((t: any) => t.id), total: body.total, body };
}

beforeAll(async () => {
  server = await startTestServer();
  // Distinct, deterministic start times per exporter (newest first in listings: json, proto, grpc).
  const base = Date.UTC(2025, 5, 1, 12, 0, 0, 0);
  sent.grpc = await sendWith('grpc', server, base + 0);
  sent.proto = await sendWith('proto', server, base + 10_000);
  sent.json = await sendWith('json', server, base + 20_000);
  await waitLoaded(server);
});

afterAll(async () => {
  await server?.dispose();
});

describe.each(KINDS)('exporter %s', (kind) => {
  it('acknowledged every span', () => {
    const s = sent[kind];
    expect(s.exporter.results.length).toBeGreaterThan(0);
    expect(s.exporter.results.map((r) => [r.code, r.error?.message])).toEqual(s.exporter.results.map(() => [ExportResultCode.SUCCESS, undefined]));
    expect(s.exporter.exported).toBe(4);
  });

  it('the chat trace has model, tokens, computed cost, provider, type, session and service', async () => {
    const s = sent[kind];
    const { status, body } = await getJson(`/api/traces/${s.chatTraceId}`);
    expect(status).toBe(200);
    expect(body.id).toBe(s.chatTraceId);
    expect(body.spanCount).toBe(2);
    expect(body.spans).toHaveLength(2);
    expect(body.serviceName).toBe(s.service);
    expect(body.sessionId).toBe(s.session);
    expect(body.status).toBe('ok');
    expect(body.rootSpanId).toBe(s.chatSpanId);
    expect(body.name).toBe(`chat ${CHAT_MODEL}`);
    expect(body.models).toEqual([CHAT_MODEL]);
    expect(body.llmCallCount).toBe(1);
    expect(body.toolCallCount).toBe(1);
    expect(body.totalUsage.inputTokens).toBe(INPUT_TOKENS);
    expect(body.totalUsage.outputTokens).toBe(OUTPUT_TOKENS);
    expect(body.totalUsage.totalTokens).toBe(INPUT_TOKENS + OUTPUT_TOKENS);
    expect(body.totalUsage.costUsd).toBeCloseTo(EXPECTED_COST, 9);
    expect(body.startedAt).toBe(isoMicros(s.chatStartMs));
    expect(body.endedAt).toBe(isoMicros(s.chatEndMs));
    expect(body.durationMs).toBe(1234);
    expect(Array.isArray(body.scores)).toBe(true);

    // Spans come ordered by start time: the chat span, then its tool call.
    const [chat, tool] = body.spans;
    expect(chat.id).toBe(s.chatSpanId);
    expect(chat.traceId).toBe(s.chatTraceId);
    expect(chat.parentSpanId).toBeNull();
    expect(chat.type).toBe('llm_call');
    expect(chat.kind).toBe('client');
    expect(chat.status).toBe('ok');
    expect(chat.provider).toBe('openai');
    expect(chat.operation).toBe('chat');
    expect(chat.model).toBe(CHAT_MODEL);
    expect(chat.requestModel).toBe(CHAT_MODEL);
    expect(chat.responseModel).toBe(CHAT_MODEL);
    expect(chat.finishReason).toBe('stop');
    expect(chat.sessionId).toBe(s.session);
    expect(chat.serviceName).toBe(s.service);
    expect(chat.scopeName).toBe('lookspan-e2e');
    expect(chat.usage.inputTokens).toBe(INPUT_TOKENS);
    expect(chat.usage.outputTokens).toBe(OUTPUT_TOKENS);
    expect(chat.usage.costUsd).toBeGreaterThan(0);
    expect(chat.usage.costUsd).toBeCloseTo(EXPECTED_COST, 9);
    expect(chat.usage.costSource).toBe('computed');
    expect(chat.startedAt).toBe(isoMicros(s.chatStartMs));
    expect(chat.endedAt).toBe(isoMicros(s.chatEndMs));
    expect(chat.durationMs).toBe(1234);
    // Nothing the sender said is lost.
    expect(chat.attributes['gen_ai.request.model']).toBe(CHAT_MODEL);
    expect(chat.attributes['gen_ai.usage.input_tokens']).toBe(INPUT_TOKENS);
    expect(chat.attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(chat.resource['service.name']).toBe(s.service);
    expect(chat.resource['service.version']).toBe('1.2.3');

    expect(tool.id).toBe(s.toolSpanId);
    expect(tool.parentSpanId).toBe(s.chatSpanId);
    expect(tool.type).toBe('tool_call');
    expect(tool.toolName).toBe('get_weather');
    expect(tool.mcp.method).toBe('tools/call');
    expect(tool.mcp.sessionId).toBe(s.mcpSession);
    expect(tool.serverName).toBe('weather-mcp');
    expect(tool.usage.costSource).toBe('unknown');
    expect(tool.usage.costUsd).toBeNull();
    expect(tool.durationMs).toBe(200);
  });

  it('the MCP trace keeps the MCP fields', async () => {
    const s = sent[kind];
    const { status, body } = await getJson(`/api/traces/${s.mcpTraceId}`);
    expect(status).toBe(200);
    expect(body.spanCount).toBe(1);
    expect(body.framework).toBe('mcp');
    expect(body.toolCallCount).toBe(1);
    expect(body.llmCallCount).toBe(0);
    const [span] = body.spans;
    expect(span.id).toBe(s.mcpSpanId);
    expect(span.kind).toBe('server');
    expect(span.type).toBe('tool_call');
    expect(span.toolName).toBe('search_docs');
    expect(span.mcp.method).toBe('tools/call');
    expect(span.mcp.sessionId).toBe(s.mcpSession);
    // A server span names the MCP server by its own service.name.
    expect(span.serverName).toBe(s.service);
    expect(span.framework).toBe('mcp');
  });

  it('the failed call has status error with its message', async () => {
    const s = sent[kind];
    const { status, body } = await getJson(`/api/traces/${s.errorTraceId}`);
    expect(status).toBe(200);
    expect(body.status).toBe('error');
    expect(body.errorCount).toBe(1);
    expect(body.sessionId).toBe(s.session);
    expect(body.models).toEqual([ERROR_MODEL]);
    const [span] = body.spans;
    expect(span.id).toBe(s.errorSpanId);
    expect(span.status).toBe('error');
    expect(span.statusMessage).toBe(`429 rate limited (${kind})`);
    expect(span.errorType).toBe('RateLimitError');
    expect(span.type).toBe('llm_call');
    expect(span.model).toBe(ERROR_MODEL);
    expect(span.provider).toBe('openai');
    // No usage reported: the cost is unknown, never a silent 0.
    expect(span.usage.inputTokens).toBeNull();
    expect(span.usage.costUsd).toBeNull();
    expect(span.usage.costSource).toBe('unknown');
  });
});

describe('listing filters', () => {
  const all = () => KINDS.flatMap((k) => [sent[k].chatTraceId, sent[k].mcpTraceId, sent[k].errorTraceId]);

  it('lists every trace, newest first, with the total', async () => {
    const { ids, total, body } = await listIds('limit=100');
    expect(total).toBe(9);
    expect(body.limit).toBe(100);
    expect(body.offset).toBe(0);
    expect([...ids].sort()).toEqual([...all()].sort());
    const starts = body.traces.map((t: any) => t.startedAt);
    expect(starts).toEqual([...starts].sort().reverse());
    expect(ids[0]).toBe(sent.json.errorTraceId);
    expect(ids[8]).toBe(sent.grpc.chatTraceId);
    const chat = body.traces.find((t: any) => t.id === sent.grpc.chatTraceId);
    expect(chat.totalUsage.costUsd).toBeCloseTo(EXPECTED_COST, 9);
    expect(chat.spanCount).toBe(2);
  });

  it('status=error', async () => {
    const { ids, total, body } = await listIds('status=error');
    expect(total).toBe(3);
    expect([...ids].sort()).toEqual(KINDS.map((k) => sent[k].errorTraceId).sort());
    expect(body.traces.every((t: any) => t.status === 'error')).toBe(true);
    const ok = await listIds('status=ok');
    expect(ok.ids).not.toContain(sent.grpc.errorTraceId);
    expect(ok.ids).toContain(sent.grpc.chatTraceId);
  });

  it('sessionId', async () => {
    const { ids, total } = await listIds(`sessionId=${sent.proto.session}`);
    expect(total).toBe(2);
    expect([...ids].sort()).toEqual([sent.proto.chatTraceId, sent.proto.errorTraceId].sort());
    const none = await listIds('sessionId=no-such-session');
    expect(none.total).toBe(0);
    expect(none.ids).toEqual([]);
  });

  it('model', async () => {
    const { ids, total } = await listIds(`model=${CHAT_MODEL}`);
    expect(total).toBe(3);
    expect([...ids].sort()).toEqual(KINDS.map((k) => sent[k].chatTraceId).sort());
    const mini = await listIds(`model=${ERROR_MODEL}`);
    expect([...mini.ids].sort()).toEqual(KINDS.map((k) => sent[k].errorTraceId).sort());
  });

  it('service', async () => {
    const { ids, total, body } = await listIds(`service=${sent.json.service}`);
    expect(total).toBe(3);
    expect([...ids].sort()).toEqual([sent.json.chatTraceId, sent.json.mcpTraceId, sent.json.errorTraceId].sort());
    expect(body.traces.every((t: any) => t.serviceName === sent.json.service)).toBe(true);
  });

  it('framework', async () => {
    const { ids, total } = await listIds('framework=mcp');
    expect(total).toBe(3);
    expect([...ids].sort()).toEqual(KINDS.map((k) => sent[k].mcpTraceId).sort());
    const custom = await listIds('framework=custom');
    expect(custom.total).toBe(6);
    expect(custom.ids).not.toContain(sent.grpc.mcpTraceId);
  });

  it('combined filters', async () => {
    const { ids, total } = await listIds(`service=${sent.grpc.service}&status=error`);
    expect(total).toBe(1);
    expect(ids).toEqual([sent.grpc.errorTraceId]);
  });

  it('limit and offset page through the listing', async () => {
    const full = await listIds('limit=100');
    const seen: string[] = [];
    for (let offset = 0; offset < 9; offset += 4) {
      const page = await listIds(`limit=4&offset=${offset}`);
      expect(page.total).toBe(9);
      expect(page.body.limit).toBe(4);
      expect(page.body.offset).toBe(offset);
      expect(page.ids.length).toBe(Math.min(4, 9 - offset));
      seen.push(...page.ids);
    }
    expect(seen).toEqual(full.ids);
    const past = await listIds('limit=4&offset=9');
    expect(past.ids).toEqual([]);
    expect(past.total).toBe(9);
  });

  it('time range', async () => {
    const from = new Date(sent.proto.chatStartMs).toISOString();
    const to = new Date(sent.proto.chatStartMs + 5000).toISOString();
    const { ids, total } = await listIds(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(total).toBe(3);
    expect([...ids].sort()).toEqual([sent.proto.chatTraceId, sent.proto.mcpTraceId, sent.proto.errorTraceId].sort());
  });
});
