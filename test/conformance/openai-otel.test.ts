/**
 * `@opentelemetry/instrumentation-openai` (the official OTel one) driving the
 * real `openai` client against the fake provider, exported over OTLP
 * HTTP/protobuf into a running Lookspan and read back from the traces API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAI_CHAT_USAGE, OPENAI_EMBED_TOKENS_PER_INPUT } from './fake-providers.js';
import { onlyTrace, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const SCOPE = '@opentelemetry/instrumentation-openai';
let c: Conformance;
let out: ClientOutput;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('openai.cts', { CONFORMANCE_INSTRUMENTATION: 'otel' });
});
afterAll(() => c?.stop());

async function span(step: string): Promise<any> {
  const trace = await c.readTrace(onlyTrace(out.steps[step]), 1);
  expect(trace.spans).toHaveLength(1);
  expect(trace.spans[0].scopeName).toBe(SCOPE);
  expect(trace.serviceName).toBe('conformance-openai-otel');
  return trace.spans[0];
}

describe('@opentelemetry/instrumentation-openai → Lookspan', () => {
  it('chat: model, provider, tokens, computed cost, type and framework', async () => {
    const s = await span('chat');
    expect(s).toMatchObject({
      name: 'chat gpt-4o-mini', kind: 'client', type: 'llm_call', operation: 'chat', framework: 'openai', provider: 'openai',
      requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', finishReason: 'stop',
      // The instrumentation leaves a successful span's status unset.
      status: 'unset', errorType: null, sessionId: null, userId: null,
    });
    // It records prompt/completion counts only; the cached-token detail is not on the span.
    expect(s.usage).toMatchObject({ inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens, cacheReadTokens: null, costSource: 'computed' });
    const expected = tablePrice('gpt-4o-mini-2024-07-18', 'openai', { input_tokens: OPENAI_CHAT_USAGE.prompt_tokens, output_tokens: OPENAI_CHAT_USAGE.completion_tokens });
    expect(s.usage.costUsd).toBeGreaterThan(0);
    expect(s.usage.costUsd).toBeCloseTo(expected, 12);
    // Message content goes to log records, not the span.
    expect(s.input).toBeNull();
  });

  it('streaming chat: usage from the final chunk is priced', async () => {
    const s = await span('stream');
    expect(s).toMatchObject({ type: 'llm_call', provider: 'openai', responseModel: 'gpt-4o-mini-2024-07-18', finishReason: 'stop', status: 'unset' });
    expect(s.usage).toMatchObject({ inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens, costSource: 'computed' });
    expect(s.usage.costUsd).toBeGreaterThan(0);
  });

  it('embeddings: an embedding span priced on input tokens', async () => {
    const s = await span('embeddings');
    const tokens = 2 * OPENAI_EMBED_TOKENS_PER_INPUT;
    expect(s).toMatchObject({ name: 'embeddings text-embedding-3-small', type: 'embedding', operation: 'embeddings', provider: 'openai', framework: 'openai', requestModel: 'text-embedding-3-small' });
    expect(s.usage).toMatchObject({ inputTokens: tokens, outputTokens: null, costSource: 'computed' });
    expect(s.usage.costUsd).toBeCloseTo(tablePrice('text-embedding-3-small', 'openai', { input_tokens: tokens, output_tokens: 0 }), 15);
  });

  it('429: an error span with the client error class as error type, never priced', async () => {
    expect(out.steps.rate_limited.error).toEqual({ name: 'RateLimitError', status: 429 });
    const s = await span('rate_limited');
    expect(s).toMatchObject({ type: 'llm_call', provider: 'openai', requestModel: 'gpt-4o-mini-error-429', status: 'error', errorType: 'RateLimitError' });
    expect(s.statusMessage).toContain('429');
    expect(s.usage).toMatchObject({ inputTokens: null, costUsd: null, costSource: 'unknown' });
    const trace = await c.readTrace(onlyTrace(out.steps.rate_limited), 1);
    expect(trace.status).toBe('error');
    expect(trace.errorCount).toBe(1);
  });

  it('the fake provider saw every call', () => {
    expect(c.fake.requests.map((r) => `${r.path} ${r.model} ${r.stream}`)).toEqual([
      '/v1/chat/completions gpt-4o-mini false',
      '/v1/chat/completions gpt-4o-mini true',
      '/v1/embeddings text-embedding-3-small false',
      '/v1/chat/completions gpt-4o-mini-error-429 false',
    ]);
  });
});
