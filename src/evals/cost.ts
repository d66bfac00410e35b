import type { CostModel } from '../enrich/cost.js';
import { blankSemanticSpan } from '../semconv/native/blank.js';
import type { ChatResult } from './providers/types.js';

/** The cost of one provider answer by the same price table (and local overrides) as ingested spans; null when the model has no price. */
export function answerCost(costs: CostModel, model: string, r: ChatResult): number | null {
  const now = Date.now() * 1000;
  const s = blankSemanticSpan('cost', 'cost', 'cost', now, now);
  s.provider = r.provider;
  s.request_model = model;
  s.response_model = r.model;
  s.input_tokens = r.usage.inputTokens;
  s.output_tokens = r.usage.outputTokens;
  s.cache_read_tokens = r.usage.cacheReadTokens;
  s.cache_write_tokens = r.usage.cacheWriteTokens;
  return costs.price(s).cost_usd;
}
