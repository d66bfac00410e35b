/**
 * `@traceloop/instrumentation-openai` driving the real `openai` client
 * against the fake provider, exported over OTLP HTTP/protobuf into a running
 * Lookspan and read back from the traces API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TEXT, OPENAI_CHAT_USAGE } from './fake-providers.js';
import { onlyTrace, payload, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const SCOPE = '@traceloop/instrumentation-openai';
let c: Conformance;
let out: ClientOutput;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('openai.cts', { CONFORMANCE_INSTRUMENTATION: 'traceloop' });
});
afterAll(() => c?.stop());

async function span(step: string): Promise<any> {
  const trace = await c.readTrace(onlyTrace(out.steps[step]), 1);
  expect(trace.spans).toHaveLength(1);
  expect(trace.spans[0].scopeName).toBe(SCOPE);
  return trace.spans[0];
}

describe('@traceloop/instrumentation-openai → Lookspan', () => {
  it('chat: model, provider, tokens, computed cost, messages in the OTel parts shape', async () => {
    const s = await span('chat');
    expect(s).toMatchObject({
      name: 'chat gpt-4o-mini', kind: 'client', type: 'llm_call', operation: 'chat', framework: 'openai', provider: 'openai',
      requestModel: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18', finishReason: 'stop', errorType: null,
      // The instrumentation never sets an OK status.
      status: 'unset',
    });
    // gen_ai.usage.input/output_tokens (+ total); the cached-token detail is not sent.
    expect(s.usage).toMatchObject({ inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens, cacheReadTokens: null, costSource: 'computed' });
    const expected = tablePrice('gpt-4o-mini-2024-07-18', 'openai', { input_tokens: OPENAI_CHAT_USAGE.prompt_tokens, output_tokens: OPENAI_CHAT_USAGE.completion_tokens });
    expect(s.usage.costUsd).toBeGreaterThan(0);
    expect(s.usage.costUsd).toBeCloseTo(expected, 12);
    expect(payload(s.input)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Say hello.' }] },
    ]);
    expect((payload(s.output) as any[])[0]).toMatchObject({ role: 'assistant', parts: [{ type: 'text', content: CHAT_TEXT }] });
  });

  it('streaming chat: no usage from the stream, so the cost is unknown (never 0)', async () => {
    const s = await span('stream');
    expect(s).toMatchObject({ type: 'llm_call', provider: 'openai', responseModel: 'gpt-4o-mini-2024-07-18', finishReason: 'stop' });
    expect(s.usage).toMatchObject({ inputTokens: null, outputTokens: null, costUsd: null, costSource: 'unknown' });
  });

  it('embeddings and a 429 leave no span: embeddings are not instrumented, a rejected call is never ended', () => {
    expect(out.steps.embeddings.spans).toEqual([]);
    expect(out.steps.rate_limited.error).toEqual({ name: 'RateLimitError', status: 429 });
    expect(out.steps.rate_limited.spans).toEqual([]);
    expect(c.fake.requests.map((r) => r.path)).toContain('/v1/embeddings');
  });
});
