import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { createCostModel, tokenUsage } from '../../src/enrich/cost.js';
import { modelName } from '../../src/enrich/model-names.js';
import { priceWithRates, resolvePrice } from '../../src/enrich/price-table.js';
import type { SemanticSpan } from '../../src/semconv/index.js';
import { toSemanticSpan } from '../../src/semconv/index.js';
import { span } from '../semconv/fixture-runner.js';

function llmSpan(over: Partial<SemanticSpan>): SemanticSpan {
  const base = toSemanticSpan(span({}), { payloadMaxBytes: 1024 });
  return { ...base, type: 'llm_call', input_tokens: 1000, output_tokens: 100, ...over };
}

const USAGE = { input_tokens: 1000, output_tokens: 100 };

describe('createCostModel', () => {
  const cases: Array<[string, string | null, string, string | undefined]> = [
    ['gpt-4o-2024-08-06', 'openai', 'gpt-4o-2024-08-06', 'openai'],
    ['claude-3-5-sonnet-20241022', 'anthropic', 'claude-3-5-sonnet-20241022', 'anthropic'],
    ['openai/gpt-4o', null, 'gpt-4o', 'openai'],
    ['openai/gpt-4o', 'openai', 'gpt-4o', 'openai'],
    ['gpt-5', 'openai', 'gpt-5', 'openai'],
    ['gemini-2.5-pro', 'gcp.gemini', 'gemini-2.5-pro', 'google'],
    ['models/gemini-2.5-pro', 'gcp.vertex_ai', 'gemini-2.5-pro', 'google'],
    ['claude-3-5-sonnet-latest', 'anthropic', 'claude-3-5-sonnet', 'anthropic'],
    ['anthropic:claude-3-5-sonnet-20241022', null, 'claude-3-5-sonnet-20241022', 'anthropic'],
    ['gpt-4o', 'azure.ai.openai', 'gpt-4o', 'azure'],
    ['grok-3', 'x_ai', 'grok-3', 'x-ai'],
  ];
  for (const [model, provider, refModel, refProvider] of cases) {
    it(`prices ${model} (${provider ?? 'no provider'}) like the price table`, () => {
      const cost = createCostModel().price(llmSpan({ request_model: model, provider }));
      const ref = calcPrice(USAGE, refModel, { providerId: refProvider });
      expect(ref).not.toBeNull();
      expect(cost.cost_source).toBe('computed');
      expect(cost.cost_usd).toBeCloseTo(ref!.total_price, 12);
      expect(cost.cost_usd).toBeGreaterThan(0);
    });
  }

  it('gives unknown (not 0) for an unknown model', () => {
    expect(createCostModel().price(llmSpan({ request_model: 'acme-llm-9000', provider: 'acme' }))).toEqual({
      cost_usd: null,
      cost_source: 'unknown',
    });
  });

  it('gives unknown when there are no tokens or no model', () => {
    const model = createCostModel();
    expect(model.price(llmSpan({ request_model: 'gpt-4o', input_tokens: null, output_tokens: null })).cost_source).toBe('unknown');
    expect(model.price(llmSpan({ request_model: null, response_model: null })).cost_source).toBe('unknown');
  });

  it('does not price self-hosted runtimes from the public table', () => {
    expect(createCostModel().price(llmSpan({ request_model: 'gpt-4o', provider: 'ollama' })).cost_source).toBe('unknown');
  });

  it('prefers a reported cost', () => {
    expect(createCostModel().price(llmSpan({ request_model: 'gpt-4o', reported_cost_usd: 0.5 }))).toEqual({
      cost_usd: 0.5,
      cost_source: 'reported',
    });
  });

  it('prefers the response model and falls back to the request model', () => {
    const m = createCostModel();
    const mini = m.price(llmSpan({ request_model: 'gpt-4o', response_model: 'gpt-4o-mini-2024-07-18', provider: 'openai' }));
    expect(mini.cost_usd).toBeCloseTo(calcPrice(USAGE, 'gpt-4o-mini', { providerId: 'openai' })!.total_price, 12);
    const fallback = m.price(llmSpan({ request_model: 'gpt-4o', response_model: 'my-deployment-7', provider: 'openai' }));
    expect(fallback.cost_usd).toBeCloseTo(calcPrice(USAGE, 'gpt-4o', { providerId: 'openai' })!.total_price, 12);
  });

  it('charges cache reads, cache writes and reasoning at their own rates', () => {
    const usage = { input_tokens: 5000, cache_read_tokens: 3000, cache_write_tokens: 1000, output_tokens: 400 };
    const cost = createCostModel().price(
      llmSpan({ request_model: 'claude-3-5-sonnet-20241022', provider: 'anthropic', ...usage }),
    );
    const ref = calcPrice(usage, 'claude-3-5-sonnet-20241022', { providerId: 'anthropic' })!;
    expect(cost.cost_usd).toBeCloseTo(ref.total_price, 12);
    // 1000 uncached × $3 + 3000 × $0.30 + 1000 × $3.75 + 400 × $15, per million
    expect(cost.cost_usd).toBeCloseTo((1000 * 3 + 3000 * 0.3 + 1000 * 3.75 + 400 * 15) / 1e6, 12);
  });

  it('adds cache counts back when an emitter reported input without them', () => {
    const s = llmSpan({ input_tokens: 10, cache_read_tokens: 1000, cache_write_tokens: 0 });
    expect(tokenUsage(s)!.input_tokens).toBe(1010);
    const cost = createCostModel().price({ ...s, request_model: 'gpt-4o', provider: 'openai' });
    expect(cost.cost_source).toBe('computed');
  });

  it('lets overrides take precedence, by provider or for any provider', () => {
    const m = createCostModel();
    m.setOverrides([
      { model_id: 'gpt-4o', provider: 'azure.ai.openai', input_per_mtok: 1, output_per_mtok: 2 },
      { model_id: 'acme-llm', provider: null, input_per_mtok: 10, output_per_mtok: 20, cache_read_per_mtok: 1 },
    ]);
    expect(m.price(llmSpan({ request_model: 'gpt-4o', provider: 'azure.ai.openai' })).cost_usd).toBeCloseTo(
      (1000 * 1 + 100 * 2) / 1e6,
      12,
    );
    // Other providers still use the table.
    expect(m.price(llmSpan({ request_model: 'gpt-4o', provider: 'openai' })).cost_usd).toBeCloseTo(
      calcPrice(USAGE, 'gpt-4o', { providerId: 'openai' })!.total_price,
      12,
    );
    const acme = m.price(llmSpan({ request_model: 'acme-llm-2025-01-01', provider: 'acme', cache_read_tokens: 400 }));
    expect(acme.cost_source).toBe('computed');
    expect(acme.cost_usd).toBeCloseTo((600 * 10 + 400 * 1 + 100 * 20) / 1e6, 12);
    m.setOverrides([]);
    expect(m.price(llmSpan({ request_model: 'acme-llm', provider: 'acme' })).cost_source).toBe('unknown');
  });
});

describe('local pricing matches calcPrice', () => {
  const models: Array<[string, string]> = [
    ['gpt-4o', 'openai'], ['gpt-5', 'openai'], ['o3-mini', 'openai'], ['gemini-2.5-pro', 'google'],
    ['claude-sonnet-4-5', 'anthropic'], ['claude-3-5-haiku-20241022', 'anthropic'], ['deepseek-chat', 'deepseek'],
    ['mistral-large-latest', 'mistral'], ['text-embedding-3-small', 'openai'], ['grok-3', 'x-ai'],
  ];
  const usages = [
    { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 },
    { input_tokens: 250_000, output_tokens: 5000, cache_read_tokens: 100_000, cache_write_tokens: 2000, reasoning_tokens: 3000 },
    { input_tokens: 7, output_tokens: 0, cache_read_tokens: 3, cache_write_tokens: 0, reasoning_tokens: 0 },
  ];
  for (const [model, provider] of models) {
    it(`${provider}/${model}`, () => {
      const res = resolvePrice(provider === 'google' ? 'gcp.gemini' : provider === 'x-ai' ? 'x_ai' : provider === 'mistral' ? 'mistral_ai' : provider, model);
      expect(res).not.toBeNull();
      if (res!.kind !== 'rates') return;
      for (const u of usages) {
        const lib = calcPrice(
          {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_read_tokens: u.cache_read_tokens || undefined,
            cache_write_tokens: u.cache_write_tokens || undefined,
            output_reasoning_tokens: u.reasoning_tokens || undefined,
          },
          model,
          { providerId: provider },
        )!;
        expect(priceWithRates(res!.rates, u)).toBeCloseTo(lib.total_price, 12);
      }
    });
  }
});

describe('modelName', () => {
  it('strips prefixes, paths, dates and -latest', () => {
    expect(modelName('openai/gpt-4o')).toMatchObject({ providerHint: 'openai' });
    expect(modelName('openai/gpt-4o').candidates).toContain('gpt-4o');
    expect(modelName('publishers/google/models/gemini-2.5-pro').candidates).toContain('gemini-2.5-pro');
    expect(modelName('claude-3-5-sonnet-v2@20241022').candidates).toContain('claude-3-5-sonnet-v2');
    expect(modelName('gpt-4o-2024-08-06').candidates).toContain('gpt-4o');
    expect(modelName('claude-3.5-sonnet').candidates).toContain('claude-3-5-sonnet');
    expect(modelName('llama3:8b')).toMatchObject({ providerHint: null, candidates: ['llama3:8b'] });
  });
});
