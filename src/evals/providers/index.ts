import type { LookspanConfig } from '../../config/index.js';
import { invalid } from '../../errors.js';
import { anthropicClient } from './anthropic.js';
import { notConfigured } from './errors.js';
import { openAiClient } from './openai.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { PROVIDER_NAMES, type ChatClient, type ChatRequest, type ChatResult, type ProviderName } from './types.js';

export type { ChatRequest, ChatResult, ProviderName } from './types.js';
export { ProviderError, notConfigured, recordedFailure, type RecordedFailure } from './errors.js';

/** The judge's model per provider when neither the request nor evals.judgeModel names one. */
export const DEFAULT_JUDGE_MODEL: Record<ProviderName, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku-4-5' };

/** The provider a stored span's `provider` column stands for, when it is one of ours. */
function fromSpanProvider(p: string | null | undefined): ProviderName | null {
  if (!p) return null;
  const s = p.toLowerCase();
  if (s.includes('anthropic')) return 'anthropic';
  if (s.includes('openai')) return 'openai';
  return null;
}

/** Model names whose family says the provider. */
export function providerOfModel(model: string | null | undefined): ProviderName | null {
  if (!model) return null;
  const m = model.toLowerCase();
  if (m.startsWith('claude')) return 'anthropic';
  if (/^(gpt-|chatgpt|o[1-9](-|$)|text-|davinci|babbage)/.test(m)) return 'openai';
  return null;
}

/**
 * The model providers evaluations call, built once from `evals` (keys
 * and base URLs from the configuration only), with one retry policy for
 * all of them. A provider without a key answers every call with the
 * not-configured error that names what to set.
 */
export class Providers {
  private readonly clients = new Map<ProviderName, ChatClient>();

  constructor(private readonly cfg: LookspanConfig['evals'], private readonly retry: Partial<Pick<RetryPolicy, 'sleep' | 'random'>> = {}) {
    const p = cfg.providers;
    if (p.openai.apiKey !== '') this.clients.set('openai', openAiClient({ apiKey: p.openai.apiKey, baseUrl: p.openai.baseUrl, timeoutMs: cfg.timeoutMs }));
    if (p.anthropic.apiKey !== '') this.clients.set('anthropic', anthropicClient({ apiKey: p.anthropic.apiKey, baseUrl: p.anthropic.baseUrl, timeoutMs: cfg.timeoutMs }));
  }

  /** Providers with a key, in preference order. */
  configured(): ProviderName[] {
    return PROVIDER_NAMES.filter((n) => this.clients.has(n));
  }

  /**
   * The provider of a call: the one the request names, else the one the
   * model's name implies, else the captured span's, else the first
   * configured (OpenAI when none is, so the error names its key).
   */
  choose(asked: string | undefined, model: string | null | undefined, spanProvider?: string | null): ProviderName {
    if (asked !== undefined) {
      if (!(PROVIDER_NAMES as readonly string[]).includes(asked)) {
        throw invalid(`provider must be one of ${PROVIDER_NAMES.join(', ')} (an OpenAI-compatible endpoint is "openai" with evals.providers.openai.baseUrl)`, [{ path: 'provider', message: 'unknown provider' }]);
      }
      return asked as ProviderName;
    }
    return providerOfModel(model) ?? fromSpanProvider(spanProvider) ?? this.configured()[0] ?? 'openai';
  }

  /** Fails with the not-configured error unless `provider` has a key (checked before any work is queued). */
  require(provider: ProviderName): void {
    if (!this.clients.has(provider)) throw notConfigured(provider);
  }

  /** One chat call with retries; throws a ProviderError when it fails for good. */
  async chat(provider: ProviderName, req: ChatRequest, signal?: AbortSignal): Promise<ChatResult> {
    const client = this.clients.get(provider);
    if (!client) throw notConfigured(provider);
    // The answering request's own latency: backoff waits and failed attempts are not the model's.
    let latencyMs = 0;
    const { value, attempts } = await withRetries(async () => {
      const t0 = performance.now();
      const out = await client.chat(req, signal);
      latencyMs = performance.now() - t0;
      return out;
    }, {
      maxRetries: this.cfg.maxRetries, baseDelayMs: this.cfg.retryBaseDelayMs, maxDelayMs: this.cfg.retryMaxDelayMs, ...this.retry,
    }, signal);
    return { ...value, latencyMs, attempts };
  }
}
