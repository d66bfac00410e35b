/**
 * `@traceloop/instrumentation-anthropic` driving the real `@anthropic-ai/sdk`
 * against the fake Messages API, exported over OTLP/gRPC into a running
 * Lookspan and read back from the traces API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_USAGE, CHAT_TEXT } from './fake-providers.js';
import { onlyTrace, payload, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const SCOPE = '@traceloop/instrumentation-anthropic';
const MODEL = 'claude-3-5-sonnet-20241022';
// Anthropic's input_tokens leaves the cache counts out; Lookspan's input_tokens is the total, as OTel's is.
const TOTAL_INPUT = ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens;
let c: Conformance;
let out: ClientOutput;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('anthropic.cts', { LOOKSPAN_EXPORTER: 'grpc' });
});
afterAll(() => c?.stop());

async function span(step: string): Promise<any> {
  const trace = await c.readTrace(onlyTrace(out.steps[step]), 1);
  expect(trace.spans).toHaveLength(1);
  expect(trace.spans[0]).toMatchObject({ scopeName: SCOPE, serviceName: 'conformance-anthropic-traceloop' });
  return trace.spans[0];
}

const expectedCost = () => tablePrice(MODEL, 'anthropic', {
  input_tokens: TOTAL_INPUT,
  output_tokens: ANTHROPIC_USAGE.output_tokens,
  cache_read_tokens: ANTHROPIC_USAGE.cache_read_input_tokens,
  cache_write_tokens: ANTHROPIC_USAGE.cache_creation_input_tokens,
});

describe('@traceloop/instrumentation-anthropic → Lookspan', () => {
  it('message: model, provider, total input with cache reads and writes, cost at cache rates', async () => {
    const s = await span('message');
    expect(s).toMatchObject({
      name: `chat ${MODEL}`, kind: 'client', type: 'llm_call', operation: 'chat', framework: 'anthropic', provider: 'anthropic',
      requestModel: MODEL, responseModel: MODEL, finishReason: 'stop', status: 'unset', errorType: null,
    });
    expect(s.usage).toMatchObject({
      inputTokens: TOTAL_INPUT, outputTokens: ANTHROPIC_USAGE.output_tokens,
      cacheReadTokens: ANTHROPIC_USAGE.cache_read_input_tokens, cacheWriteTokens: ANTHROPIC_USAGE.cache_creation_input_tokens,
      costSource: 'computed',
    });
    expect(s.usage.costUsd).toBeGreaterThan(0);
    expect(s.usage.costUsd).toBeCloseTo(expectedCost(), 12);
    // gen_ai.system_instructions is prepended to gen_ai.input.messages as a system message.
    expect(payload(s.input)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Say hello.' }] },
    ]);
    expect(JSON.stringify(payload(s.output))).toContain(CHAT_TEXT);
  });

  it('streamed message: usage assembled from message_start and message_delta, priced the same', async () => {
    const s = await span('stream');
    expect(s).toMatchObject({ type: 'llm_call', provider: 'anthropic', responseModel: MODEL });
    expect(s.usage).toMatchObject({ inputTokens: TOTAL_INPUT, outputTokens: ANTHROPIC_USAGE.output_tokens, cacheReadTokens: ANTHROPIC_USAGE.cache_read_input_tokens, costSource: 'computed' });
    expect(s.usage.costUsd).toBeCloseTo(expectedCost(), 12);
  });

  it('429: an error span with the exception recorded, never priced', async () => {
    expect(out.steps.rate_limited.error).toEqual({ name: 'RateLimitError', status: 429 });
    const s = await span('rate_limited');
    expect(s).toMatchObject({ type: 'llm_call', provider: 'anthropic', requestModel: 'claude-3-5-sonnet-error-429', status: 'error' });
    expect(s.statusMessage).toContain('rate_limit_error');
    // From the exception event, which names the SDK error by its `name`: plain "Error", not RateLimitError.
    expect(s.errorType).toBe('Error');
    expect(s.events.find((e: any) => e.name === 'exception').attributes['exception.type']).toBe('Error');
    expect(s.usage).toMatchObject({ costUsd: null, costSource: 'unknown' });
  });
});
