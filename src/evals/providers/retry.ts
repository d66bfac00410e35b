import { ProviderError, RETRYABLE } from './errors.js';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Waits `ms` (tests record the delays instead of waiting); rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter (tests fix it). */
  random?: () => number;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The delay before retry `n` (0-based): what the provider's retry-after
 * asked for, else exponential backoff with jitter (75-100 % of
 * base·2ⁿ, capped); null when retry-after asks for longer than the cap,
 * so the caller gives up and passes the hint on instead of blocking.
 */
export function retryDelayMs(n: number, retryAfterMs: number | undefined, p: RetryPolicy): number | null {
  if (retryAfterMs !== undefined) return retryAfterMs <= p.maxDelayMs ? retryAfterMs : null;
  const backoff = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** n);
  return Math.round(backoff * (0.75 + 0.25 * (p.random ?? Math.random)()));
}

/**
 * Runs `call` until it succeeds, fails for good (auth, bad request) or
 * the retries are spent; 429, 5xx, 408/409, timeouts and connection
 * errors are retried. The last failure is thrown with the attempt count.
 */
export async function withRetries<T>(call: () => Promise<T>, p: RetryPolicy, signal?: AbortSignal): Promise<{ value: T; attempts: number }> {
  const sleep = p.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await call(), attempts: attempt };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      err.failure.attempts = attempt;
      if (!RETRYABLE.has(err.failure.kind) || attempt > p.maxRetries || signal?.aborted) throw err;
      const delay = retryDelayMs(attempt - 1, err.retryAfterMs, p);
      if (delay === null) throw err;
      await sleep(delay, signal);
    }
  }
}
