import { LookspanError, type ErrorClass } from '../../errors.js';
import type { ProviderName } from './types.js';

/** Why a provider call did not produce an answer. */
export type ProviderFailureKind =
  | 'not_configured' | 'auth' | 'rate_limited' | 'server' | 'timeout' | 'connection' | 'bad_request' | 'aborted';

/** What is recorded of a failed call (replays, judgements and run items keep it as JSON). */
export type ProviderFailure = {
  kind: ProviderFailureKind;
  provider: ProviderName;
  message: string;
  /** The provider's HTTP status, when it answered. */
  status?: number;
  retryAfterSeconds?: number;
  /** Requests sent before giving up. */
  attempts?: number;
};

/** How each failure reaches an API client: the provider refusing the configured key is the server's problem, not the caller's. */
const CLASS_OF: Record<ProviderFailureKind, ErrorClass> = {
  not_configured: 'unavailable',
  auth: 'unavailable',
  rate_limited: 'overloaded',
  server: 'unavailable',
  timeout: 'unavailable',
  connection: 'unavailable',
  bad_request: 'invalid',
  aborted: 'unavailable',
};

/** Failures a later attempt may not repeat. */
export const RETRYABLE: ReadonlySet<ProviderFailureKind> = new Set(['rate_limited', 'server', 'timeout', 'connection']);

/** A provider failure as a classified error (src/errors.ts maps it to HTTP). */
export class ProviderError extends LookspanError {
  override name = 'ProviderError';
  /** The exact delay the provider's retry-after asked for (failure.retryAfterSeconds is it rounded up, for the HTTP header). */
  constructor(readonly failure: ProviderFailure, readonly retryAfterMs?: number) {
    super(CLASS_OF[failure.kind], failure.message, failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {});
  }
}

const SETTING: Record<ProviderName, { label: string; key: string; env: string }> = {
  openai: { label: 'OpenAI', key: 'evals.providers.openai.apiKey', env: 'OPENAI_API_KEY' },
  anthropic: { label: 'Anthropic', key: 'evals.providers.anthropic.apiKey', env: 'ANTHROPIC_API_KEY' },
};

/** The answer of every route that needs a provider whose key is not configured: what to set, and where. */
export function notConfigured(provider: ProviderName): ProviderError {
  const s = SETTING[provider];
  return new ProviderError({
    kind: 'not_configured',
    provider,
    message: `no ${s.label} API key is configured: set ${s.key} in the config file or ${s.env} in the server's environment (keys are never taken from a request)`,
  });
}

/** The provider's answer status as a failure kind. */
export function kindOfStatus(status: number): ProviderFailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 409 || status >= 500) return 'server';
  return 'bad_request';
}

/** Seconds a `retry-after-ms` / `retry-after` (seconds or an HTTP date) header asks for; undefined without one. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What an evaluation step records when it fails: a provider failure as it came, or another kind with its message. */
export type RecordedFailure = ProviderFailure | { kind: 'invalid_answer' | 'invalid_input' | 'internal' | 'interrupted'; message: string; answer?: string };

export function recordedFailure(err: unknown): RecordedFailure {
  if (err instanceof ProviderError) return err.failure;
  if (err instanceof LookspanError && err.errorClass === 'invalid') return { kind: 'invalid_input', message: err.message };
  return { kind: 'internal', message: err instanceof Error ? err.message : String(err) };
}
