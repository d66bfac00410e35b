/**
 * The Vercel AI SDK (`ai` 6, telemetry in core) through `@ai-sdk/openai`
 * against the fake OpenAI, with `experimental_telemetry` carrying a
 * functionId and session/user metadata, exported over OTLP HTTP/protobuf into
 * a running Lookspan and read back from the traces API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TEXT, OPENAI_CHAT_USAGE, OPENAI_EMBED_TOKENS_PER_INPUT, TOOL_ARGUMENTS } from './fake-providers.js';
import { onlyTrace, payload, spanNamed, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const SESSION_ID = 'vercel-session-1';
const USER_ID = 'vercel-user-9';
let c: Conformance;
let out: ClientOutput;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('vercel-ai.cts', { SESSION_ID, USER_ID });
});
afterAll(() => c?.stop());

const chatCost = () => tablePrice('gpt-4o-mini-2024-07-18', 'openai', {
  input_tokens: OPENAI_CHAT_USAGE.prompt_tokens, output_tokens: OPENAI_CHAT_USAGE.completion_tokens, cache_read_tokens: OPENAI_CHAT_USAGE.cached_tokens,
});

async function trace(step: string, spans: number): Promise<any> {
  const t = await c.readTrace(onlyTrace(out.steps[step]), spans);
  expect(t.spans).toHaveLength(spans);
  for (const s of t.spans) {
    expect(s).toMatchObject({ scopeName: 'ai', framework: 'vercel-ai', sessionId: SESSION_ID, userId: USER_ID, serviceName: 'conformance-vercel-ai' });
  }
  return t;
}

/** The provider call: model, provider, tokens incl. the cache-read detail, cost at the cached rate. */
function expectProviderCall(s: any, finishReason: string): void {
  expect(s).toMatchObject({
    type: 'llm_call', operation: 'chat', provider: 'openai', requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18',
    finishReason, status: 'unset', errorType: null,
  });
  expect(s.usage).toMatchObject({
    inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens,
    cacheReadTokens: OPENAI_CHAT_USAGE.cached_tokens, costSource: 'computed',
  });
  expect(s.usage.costUsd).toBeCloseTo(chatCost(), 12);
}

/** The outer call: an agent named by functionId whose step totals are not counted again. */
function expectOuter(s: any, agent: string): void {
  expect(s).toMatchObject({ type: 'agent', operation: 'invoke_agent', agentName: agent, provider: 'openai', requestModel: 'gpt-4o-mini', parentSpanId: null });
  expect(s.usage).toMatchObject({ inputTokens: null, outputTokens: null, costUsd: null, costSource: 'unknown' });
  expect(s.attributes['ai.usage.inputTokens']).toBeGreaterThan(0);
}

describe('Vercel AI SDK (ai@6) → Lookspan', () => {
  it('generateText: agent span plus priced provider call, trace totals counted once', async () => {
    const t = await trace('generate', 2);
    const outer = spanNamed(t, 'ai.generateText');
    const call = spanNamed(t, 'ai.generateText.doGenerate');
    expectOuter(outer, 'greeter');
    expectProviderCall(call, 'stop');
    expect(call.parentSpanId).toBe(outer.id);
    expect(payload(call.output)).toEqual([{ role: 'assistant', content: CHAT_TEXT }]);
    expect(t.totalUsage).toMatchObject({ inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens });
    expect(t.totalUsage.costUsd).toBeCloseTo(chatCost(), 12);
    expect(t).toMatchObject({ sessionId: SESSION_ID, userId: USER_ID, agentName: 'greeter', framework: 'vercel-ai' });
  });

  it('streamText: the doStream call carries the usage of the final chunk', async () => {
    const t = await trace('stream', 2);
    expectOuter(spanNamed(t, 'ai.streamText'), 'streamer');
    expectProviderCall(spanNamed(t, 'ai.streamText.doStream'), 'stop');
  });

  it('tool call: two provider calls and a tool span; finish reason tool-calls normalized', async () => {
    const t = await trace('tool', 4);
    expectOuter(spanNamed(t, 'ai.generateText'), 'weather-agent');
    const calls = t.spans.filter((s: any) => s.name === 'ai.generateText.doGenerate');
    expect(calls).toHaveLength(2);
    expectProviderCall(calls[0], 'tool_call');
    expectProviderCall(calls[1], 'stop');
    const tool = spanNamed(t, 'ai.toolCall');
    expect(tool).toMatchObject({ type: 'tool_call', operation: 'execute_tool', toolName: 'weather', status: 'unset' });
    expect(tool.toolCallId).toMatch(/^call_\d+$/);
    expect(payload(tool.input)).toEqual(TOOL_ARGUMENTS);
    expect(payload(tool.output)).toEqual({ city: 'Paris', temperatureC: 21 });
    expect(tool.usage.costSource).toBe('unknown');
    expect(t.llmCallCount).toBe(2);
    expect(t.toolCallCount).toBe(1);
    expect(t.totalUsage.inputTokens).toBe(2 * OPENAI_CHAT_USAGE.prompt_tokens);
    expect(t.totalUsage.costUsd).toBeCloseTo(2 * chatCost(), 12);
  });

  it('streamed tool call: tool calls assembled from stream deltas, two priced doStream calls', async () => {
    const t = await trace('stream_tool', 4);
    expectOuter(spanNamed(t, 'ai.streamText'), 'weather-streamer');
    const calls = t.spans.filter((s: any) => s.name === 'ai.streamText.doStream');
    expect(calls).toHaveLength(2);
    expectProviderCall(calls[0], 'tool_call');
    expectProviderCall(calls[1], 'stop');
    const tool = spanNamed(t, 'ai.toolCall');
    expect(tool).toMatchObject({ type: 'tool_call', toolName: 'weather', parentSpanId: spanNamed(t, 'ai.streamText').id });
    expect(payload(tool.input)).toEqual(TOOL_ARGUMENTS);
    expect(t.totalUsage.costUsd).toBeCloseTo(2 * chatCost(), 12);
  });

  it('500 from the provider: both spans are errors typed by the exception, never priced', async () => {
    expect(out.steps.server_error.error?.name).toBe('APICallError');
    const t = await trace('server_error', 2);
    for (const s of t.spans) {
      expect(s).toMatchObject({
        status: 'error', errorType: 'AI_APICallError', statusMessage: 'The server had an error while processing your request',
        requestModel: 'gpt-4o-mini-error-500', usage: { costUsd: null, costSource: 'unknown' },
      });
    }
    expect(spanNamed(t, 'ai.generateText.doGenerate').type).toBe('llm_call');
    expect(t).toMatchObject({ status: 'error', errorCount: 2 });
  });

  it('embedMany: an embedding call priced on its tokens under a chain span', async () => {
    const t = await trace('embed', 2);
    const outer = spanNamed(t, 'ai.embedMany');
    expect(outer).toMatchObject({ type: 'chain', usage: { inputTokens: null, costSource: 'unknown' } });
    const call = spanNamed(t, 'ai.embedMany.doEmbed');
    const tokens = 2 * OPENAI_EMBED_TOKENS_PER_INPUT;
    expect(call).toMatchObject({ type: 'embedding', operation: 'embeddings', provider: 'openai', requestModel: 'text-embedding-3-small', parentSpanId: outer.id });
    expect(call.usage).toMatchObject({ inputTokens: tokens, costSource: 'computed' });
    expect(call.usage.costUsd).toBeCloseTo(tablePrice('text-embedding-3-small', 'openai', { input_tokens: tokens, output_tokens: 0 }), 15);
  });
});
