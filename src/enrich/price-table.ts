import { lookupTable } from '../model/lookup-table.js';
import { calcPrice, type ModelPrice, type TieredPrices } from '@pydantic/genai-prices';
import { modelName } from './model-names.js';

/**
 * Token counts in the price table's terms: `input_tokens` is the total input
 * including cache reads and writes, `output_tokens` the total output
 * including reasoning (both as the OTel GenAI conventions define them, and as
 * `@pydantic/genai-prices` expects them).
 */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
}

/**
 * How one provider+model is priced. `rates` is computed here (a few
 * multiplications); `library` calls calcPrice each time, for models whose
 * price depends on the date or time of day.
 */
export type PriceResolution =
  | { kind: 'rates'; rates: ModelPrice; source: string; providerId?: string }
  | { kind: 'library'; modelId: string; providerId: string | undefined; source: string };

/**
 * OTel `gen_ai.provider.name` values (as semconv normalizes them) → price
 * table provider ids. Absent: try the name as is, then the model alone.
 */
const PROVIDER_IDS: Readonly<Record<string, string>> = lookupTable({
  openai: 'openai',
  anthropic: 'anthropic',
  'aws.bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  cohere: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  mistral_ai: 'mistral',
  perplexity: 'perplexity',
  x_ai: 'x-ai',
  together: 'together',
  fireworks: 'fireworks',
  cerebras: 'cerebras',
  openrouter: 'openrouter',
  moonshot: 'moonshotai',
});

/** Self-hosted runtimes: a name match in the public table would be a made-up price. */
const LOCAL_PROVIDERS = new Set(['ollama', 'vllm', 'lmstudio', 'llamacpp', 'llama.cpp', 'local', 'tgi']);

const PROBE = { input_tokens: 1, output_tokens: 1 };

/** Finds the price table entry for a span's provider and model, or null when none matches. */
export function resolvePrice(provider: string | null, model: string): PriceResolution | null {
  const { candidates, providerHint } = modelName(model);
  const p = provider ?? providerHint;
  if (p !== null && LOCAL_PROVIDERS.has(p)) return null;
  const providerIds: Array<string | undefined> = [];
  if (p !== null) providerIds.push(PROVIDER_IDS[p] ?? p);
  // The model's first-party price when the provider has no entry for it
  // (e.g. a gateway that reports its own name).
  providerIds.push(undefined);
  for (const providerId of providerIds) {
    for (const candidate of candidates) {
      const r = safeCalc(PROBE, candidate, providerId, undefined);
      if (r === null) continue;
      const source = `${r.provider.id}/${r.model.id}`;
      if (Array.isArray(r.model.prices)) return { kind: 'library', modelId: candidate, providerId: r.provider.id, source };
      return { kind: 'rates', rates: r.model.prices, source, providerId: r.provider.id };
    }
  }
  return null;
}

/** Price table provider ids → the OTel provider name first mapped to each (openai, anthropic, gcp.gemini, aws.bedrock, …). */
const OTEL_PROVIDERS: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [otel, id] of Object.entries(PROVIDER_IDS)) if (!m.has(id)) m.set(id, otel);
  return m;
})();

/**
 * The provider whose price the table matches for a model named without a
 * provider (the model name's `provider/` prefix, else the model's
 * first-party entry), as an OTel provider name (an id without one is kept
 * as the table spells it); null when no price matches or the name points
 * at a self-hosted runtime.
 */
export function providerOfModel(model: string): string | null {
  const id = resolvePrice(null, model)?.providerId;
  return id === undefined ? null : OTEL_PROVIDERS.get(id) ?? id;
}

/** USD for one call; mirrors calcPrice's decomposition for the token units we carry. */
export function priceTokens(res: PriceResolution, u: TokenUsage, at: Date): number | null {
  if (res.kind === 'library') {
    const r = safeCalc(toLibraryUsage(u), res.modelId, res.providerId, at);
    return r === null ? null : r.total_price;
  }
  return priceWithRates(res.rates, u);
}

/**
 * Each priced unit is charged for its exclusive share: cache reads and writes
 * leave the input rate only when they have a rate of their own, reasoning
 * leaves the output rate only when it has one. Tiers are chosen by the total
 * input tokens and reprice the whole count, as the table defines them.
 */
export function priceWithRates(rates: ModelPrice, u: TokenUsage): number {
  const tierBasis = u.input_tokens;
  const cacheRead = rates.cache_read_mtok !== undefined ? u.cache_read_tokens : 0;
  const cacheWrite = rates.cache_write_mtok !== undefined ? u.cache_write_tokens : 0;
  const reasoning = rates.output_reasoning_mtok !== undefined ? u.reasoning_tokens : 0;
  let usd =
    perMillion(rates.input_mtok, u.input_tokens - cacheRead - cacheWrite, tierBasis) +
    perMillion(rates.cache_read_mtok, cacheRead, tierBasis) +
    perMillion(rates.cache_write_mtok, cacheWrite, tierBasis) +
    perMillion(rates.output_mtok, u.output_tokens - reasoning, tierBasis) +
    perMillion(rates.output_reasoning_mtok, reasoning, tierBasis);
  const perRequest = rates.requests_kcount;
  if (typeof perRequest === 'number') usd += perRequest / 1000;
  return usd;
}

function perMillion(price: number | TieredPrices | undefined, tokens: number, tierBasis: number): number {
  if (price === undefined || tokens <= 0) return 0;
  if (typeof price === 'number') return (price * tokens) / 1e6;
  let rate = price.base;
  let start = -1;
  // Tiers may be unsorted in raw table data; the highest threshold passed wins.
  for (const t of price.tiers) {
    if (tierBasis > t.start && t.start > start) {
      rate = t.price;
      start = t.start;
    }
  }
  return (rate * tokens) / 1e6;
}

function toLibraryUsage(u: TokenUsage): Record<string, number> {
  const usage: Record<string, number> = { input_tokens: u.input_tokens, output_tokens: u.output_tokens };
  if (u.cache_read_tokens > 0) usage.cache_read_tokens = u.cache_read_tokens;
  if (u.cache_write_tokens > 0) usage.cache_write_tokens = u.cache_write_tokens;
  if (u.reasoning_tokens > 0) usage.output_reasoning_tokens = u.reasoning_tokens;
  return usage;
}

function safeCalc(
  usage: Record<string, number>,
  modelId: string,
  providerId: string | undefined,
  timestamp: Date | undefined,
): ReturnType<typeof calcPrice> {
  try {
    const opts: { providerId?: string; timestamp?: Date } = {};
    if (providerId !== undefined) opts.providerId = providerId;
    if (timestamp !== undefined) opts.timestamp = timestamp;
    return calcPrice(usage, modelId, opts);
  } catch {
    // The table throws on inconsistent usage; an unpriceable call is "unknown", not a crash.
    return null;
  }
}
