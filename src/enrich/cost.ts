import type { ModelPrice } from '@pydantic/genai-prices';
import type { CostSource } from '../model/span-record.js';
import type { SemanticSpan } from '../semconv/index.js';
import { normalizeProvider } from '../semconv/provider.js';
import { modelName } from './model-names.js';
import { type PriceResolution, type TokenUsage, priceTokens, providerOfModel, resolvePrice } from './price-table.js';

/** A local price (the model-pricing routes); USD per million tokens. */
export interface ModelPriceOverride {
  model_id: string;
  /** null: any provider. */
  provider: string | null;
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok?: number | null;
  cache_write_per_mtok?: number | null;
  reasoning_per_mtok?: number | null;
}

export interface SpanCost {
  cost_usd: number | null;
  cost_source: CostSource;
}

export interface CostModel {
  /** Cost of one span: a reported cost wins; otherwise tokens × price; else unknown (never a silent 0). */
  price(span: SemanticSpan): SpanCost;
  /**
   * For a span that names a model but no provider (Langfuse SDK spans): the
   * provider of the model's price table match; null when the span states a
   * provider (never overridden), names no model, or nothing matches.
   */
  inferProvider(span: SemanticSpan): string | null;
  /** Replaces the local overrides; they take precedence over the price table from the next span on. */
  setOverrides(list: ModelPriceOverride[]): void;
}

const UNKNOWN: SpanCost = Object.freeze({ cost_usd: null, cost_source: 'unknown' }) as SpanCost;
const MAX_CACHED = 10_000;

/** A cost model over `@pydantic/genai-prices` with local overrides; resolutions cached per provider+model. */
export function createCostModel(): CostModel {
  let overrides: ModelPriceOverride[] = [];
  // Resolving a name costs tens of µs in the table; spans repeat a handful of models.
  const cache = new Map<string, PriceResolution | null>();
  const providers = new Map<string, string | null>();

  function resolve(provider: string | null, model: string): PriceResolution | null {
    const key = provider === null ? model : `${provider}\u0000${model}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const res = resolveOverride(overrides, provider, model) ?? resolvePrice(provider, model);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, res);
    return res;
  }

  return {
    price(span: SemanticSpan): SpanCost {
      if (span.reported_cost_usd !== null && Number.isFinite(span.reported_cost_usd)) {
        return { cost_usd: span.reported_cost_usd, cost_source: 'reported' };
      }
      const usage = tokenUsage(span);
      if (usage === null) return UNKNOWN;
      const at = new Date(span.started_us / 1000);
      // The response model names the snapshot that actually ran; fall back to the request.
      for (const model of [span.response_model, span.request_model]) {
        if (model === null) continue;
        const res = resolve(span.provider, model);
        if (res === null) continue;
        const usd = priceTokens(res, usage, at);
        if (usd !== null) return { cost_usd: usd, cost_source: 'computed' };
      }
      return UNKNOWN;
    },
    inferProvider(span: SemanticSpan): string | null {
      if (span.provider !== null) return null;
      for (const model of [span.response_model, span.request_model]) {
        if (model === null) continue;
        let p = providers.get(model);
        if (p === undefined) {
          p = providerOfModel(model);
          if (providers.size >= MAX_CACHED) providers.clear();
          providers.set(model, p);
        }
        if (p !== null) return p;
      }
      return null;
    },
    setOverrides(list: ModelPriceOverride[]): void {
      overrides = list.slice();
      cache.clear();
    },
  };
}

/**
 * Token counts for pricing, or null when the span has none. OTel says input
 * tokens SHOULD include cached ones; some emitters (Anthropic's own usage
 * shape) report them apart, which shows as cache counts above the input
 * count, so those are added back rather than rejected by the table.
 */
export function tokenUsage(span: SemanticSpan): TokenUsage | null {
  if (span.input_tokens === null && span.output_tokens === null) return null;
  const cacheRead = span.cache_read_tokens ?? 0;
  const cacheWrite = span.cache_write_tokens ?? 0;
  const reasoning = span.reasoning_tokens ?? 0;
  let input = span.input_tokens ?? 0;
  if (cacheRead + cacheWrite > input) input += cacheRead + cacheWrite;
  let output = span.output_tokens ?? 0;
  if (reasoning > output) output += reasoning;
  return {
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: reasoning,
  };
}

/** The first override whose model (after name normalization) and provider match. */
function resolveOverride(
  list: ModelPriceOverride[],
  provider: string | null,
  model: string,
): PriceResolution | null {
  if (list.length === 0) return null;
  const names = new Set(modelName(model).candidates.map((c) => c.toLowerCase()));
  for (const o of list) {
    if (o.provider !== null && normalizeProvider(o.provider) !== provider) continue;
    const id = o.model_id.trim().toLowerCase();
    if (!names.has(id)) continue;
    const rates: ModelPrice = { input_mtok: o.input_per_mtok, output_mtok: o.output_per_mtok };
    if (o.cache_read_per_mtok != null) rates.cache_read_mtok = o.cache_read_per_mtok;
    if (o.cache_write_per_mtok != null) rates.cache_write_mtok = o.cache_write_per_mtok;
    if (o.reasoning_per_mtok != null) rates.output_reasoning_mtok = o.reasoning_per_mtok;
    return { kind: 'rates', rates, source: `override/${o.model_id}` };
  }
  return null;
}
