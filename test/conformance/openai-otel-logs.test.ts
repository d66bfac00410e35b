/**
 * The official `@opentelemetry/instrumentation-openai` with content capture
 * on, driving the real `openai` client against the fake provider and
 * exporting spans over OTLP and its log records through an SDK
 * LoggerProvider and each official OTLP logs exporter (gRPC, HTTP/JSON,
 * HTTP/protobuf with gzip): the trace detail shows the prompt and the
 * completion the instrumentation put in log records, before and after a seal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TEXT } from './fake-providers.js';
import { onlyTrace, payload, startConformance, type ClientOutput, type Conformance } from './harness.js';

const EXPORTERS = [
  { logs: 'grpc', traces: 'grpc', env: { OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'gzip' } },
  { logs: 'http-json', traces: 'http', env: {} },
  { logs: 'http-proto', traces: 'http', env: { OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: 'gzip' } },
] as const;

let c: Conformance;
const outputs = new Map<string, ClientOutput>();

beforeAll(async () => {
  c = await startConformance();
  for (const e of EXPORTERS) {
    outputs.set(e.logs, await c.runClient('openai-logs.cts', {
      LOOKSPAN_LOGS_EXPORTER: e.logs, ...(e.traces === 'grpc' ? { LOOKSPAN_EXPORTER: 'grpc' } : {}), ...e.env,
    }));
  }
}, 120_000);
afterAll(() => c?.stop());

/** The step's one span once its log-derived output is there (logs and spans load independently). */
async function span(exporter: string, step: string): Promise<any> {
  const id = onlyTrace(outputs.get(exporter)!.steps[step]);
  const trace = await c.readTrace(id, 1);
  const start = Date.now();
  let t = trace;
  while (t.spans[0].output === null && Date.now() - start < 20_000) {
    await new Promise((r) => setTimeout(r, 100));
    t = await (await fetch(`${c.server.httpUrl}/api/traces/${id}`)).json();
  }
  expect(t.spans).toHaveLength(1);
  expect(t.spans[0].scopeName).toBe('@opentelemetry/instrumentation-openai');
  return t.spans[0];
}

describe.each(EXPORTERS.map((e) => e.logs))('@opentelemetry/instrumentation-openai with logs over %s → Lookspan', (exporter) => {
  it('exported every log record without an error', () => {
    // chat: 2 messages + 1 choice; stream: 2 + 1; tool_result: 3 + 1; responses: input + output details.
    expect(outputs.get(exporter)!.logRecordsExported).toBe(12);
  });

  it('chat: the prompt (system and user messages) and the completion from the deprecated events', async () => {
    const s = await span(exporter, 'chat');
    expect(payload(s.input)).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }]);
    expect(payload(s.output)).toEqual([{ role: 'assistant', content: CHAT_TEXT, finish_reason: 'stop' }]);
    expect(s.finishReason).toBe('stop');
  });

  it('streaming chat: the completion assembled by the instrumentation from the chunks', async () => {
    const s = await span(exporter, 'stream');
    expect(payload(s.input)).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }]);
    expect(payload(s.output)).toEqual([{ role: 'assistant', content: CHAT_TEXT, finish_reason: 'stop' }]);
  });

  it('a replayed tool call and its result in the prompt', async () => {
    const s = await span(exporter, 'tool_result');
    expect(payload(s.input)).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_7', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', content: '18°C and sunny', tool_call_id: 'call_7' },
    ]);
    expect(JSON.stringify(payload(s.output))).toContain(CHAT_TEXT);
  });

  it('Responses API: input and output from gen_ai.client.inference.operation.details, instructions as the system message', async () => {
    const s = await span(exporter, 'responses');
    const input = payload(s.input) as any[];
    expect(input[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] });
    expect(JSON.stringify(input.slice(1))).toContain('Say hello.');
    const output = payload(s.output) as any[];
    expect(output).toHaveLength(1);
    expect(output[0]).toMatchObject({ role: 'assistant', finish_reason: 'stop' });
    expect(JSON.stringify(output[0].parts)).toContain(CHAT_TEXT);
  });
});

describe('after a seal into the lake', () => {
  it('every trace detail is the same', async () => {
    const ids = [...outputs.values()].flatMap((o) => Object.values(o.steps).map((st) => onlyTrace(st)));
    const read = async () => Promise.all(ids.map(async (id) => (await fetch(`${c.server.httpUrl}/api/traces/${id}`)).json()));
    for (const e of EXPORTERS) for (const step of ['chat', 'stream', 'tool_result', 'responses']) await span(e.logs, step);
    const before = await read();
    const sealed = (await (await fetch(`${c.server.httpUrl}/api/storage/seal`, { method: 'POST' })).json()) as any;
    expect(sealed.sealed.logs).toBeGreaterThan(0);
    expect(await read()).toEqual(before);
  });
});
