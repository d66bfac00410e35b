import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ProviderError, Providers } from '../../src/evals/providers/index.js';
import type { ChatRequest } from '../../src/evals/providers/types.js';
import { ANTHROPIC_KEY, OPENAI_KEY, USAGE, startFakeLlm, type FakeLlm } from './fake-llm.js';

let fake: FakeLlm;
beforeAll(async () => { fake = await startFakeLlm(); });
afterAll(async () => { await fake.close(); });

/** Providers against the fake, recording the backoff delays instead of waiting them. */
function providers(over: Record<string, unknown> = {}, keys = { openai: OPENAI_KEY, anthropic: ANTHROPIC_KEY }) {
  const delays: number[] = [];
  const cfg = configSchema.parse({
    evals: {
      providers: { openai: { apiKey: keys.openai, baseUrl: `${fake.url}/v1` }, anthropic: { apiKey: keys.anthropic, baseUrl: fake.url } },
      ...over,
    },
  }).evals;
  const p = new Providers(cfg, { sleep: async (ms) => { delays.push(ms); }, random: () => 0 });
  return { p, delays };
}

const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model, system: 'Be brief.', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [], parameters: { temperature: 0.1, maxTokens: 50 }, stream: false, ...extra,
});
const weather = { name: 'get_weather', description: 'the weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('OpenAI through the openai package', () => {
  for (const stream of [false, true]) {
    it(`answers a chat${stream ? ', streamed' : ''}, with usage and the snapshot model`, async () => {
      const r = await providers().p.chat('openai', ask('gpt-4o-mini', { stream }));
      expect(r).toMatchObject({ provider: 'openai', text: 'echo: Weather in Paris?', model: 'gpt-4o-mini-snapshot', finishReason: 'stop', attempts: 1 });
      expect(r.usage).toMatchObject({ inputTokens: USAGE.input, outputTokens: USAGE.output });
      const sent = fake.requests.at(-1)!.body;
      expect(sent).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.1, max_tokens: 50, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' }] });
      expect(sent.stream ?? false).toBe(stream);
    });

    it(`assembles a tool call${stream ? ' from stream deltas' : ''}`, async () => {
      const r = await providers().p.chat('openai', ask('gpt-4o-mini', { stream, tools: [weather], toolChoice: 'auto' }));
      expect(r.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: '{"city":"Paris"}' }]);
      expect(r.finishReason).toBe('tool_calls');
      expect(fake.requests.at(-1)!.body.tools[0]).toEqual({ type: 'function', function: weather });
    });
  }
});

describe('Anthropic through @anthropic-ai/sdk', () => {
  for (const stream of [false, true]) {
    it(`answers a message${stream ? ', streamed' : ''}; tool calls and results become tool_use / tool_result blocks`, async () => {
      const r = await providers().p.chat('anthropic', ask('claude-haiku-4-5', {
        stream, tools: [weather],
        messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', content: null, toolCalls: [{ id: 't1', name: 'get_weather', arguments: '{"city":"Rome"}' }] }, { role: 'tool', toolCallId: 't1', content: 'sunny' }],
      }));
      expect(r).toMatchObject({ provider: 'anthropic', text: 'echo: Weather?', finishReason: 'end_turn', model: 'claude-haiku-4-5-snapshot' });
      expect(r.usage.inputTokens).toBe(USAGE.input);
      const sent = fake.requests.at(-1)!;
      expect(sent.path).toBe('/v1/messages');
      expect(sent.body).toMatchObject({
        system: 'Be brief.', max_tokens: 50, temperature: 0.1,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Rome' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'sunny' }] },
        ],
        tools: [{ name: 'get_weather', description: 'the weather', input_schema: weather.parameters }],
      });
    });

    it(`returns the model's tool call${stream ? ' from input_json deltas' : ''}`, async () => {
      const r = await providers().p.chat('anthropic', ask('claude-haiku-4-5', { stream, tools: [weather] }));
      expect(r.toolCalls).toEqual([{ id: expect.stringMatching(/^toolu_/), name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    });
  }
});

describe('failures', () => {
  it('401 is not retried and says the provider refused the key', async () => {
    const { p, delays } = providers();
    const before = fake.requests.length;
    const err = await p.chat('openai', ask('gpt-error-401')).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.failure).toMatchObject({ kind: 'auth', status: 401, attempts: 1 });
    expect(err.http).toBe(503);
    expect(fake.requests.length - before).toBe(1);
    expect(delays).toEqual([]);
  });

  it('a wrong key is the provider\'s 401 too (Anthropic)', async () => {
    const err = await providers({}, { openai: OPENAI_KEY, anthropic: 'sk-ant-wrong' }).p.chat('anthropic', ask('claude-x')).catch((e) => e);
    expect(err.failure).toMatchObject({ kind: 'auth', provider: 'anthropic', status: 401 });
  });

  it('429 is retried after exactly what retry-after-ms asks for, then answers', async () => {
    const { p, delays } = providers();
    const r = await p.chat('openai', ask('gpt-flaky-429-a'));
    expect(r.attempts).toBe(2);
    expect(delays).toEqual([5]);
  });

  it('429 with retry-after: 1 waits one second per retry (Anthropic), then reports rate_limited with the hint', async () => {
    const { p, delays } = providers({ maxRetries: 2 });
    const err = await p.chat('anthropic', ask('claude-error-429')).catch((e) => e);
    expect(delays).toEqual([1000, 1000]);
    expect(err.failure).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterSeconds: 1, attempts: 3 });
    expect(err.http).toBe(429);
    expect(err.details.retryAfterSeconds).toBe(1);
  });

  it('a retry-after beyond retryMaxDelayMs is passed on instead of waited', async () => {
    const { p, delays } = providers({ retryMaxDelayMs: 500 });
    const err = await p.chat('openai', ask('gpt-error-429')).catch((e) => e);
    expect(delays).toEqual([]);
    expect(err.failure).toMatchObject({ kind: 'rate_limited', attempts: 1 });
  });

  it('500 is retried with exponential backoff, then fails with the attempts counted', async () => {
    const { p, delays } = providers({ maxRetries: 3, retryBaseDelayMs: 100 });
    const err = await p.chat('openai', ask('gpt-error-500')).catch((e) => e);
    // random() = 0: 75 % of 100·2ⁿ.
    expect(delays).toEqual([75, 150, 300]);
    expect(err.failure).toMatchObject({ kind: 'server', status: 500, attempts: 4 });
  });

  it('a slow answer times out at evals.timeoutMs (and is retried as a timeout)', async () => {
    const { p, delays } = providers({ timeoutMs: 150, maxRetries: 1 });
    const err = await p.chat('openai', ask('gpt-slow')).catch((e) => e);
    fake.release();
    expect(err.failure).toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(delays).toHaveLength(1);
  });

  it('an abort ends a held call at once, without retrying', async () => {
    const { p } = providers({ maxRetries: 3 });
    const ac = new AbortController();
    const call = p.chat('anthropic', ask('claude-slow'), ac.signal).catch((e) => e);
    await fake.held(1);
    ac.abort();
    const err = await call;
    fake.release();
    expect(err.failure).toMatchObject({ kind: 'aborted', attempts: 1 });
  });

  it('without a key: a 503 naming the config key and the variable, and no request', async () => {
    const { p } = providers({}, { openai: '', anthropic: ANTHROPIC_KEY });
    const before = fake.requests.length;
    const err = await p.chat('openai', ask('gpt-4o')).catch((e) => e);
    expect(err.failure.kind).toBe('not_configured');
    expect(err.http).toBe(503);
    expect(err.message).toContain('evals.providers.openai.apiKey');
    expect(err.message).toContain('OPENAI_API_KEY');
    expect(fake.requests.length).toBe(before);
    expect(p.configured()).toEqual(['anthropic']);
  });

  it('chooses the provider: asked, else by model family, else the span\'s, else the first configured', () => {
    const { p } = providers({}, { openai: '', anthropic: ANTHROPIC_KEY });
    expect(p.choose('openai', 'claude-x')).toBe('openai');
    expect(p.choose(undefined, 'claude-3-5-sonnet')).toBe('anthropic');
    expect(p.choose(undefined, 'gpt-4o')).toBe('openai');
    expect(p.choose(undefined, 'llama-3', 'openai')).toBe('openai');
    expect(p.choose(undefined, 'llama-3')).toBe('anthropic');
    expect(() => p.choose('gemini', 'x')).toThrow(/provider must be one of/);
  });
});
