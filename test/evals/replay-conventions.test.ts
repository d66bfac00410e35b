import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayListResponse, ReplaySchema } from '../../src/api/routes/replay.js';
import { waitFor, type TestServer } from '../helpers/server.js';
import { startFakeLlm, type FakeLlm } from './fake-llm.js';
import { call, ingestSpan, startEvalServer } from './helpers.js';

let fake: FakeLlm;
let s: TestServer;
beforeAll(async () => {
  fake = await startFakeLlm();
  s = await startEvalServer(fake);
});
afterAll(async () => {
  await s.dispose();
  await fake.close();
});

const weatherSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

/** One captured chat span per convention, as its instrumentation writes it, and what the provider must receive on replay. */
const CASES = [
  {
    convention: 'otel-genai', name: 'chat gpt-4o-mini', scope: '@opentelemetry/instrumentation-openai', path: '/v1/chat/completions',
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2, 'gen_ai.request.max_tokens': 200, 'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'Be brief.' }]),
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: { city: 'Paris' } }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: 'sunny, 21C' }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Sunny and 21C.' }], finish_reason: 'stop' }]),
      'gen_ai.tool.definitions': JSON.stringify([{ type: 'function', name: 'get_weather', description: 'Weather by city', parameters: weatherSchema }]),
      'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 6,
    },
    expectSent: {
      model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 200, stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny, 21C' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: weatherSchema } }],
    },
    originalText: 'Sunny and 21C.',
  },
  {
    convention: 'openinference', name: 'ChatCompletion', scope: '@arizeai/openinference-instrumentation-openai', path: '/v1/chat/completions',
    attributes: {
      'openinference.span.kind': 'LLM', 'llm.provider': 'openai', 'llm.system': 'openai', 'llm.model_name': 'gpt-4o',
      'llm.invocation_parameters': JSON.stringify({ model: 'gpt-4o', temperature: 0.5, max_tokens: 50, seed: 7 }),
      'llm.input_messages.0.message.role': 'system', 'llm.input_messages.0.message.content': 'sys',
      'llm.input_messages.1.message.role': 'user', 'llm.input_messages.1.message.content': 'hello',
      'llm.output_messages.0.message.role': 'assistant', 'llm.output_messages.0.message.content': 'hi there',
      'llm.tools.0.tool.json_schema': JSON.stringify({ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }),
      'llm.token_count.prompt': 12, 'llm.token_count.completion': 3,
    },
    expectSent: {
      model: 'gpt-4o', temperature: 0.5, max_tokens: 50, seed: 7,
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hello' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    },
    originalText: 'hi there',
  },
  {
    convention: 'openllmetry', name: 'anthropic.chat', scope: '@traceloop/instrumentation-anthropic', path: '/v1/messages',
    attributes: {
      'gen_ai.system': 'Anthropic', 'gen_ai.request.model': 'claude-haiku-4-5', 'llm.request.type': 'chat', 'llm.is_streaming': true,
      'gen_ai.request.max_tokens': 300, 'gen_ai.request.top_k': 5,
      'gen_ai.prompt.0.role': 'system', 'gen_ai.prompt.0.content': 'You tell the time.',
      'gen_ai.prompt.1.role': 'user', 'gen_ai.prompt.1.content': 'What time is it in Tokyo?',
      'llm.request.functions.0.name': 'get_time', 'llm.request.functions.0.description': 'Time by city',
      'llm.request.functions.0.parameters': JSON.stringify(weatherSchema),
      'gen_ai.completion.0.role': 'assistant', 'gen_ai.completion.0.content': 'It is 9pm.',
      'gen_ai.usage.prompt_tokens': 30, 'gen_ai.usage.completion_tokens': 5,
    },
    expectSent: {
      model: 'claude-haiku-4-5', max_tokens: 300, top_k: 5, stream: true, system: 'You tell the time.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What time is it in Tokyo?' }] }],
      tools: [{ name: 'get_time', description: 'Time by city', input_schema: weatherSchema }],
    },
    originalText: 'It is 9pm.',
  },
  {
    convention: 'vercel-ai', name: 'ai.generateText.doGenerate', scope: 'ai', path: '/v1/chat/completions',
    attributes: {
      'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.provider': 'openai.chat', 'ai.model.id': 'gpt-4o-mini',
      'ai.prompt.messages': JSON.stringify([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'tc9', toolName: 'weather', input: { city: 'Oslo' } }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'tc9', toolName: 'weather', output: { type: 'text', value: 'snow' } }] },
      ]),
      'ai.prompt.tools': [JSON.stringify({ type: 'function', name: 'weather', description: 'Weather', inputSchema: weatherSchema })],
      'ai.prompt.toolChoice': JSON.stringify({ type: 'auto' }),
      'ai.settings.maxOutputTokens': 64, 'ai.settings.temperature': 0,
      'ai.response.text': 'Snowing.', 'ai.usage.inputTokens': 20, 'ai.usage.outputTokens': 2,
    },
    expectSent: {
      model: 'gpt-4o-mini', temperature: 0, max_tokens: 64, tool_choice: 'auto',
      messages: [
        { role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'tc9', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'tc9', content: 'snow' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters: weatherSchema } }],
    },
    originalText: 'Snowing.',
  },
  {
    convention: 'langfuse', name: 'joke-generation', scope: 'langfuse-sdk', path: '/v1/chat/completions',
    attributes: {
      'langfuse.observation.type': 'generation', 'langfuse.observation.model.name': 'gpt-4o-mini',
      'langfuse.observation.model.parameters': JSON.stringify({ temperature: 0.7, max_tokens: '100' }),
      'langfuse.observation.input': JSON.stringify([{ role: 'system', content: 'Be funny.' }, { role: 'user', content: 'Tell a joke' }]),
      'langfuse.observation.output': JSON.stringify({ role: 'assistant', content: 'Why did the span cross the trace?' }),
      'langfuse.observation.usage_details': JSON.stringify({ input: 10, output: 8 }),
    },
    expectSent: { model: 'gpt-4o-mini', temperature: 0.7, max_tokens: 100, messages: [{ role: 'system', content: 'Be funny.' }, { role: 'user', content: 'Tell a joke' }] },
    originalText: 'Why did the span cross the trace?',
  },
] as const;

describe('POST /api/traces/:id/replay rebuilds the captured request of every convention', () => {
  for (const c of CASES) {
    it(`${c.convention}: messages, system, tools and parameters reach the provider; the result is stored with its diff and traced`, async () => {
      const { traceId, spanId } = await ingestSpan(s, c);
      const before = fake.requests.length;
      const r = await call(s, 'POST', `/api/traces/${traceId}/replay`, {});
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const replay = ReplaySchema.parse(r.body);
      expect(fake.requests.length).toBe(before + 1);
      const sent = fake.requests.at(-1)!;
      expect(sent.path).toBe(c.path);
      expect(sent.body).toMatchObject(c.expectSent);
      expect(replay).toMatchObject({ traceId, spanId, convention: c.convention, status: 'ok', error: null });
      expect(replay.original.text).toBe(c.originalText);
      expect(replay.output!.text ?? replay.output!.toolCalls[0]?.name).toBeTruthy();
      expect(replay.usage.inputTokens).toBe(120);
      // Priced by the same table as ingested spans (every model here is in it).
      expect(replay.usage.costUsd).toBeGreaterThan(0);
      expect(replay.latencyMs).toBeGreaterThanOrEqual(0);
      expect(replay.diff!.identical).toBe(false);
      expect(replay.diff!.changes.some((ch) => ch.op === '-' && c.originalText.startsWith(ch.text.trim().split(' ')[0]))).toBe(true);
      expect(replay.replayTraceId).toMatch(/^[0-9a-f]{32}$/);

      const list = ReplayListResponse.parse((await call(s, 'GET', `/api/traces/${traceId}/replays`)).body);
      expect(list.replays.map((x) => x.id)).toEqual([replay.id]);

      // The replay's own span: in session "replay", linked to what it replayed.
      const own = await waitFor(async () => {
        const t = await call(s, 'GET', `/api/traces/${replay.replayTraceId}`);
        return t.status === 200 ? t.body : null;
      });
      expect(own.sessionId).toBe('replay');
      expect(own.spans[0]).toMatchObject({ type: 'llm_call', requestModel: replay.model, sessionId: 'replay' });
      expect(own.spans[0].attributes).toMatchObject({ 'lookspan.replay.id': replay.id, 'lookspan.replay.trace_id': traceId, 'lookspan.replay.span_id': spanId });
    });
  }

  it('otel-genai with the content in log records (gen_ai.client.inference.operation.details): the span\'s payload is filled from them, as the trace detail shows it', async () => {
    const { traceId, spanId } = await ingestSpan(s, {
      name: 'chat gpt-4o-mini', scope: '@opentelemetry/instrumentation-openai',
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.request.seed': 11 },
    });
    const logs = await call(s, 'POST', '/v1/logs', {
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'evals-test' } }] },
        scopeLogs: [{
          scope: { name: '@opentelemetry/instrumentation-openai' },
          logRecords: [{
            timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), eventName: 'gen_ai.client.inference.operation.details', traceId, spanId,
            attributes: [
              { key: 'gen_ai.system_instructions', value: { stringValue: 'Answer in French.' } },
              { key: 'gen_ai.input.messages', value: { stringValue: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Good morning' }] }]) } },
              { key: 'gen_ai.output.messages', value: { stringValue: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Bonjour' }] }]) } },
            ],
          }],
        }],
      }],
    });
    expect(logs.status).toBe(200);
    await waitFor(async () => (await call(s, 'GET', `/api/traces/${traceId}`)).body.spans[0].input !== null);
    const r = await call(s, 'POST', `/api/traces/${traceId}/replay`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(fake.requests.at(-1)!.body).toMatchObject({ seed: 11, messages: [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'Good morning' }] });
    expect(r.body.original.text).toBe('Bonjour');
  });

  it('replays against another model and provider when asked (the captured OpenAI prompt sent to Anthropic)', async () => {
    const { traceId } = await ingestSpan(s, CASES[0]);
    const r = await call(s, 'POST', `/api/traces/${traceId}/replay`, { model: 'claude-haiku-4-5' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5', originalModel: 'gpt-4o-mini' });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages');
    expect(sent.body.system).toBe('Be brief.');
    expect(sent.body.stop_sequences).toEqual(['END']);
  });

  it('native ingest spans replay too', async () => {
    const res = await call(s, 'POST', '/api/ingest', {
      spans: [{
        traceId: 'native-replay-1', spanId: 's1', type: 'llm_call', name: 'chat', startedAt: new Date(Date.now() - 1000).toISOString(), endedAt: new Date().toISOString(),
        status: 'ok', model: 'gpt-4o-mini', provider: 'openai', input: [{ role: 'user', content: 'native hello' }], output: 'native answer',
      }],
    });
    expect(res.status).toBe(200);
    await waitFor(async () => (await call(s, 'GET', '/api/traces/native-replay-1')).status === 200);
    const r = await call(s, 'POST', '/api/traces/native-replay-1/replay', {});
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ convention: 'native', output: { text: 'echo: native hello' }, original: { text: 'native answer' } });
  });

  it('a provider failure is recorded as a failed replay; the request is never where keys come from', async () => {
    const { traceId } = await ingestSpan(s, CASES[1]);
    const failed = await call(s, 'POST', `/api/traces/${traceId}/replay`, { model: 'gpt-error-500' });
    expect(failed.status).toBe(201);
    expect(failed.body).toMatchObject({ status: 'error', output: null, diff: null, error: { kind: 'server', status: 500, provider: 'openai' } });
    const withKey = await call(s, 'POST', `/api/traces/${traceId}/replay`, { apiKey: 'sk-mine', baseUrl: 'http://evil.example' });
    expect(withKey.status).toBe(400);
    expect(JSON.stringify(withKey.body)).toMatch(/apiKey/);
    const list = (await call(s, 'GET', `/api/traces/${traceId}/replays`)).body;
    expect(list.replays.map((x: any) => x.status)).toEqual(['error']);
  });

  it('unknown traces and spans are 404; a span without a captured prompt is a 400 saying why', async () => {
    expect((await call(s, 'POST', '/api/traces/0123456789abcdef0123456789abcdef/replay', {})).status).toBe(404);
    const { traceId } = await ingestSpan(s, { name: 'chat', scope: 'x', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 3 } });
    expect((await call(s, 'POST', `/api/traces/${traceId}/replay`, { spanId: 'ffffffffffffffff' })).status).toBe(404);
    const r = await call(s, 'POST', `/api/traces/${traceId}/replay`, {});
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/no captured prompt/);
  });

  it('answers identically before and after the trace is sealed into the lake', async () => {
    const { traceId } = await ingestSpan(s, CASES[4]);
    const before = fake.requests.length;
    await call(s, 'POST', `/api/traces/${traceId}/replay`, {});
    const sentHot = fake.requests[before].body;
    expect((await call(s, 'POST', '/api/storage/seal')).status).toBe(200);
    await call(s, 'POST', `/api/traces/${traceId}/replay`, {});
    expect(fake.requests[before + 1].body).toEqual(sentHot);
  });
});
