/**
 * The provider of a span that names a model but no provider (Langfuse SDK
 * spans) comes from the model's price match, marked as inferred; a stated
 * provider is never overridden.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCostModel } from '../../src/enrich/cost.js';
import type { SemanticSpan } from '../../src/semconv/index.js';
import { toSemanticSpan } from '../../src/semconv/index.js';
import { span } from '../semconv/fixture-runner.js';
import { postJson } from '../helpers/otlp-json.js';
import { getJson, seal } from '../helpers/read-data.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';

const llm = (over: Partial<SemanticSpan>): SemanticSpan => ({ ...toSemanticSpan(span({}), { payloadMaxBytes: 1024 }), type: 'llm_call', ...over });

describe('CostModel.inferProvider', () => {
  const model = createCostModel();
  it.each([
    ['gpt-4o', 'openai'],
    ['gpt-4o-2024-08-06', 'openai'],
    ['claude-3-5-sonnet-20241022', 'anthropic'],
    ['gemini-2.5-pro', 'gcp.gemini'],
    ['mistral-large-latest', 'mistral_ai'],
  ])('%s without a provider → %s, the provider of its price table match', (name, want) => {
    expect(model.inferProvider(llm({ request_model: name, provider: null }))).toBe(want);
    // The table itself says so (its id, which the OTel name maps to).
    expect(calcPrice({ input_tokens: 1, output_tokens: 1 }, name)?.provider.id).toBeDefined();
  });

  it('takes the response model first, then the request model', () => {
    expect(model.inferProvider(llm({ request_model: 'my-deployment', response_model: 'claude-3-5-sonnet-20241022', provider: null }))).toBe('anthropic');
    expect(model.inferProvider(llm({ request_model: 'gpt-4o', response_model: 'my-deployment', provider: null }))).toBe('openai');
  });

  it('never overrides a stated provider, and infers nothing without a match', () => {
    expect(model.inferProvider(llm({ request_model: 'gpt-4o', provider: 'azure.ai.openai' }))).toBeNull();
    expect(model.inferProvider(llm({ request_model: 'acme-llm-9000', provider: null }))).toBeNull();
    expect(model.inferProvider(llm({ request_model: null, response_model: null, provider: null }))).toBeNull();
    // A self-hosted runtime named in the model is no public provider.
    expect(model.inferProvider(llm({ request_model: 'ollama/llama3', provider: null }))).toBeNull();
  });
});

describe('inferred providers in stored spans', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => server?.dispose());

  it('a Langfuse generation gets its provider and the marker; a stated one is kept; costs group by it, before and after a seal', async () => {
    const traceId = 'cd'.repeat(16);
    const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
    const t = Date.now() - 60_000;
    const attr = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const r = await postJson(`${server.httpUrl}/v1/traces`, {
      resourceSpans: [{
        resource: { attributes: [attr('service.name', 'lf')] },
        scopeSpans: [
          { scope: { name: 'langfuse-sdk' }, spans: [{
            traceId, spanId: '1'.repeat(16), name: 'answer', kind: 1, startTimeUnixNano: ns(t), endTimeUnixNano: ns(t + 500),
            attributes: [attr('langfuse.observation.type', 'generation'), attr('langfuse.observation.model.name', 'gpt-4o'),
              attr('langfuse.observation.usage_details', '{"input":100,"output":10}')],
          }] },
          { scope: { name: 'test' }, spans: [{
            traceId, spanId: '2'.repeat(16), name: 'chat gpt-4o', kind: 3, startTimeUnixNano: ns(t + 600), endTimeUnixNano: ns(t + 900),
            attributes: [attr('gen_ai.operation.name', 'chat'), attr('gen_ai.provider.name', 'azure.ai.openai'), attr('gen_ai.request.model', 'gpt-4o'),
              { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } }, { key: 'gen_ai.usage.output_tokens', value: { intValue: '10' } }],
          }] },
        ],
      }],
    });
    expect(r.status).toBe(200);
    await waitLoaded(server);
    for (const pass of ['hot', 'sealed']) {
      if (pass === 'sealed') await seal(server);
      const trace = (await getJson(server, `/api/traces/${traceId}`)).body;
      const lf = trace.spans.find((s: any) => s.name === 'answer');
      const stated = trace.spans.find((s: any) => s.name === 'chat gpt-4o');
      expect(lf.provider, pass).toBe('openai');
      expect(lf.attributes['lookspan.provider_inferred']).toBe(true);
      expect(stated.provider).toBe('azure.ai.openai');
      expect(stated.attributes).not.toHaveProperty('lookspan.provider_inferred');
      const costs = (await getJson(server, `/api/costs/summary?from=${t - 1000}&to=${t + 2000}`)).body;
      expect(costs.byProvider.map((p: any) => p.provider).sort()).toEqual(['azure.ai.openai', 'openai']);
    }
  });
});
