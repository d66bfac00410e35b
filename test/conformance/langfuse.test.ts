/**
 * The real Langfuse JS tracing SDK (`@langfuse/tracing`) creating
 * observations on the global OTel tracer provider (scope `langfuse-sdk`),
 * exported over OTLP HTTP/protobuf into a running Lookspan (no Langfuse
 * server) and read back from the traces API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyTrace, payload, spanNamed, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const SCOPE = 'langfuse-sdk';
const SESSION_ID = 'lf-session-4';
const USER_ID = 'lf-user-9';
let c: Conformance;
let out: ClientOutput;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('langfuse.cts', { SESSION_ID, USER_ID });
});
afterAll(() => c?.stop());

async function trace(step: string, spans: number): Promise<any> {
  const t = await c.readTrace(onlyTrace(out.steps[step]), spans);
  expect(t.spans).toHaveLength(spans);
  for (const s of t.spans) expect(s).toMatchObject({ scopeName: SCOPE, framework: 'langfuse' });
  return t;
}

describe('@langfuse/tracing → Lookspan', () => {
  it('agent run: agent, generation and tools as one trace; session and user from propagateAttributes', async () => {
    const t = await trace('agent', 4);
    const agent = spanNamed(t, 'support-agent');
    expect(t).toMatchObject({
      name: 'support-agent', framework: 'langfuse', sessionId: SESSION_ID, userId: USER_ID, agentName: 'support-agent',
      llmCallCount: 1, toolCallCount: 2, errorCount: 1, status: 'error', models: ['gpt-4o'], rootSpanId: agent.id,
    });
    expect(agent).toMatchObject({
      parentSpanId: null, type: 'agent', agentName: 'support-agent', sessionId: SESSION_ID, userId: USER_ID, status: 'unset',
    });
    expect(payload(agent.input)).toEqual({ question: 'Where is order 42?' });
    // The SDK sends a string output unencoded; Lookspan stores it as a JSON string.
    expect(payload(agent.output)).toBe('Order 42 has shipped.');
    for (const name of ['plan', 'lookup_order', 'issue_refund']) {
      // propagateAttributes stamps only the span active when it is called; copying the ids onto
      // spans started inside it is the job of @langfuse/otel's LangfuseSpanProcessor.
      expect(spanNamed(t, name)).toMatchObject({ parentSpanId: agent.id, sessionId: null, userId: null });
    }
  });

  it('generation: model, tokens from usage_details (cache reads added back), reported cost, messages', async () => {
    const s = spanNamed(await trace('agent', 4), 'plan');
    // The SDK sends no provider: the model's price match names it, marked as inferred.
    expect(s).toMatchObject({ type: 'llm_call', model: 'gpt-4o', requestModel: 'gpt-4o', provider: 'openai', status: 'unset' });
    expect(s.attributes['lookspan.provider_inferred']).toBe(true);
    // usage_details {"input":200,"output":40,"input_cache_read":800}: Langfuse's `input` excludes the cached part.
    expect(s.usage).toMatchObject({ inputTokens: 1000, outputTokens: 40, cacheReadTokens: 800, cacheWriteTokens: null, costUsd: 0.0014, costSource: 'reported' });
    expect(payload(s.input)).toEqual([{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Where is order 42?' }]);
    expect(payload(s.output)).toEqual({ role: 'assistant', content: 'Calling lookup_order.' });
    // Captured payloads are not kept twice; what has no column stays.
    expect(s.attributes).not.toHaveProperty('langfuse.observation.input');
    expect(s.attributes['langfuse.observation.model.parameters']).toBe('{"temperature":0}');
  });

  it('tools from observe(): arguments and result as payloads; a throw becomes level ERROR → status error', async () => {
    const t = await trace('agent', 4);
    const ok = spanNamed(t, 'lookup_order');
    expect(ok).toMatchObject({ type: 'tool_call', toolName: 'lookup_order', status: 'unset', statusMessage: null });
    expect(payload(ok.input)).toBe(42);
    expect(payload(ok.output)).toEqual({ orderId: 42, status: 'shipped' });
    const failed = spanNamed(t, 'issue_refund');
    // observe() leaves the OTLP status unset and reports the failure as the observation level.
    expect(failed).toMatchObject({ type: 'tool_call', toolName: 'issue_refund', status: 'error', statusMessage: 'refund service unavailable' });
    expect(payload(failed.output)).toEqual({ error: 'Error: refund service unavailable' });
  });

  it('generation without cost_details: priced from the table; usage in the SDK-typed camelCase OpenAI shape', async () => {
    const t = await trace('computed', 1);
    const s = t.spans[0];
    expect(s).toMatchObject({ name: 'draft', type: 'llm_call', model: 'gpt-4o-mini', sessionId: null, status: 'unset' });
    // usage_details {"promptTokens":600,"completionTokens":150,"totalTokens":750}
    expect(s.usage).toMatchObject({ inputTokens: 600, outputTokens: 150, cacheReadTokens: null, costSource: 'computed' });
    const expected = tablePrice('gpt-4o-mini', 'openai', { input_tokens: 600, output_tokens: 150 });
    expect(s.usage.costUsd).toBeGreaterThan(0);
    expect(s.usage.costUsd).toBeCloseTo(expected, 12);
    expect(t.totalUsage.costUsd).toBeCloseTo(expected, 12);
    expect(payload(s.input)).toEqual([{ role: 'user', content: 'Draft a reply.' }]);
    expect(payload(s.output)).toEqual({ role: 'assistant', content: 'Your order has shipped.' });
  });

  it('an OpenAI Responses usage object: nested cache reads and reasoning; plain-string payloads as JSON strings', async () => {
    const t = await trace('responses_usage', 1);
    const s = t.spans[0];
    expect(s).toMatchObject({ name: 'summarize', type: 'llm_call', model: 'gpt-4o-mini' });
    // input_tokens already includes input_tokens_details.cached_tokens (OpenAI's meaning).
    expect(s.usage).toMatchObject({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 1024, reasoningTokens: 0, costSource: 'computed' });
    const expected = tablePrice('gpt-4o-mini', 'openai', { input_tokens: 1200, output_tokens: 300, cache_read_tokens: 1024 });
    expect(s.usage.costUsd).toBeGreaterThan(0);
    expect(s.usage.costUsd).toBeCloseTo(expected, 12);
    // The SDK sends string payloads unencoded.
    expect(payload(s.input)).toBe('Summarize: order 42 has shipped.');
    expect(payload(s.output)).toBe('Shipped.');
  });

  it('level ERROR with a status message on an observation → status error with that message', async () => {
    const t = await trace('level_error', 1);
    expect(t).toMatchObject({ status: 'error', errorCount: 1 });
    expect(t.spans[0]).toMatchObject({ name: 'moderation', type: 'other', status: 'error', statusMessage: 'content policy violation', errorType: null });
    expect(payload(t.spans[0].input)).toBe('some text');
  });

  it('a callback that throws in startActiveObservation sets the OTLP error status', async () => {
    expect(out.steps.thrown.error).toEqual({ name: 'Error' });
    const t = await trace('thrown', 1);
    expect(t.spans[0]).toMatchObject({ name: 'flaky-chain', type: 'chain', status: 'error', statusMessage: 'chain exploded', input: null });
  });
});
