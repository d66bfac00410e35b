/**
 * `@arizeai/openinference-instrumentation-openai` driving the real `openai`
 * client against the fake provider, with session and user set through
 * `@arizeai/openinference-core`, exported over OTLP HTTP/protobuf into a
 * running Lookspan and read back from the traces API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_TEXT, OPENAI_CHAT_USAGE } from './fake-providers.js';
import { onlyTrace, payload, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const SCOPE = '@arizeai/openinference-instrumentation-openai';
const SESSION_ID = 'oi-session-7';
const USER_ID = 'oi-user-3';
let c: Conformance;
let out: ClientOutput;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('openai.cts', { CONFORMANCE_INSTRUMENTATION: 'openinference', SESSION_ID, USER_ID });
});
afterAll(() => c?.stop());

async function span(step: string): Promise<{ trace: any; s: any }> {
  const trace = await c.readTrace(onlyTrace(out.steps[step]), 1);
  expect(trace.spans).toHaveLength(1);
  expect(trace.spans[0].scopeName).toBe(SCOPE);
  return { trace, s: trace.spans[0] };
}

describe('@arizeai/openinference-instrumentation-openai → Lookspan', () => {
  it('chat: model, provider, tokens with cache reads, computed cost, session and user', async () => {
    const { trace, s } = await span('chat');
    expect(s).toMatchObject({
      name: 'OpenAI Chat Completions', type: 'llm_call', framework: 'openai', provider: 'openai',
      // llm.model_name is overwritten with the model the server answered with.
      model: 'gpt-4o-mini-2024-07-18', finishReason: 'stop', status: 'ok', errorType: null,
      sessionId: SESSION_ID, userId: USER_ID,
    });
    expect(s.usage).toMatchObject({
      inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens,
      cacheReadTokens: OPENAI_CHAT_USAGE.cached_tokens, reasoningTokens: 0, costSource: 'computed',
    });
    const expected = tablePrice('gpt-4o-mini-2024-07-18', 'openai', {
      input_tokens: OPENAI_CHAT_USAGE.prompt_tokens, output_tokens: OPENAI_CHAT_USAGE.completion_tokens, cache_read_tokens: OPENAI_CHAT_USAGE.cached_tokens,
    });
    expect(s.usage.costUsd).toBeGreaterThan(0);
    expect(s.usage.costUsd).toBeCloseTo(expected, 12);
    expect(payload(s.input)).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }]);
    expect(payload(s.output)).toEqual([{ role: 'assistant', content: CHAT_TEXT }]);
    expect(trace).toMatchObject({ sessionId: SESSION_ID, userId: USER_ID, framework: 'openai' });
    expect(trace.totalUsage.costUsd).toBeCloseTo(expected, 12);
  });

  it('streaming chat: the instrumentation records no usage, so the cost is unknown (never 0)', async () => {
    const { s } = await span('stream');
    expect(s).toMatchObject({ type: 'llm_call', provider: 'openai', requestModel: 'gpt-4o-mini', finishReason: 'stop', status: 'unset', sessionId: SESSION_ID });
    expect(s.usage).toMatchObject({ inputTokens: null, outputTokens: null, costUsd: null, costSource: 'unknown' });
    expect(payload(s.output)).toEqual([{ role: 'assistant', content: CHAT_TEXT }]);
  });

  it('embeddings: an EMBEDDING span with its model and inputs (no token counts sent)', async () => {
    const { s } = await span('embeddings');
    expect(s).toMatchObject({ name: 'OpenAI Embeddings', type: 'embedding', provider: 'openai', framework: 'openai', requestModel: 'text-embedding-3-small', userId: USER_ID });
    expect(s.usage).toMatchObject({ inputTokens: null, costUsd: null, costSource: 'unknown' });
    expect(payload(s.input)).toEqual(['one', 'two']);
  });

  it('429: the instrumentation never ends the span of a rejected call, so nothing is exported', () => {
    expect(out.steps.rate_limited.error).toEqual({ name: 'RateLimitError', status: 429 });
    expect(out.steps.rate_limited.spans).toEqual([]);
  });
});
