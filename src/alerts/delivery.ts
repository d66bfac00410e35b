import type { Logger } from 'pino';
import { BoundedQueue } from '../live/bounded-queue.js';
import { DeliveryError, postJson } from './http-post.js';
import type { OutboundPolicy } from './outbound-url.js';
import { slackMessage } from './slack.js';
import { signedHeaders } from './webhook.js';
import type { AlertRecord, DeliveryRecord, DeliveryTarget } from './types.js';

export interface DeliveryOptions {
  attempts: number;
  firstRetryMs: number;
  maxRetryMs: number;
  timeoutMs: number;
  queueMax: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
}

export interface DeliveryJob {
  alert: AlertRecord;
  target: DeliveryTarget;
  url: string;
  /** The webhook's signing secret (none for Slack). */
  secret: string | null;
}

/** The webhook body: the event, its delivery id and the alert as GET /api/alerts shows it. */
export function webhookBody(alert: AlertRecord): string {
  return JSON.stringify({ event: 'alert.triggered', delivery_id: alert.id, alert });
}

/** Sends one message; resolves on a 2xx answer, else throws a classified DeliveryError. */
export async function sendOnce(job: Pick<DeliveryJob, 'target' | 'url' | 'secret'>, body: string, deliveryId: string, policy: OutboundPolicy, timeoutMs: number): Promise<void> {
  const headers = job.target === 'webhook' ? signedHeaders(job.secret, 'alert.triggered', deliveryId, body) : {};
  const r = await postJson(job.url, body, headers, policy, timeoutMs);
  if (r.status >= 200 && r.status < 300) return;
  // Slack answers 4xx with a reason in the body (invalid_payload, no_service, channel_is_archived…).
  const reason = r.body.trim().slice(0, 200);
  throw new DeliveryError(`answered ${r.status}${reason ? `: ${reason}` : ''}`, r.status >= 500 || r.status === 429 || r.status === 408, r.status, r.retryAfterSeconds);
}

/**
 * Deliveries to Slack and webhooks, off the ingest path: a bounded queue
 * (past `queueMax` the oldest waiting delivery is dropped and recorded as
 * such), a few in flight at once, retries with exponential backoff (or the
 * target's Retry-After) on network errors, timeouts, 408, 429 and 5xx,
 * none on other answers or URLs the outbound policy refuses. Each final
 * outcome is reported to `onResult`, which records it in the history.
 */
export class DeliveryQueue {
  private readonly waiting: BoundedQueue<{ job: DeliveryJob; attempt: number }>;
  private active = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  readonly counters = { delivered: 0, failed: 0, retried: 0, dropped: 0, blocked: 0 };

  constructor(
    private readonly opts: DeliveryOptions,
    private readonly policy: OutboundPolicy,
    private readonly onResult: (alertId: string, target: DeliveryTarget, r: DeliveryRecord) => void,
    private readonly log?: Logger,
  ) {
    this.waiting = new BoundedQueue(opts.queueMax);
  }

  /** Deliveries waiting or in flight. */
  get pending(): number {
    return this.waiting.length + this.active + this.timers.size;
  }

  enqueue(job: DeliveryJob): void {
    if (this.closed) return;
    this.push({ job, attempt: 1 });
  }

  /** Stops sending; what is still waiting stays `pending` in the history. Safe to call twice. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting.clear();
  }

  private push(item: { job: DeliveryJob; attempt: number }): void {
    const dropped = this.waiting.push(item);
    if (dropped) {
      this.counters.dropped++;
      this.onResult(dropped.job.alert.id, dropped.job.target, { status: 'dropped', attempts: dropped.attempt - 1, last_error: `delivery queue full (alerts.delivery.queueMax ${this.opts.queueMax})` });
    }
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.active < (this.opts.concurrency ?? 4) && this.waiting.length > 0) {
      const item = this.waiting.shift()!;
      this.active++;
      this.attempt(item).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async attempt(item: { job: DeliveryJob; attempt: number }): Promise<void> {
    const { job, attempt } = item;
    const body = job.target === 'slack' ? JSON.stringify(slackMessage(job.alert)) : webhookBody(job.alert);
    try {
      await sendOnce(job, body, job.alert.id, this.policy, this.opts.timeoutMs);
      this.counters.delivered++;
      this.onResult(job.alert.id, job.target, { status: 'delivered', attempts: attempt, last_error: null });
    } catch (err) {
      const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, true);
      if (e.retryable && attempt < this.opts.attempts && !this.closed) {
        this.counters.retried++;
        const backoff = Math.min(this.opts.maxRetryMs, this.opts.firstRetryMs * 2 ** (attempt - 1));
        const delay = e.retryAfterSeconds !== null ? Math.min(this.opts.maxRetryMs, e.retryAfterSeconds * 1000) : backoff;
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.push({ job, attempt: attempt + 1 });
        }, delay);
        t.unref();
        this.timers.add(t);
        return;
      }
      const blocked = !e.retryable && e.status === null;
      if (blocked) this.counters.blocked++;
      else this.counters.failed++;
      // The host only: the URL's path is the credential.
      this.log?.warn({ alert: job.alert.id, target: job.target, host: safeHost(job.url), attempts: attempt, error: e.message }, 'alert delivery failed');
      this.onResult(job.alert.id, job.target, { status: blocked ? 'blocked' : 'failed', attempts: attempt, last_error: e.message });
    }
  }
}

function safeHost(u: string): string | null {
  try {
    return new URL(u).host;
  } catch {
    return null;
  }
}
