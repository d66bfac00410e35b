import { overloaded, unavailable, type LookspanError } from '../errors.js';

/**
 * A receiver's concurrency slot group: the OTLP/HTTP routes (both
 * encodings), the OTLP/gRPC trace service and the native JSON routes each
 * have their own cap.
 */
export type ReceiverGroup = 'otlp_http' | 'otlp_grpc' | 'native';

/** Why a request was refused before any of its work was done. */
export type RefusalReason = 'concurrency' | 'queue_full' | 'wal_backlog' | 'unavailable';

/** What admission reads about the pipeline and the WAL; every read is O(1). */
export interface AdmissionGauges {
  /** Non-null once the pipeline admits nothing more (shutting down): the reason. */
  closed(): string | null;
  /** Non-null when the WAL can take no writes. */
  failure(): Error | null;
  /** Spans admitted and waiting for their fsync. */
  queuedSpans(): number;
  /** WAL bytes durable but not yet loaded. */
  unloadedBytes(): number;
}

export interface AdmissionLimits {
  /** Requests one receiver group works on at once (`pipeline.maxConcurrentRequests`). */
  maxConcurrentRequests: number;
  queueMaxSpans: number;
  walMaxUnloadedBytes: number;
  retryAfterSeconds: number;
}

/** An admitted request's concurrency slot, held until the request is answered. `release` is safe to call twice. */
export interface AdmissionTicket {
  release(): void;
}

/**
 * Admission before work: decides, from counters alone, whether a request
 * may be read, decompressed, decoded and normalized at all. A refusal costs
 * microseconds, so under overload the CPU goes to the requests that will be
 * acknowledged, and the per-group cap bounds the memory held by requests in
 * progress (at most `maxConcurrentRequests` decompressed bodies and their
 * decoded spans per group). The exact span bounds are checked again once the
 * request's span count is known (Pipeline.commit).
 */
export class Admission {
  private readonly active = new Map<ReceiverGroup, number>();

  constructor(
    private readonly gauges: AdmissionGauges,
    private readonly limits: AdmissionLimits,
    /** Hears every refusal (metrics). */
    private readonly onRefused: (receiver: string, reason: RefusalReason) => void = () => {},
  ) {}

  /** Requests of `group` admitted and not yet answered. */
  inProgress(group: ReceiverGroup): number {
    return this.active.get(group) ?? 0;
  }

  /** Admits one request of `receiver` (its metrics label) into `group`'s slots, or throws the refusal (429 / 503 with a retry hint). */
  admit(receiver: string, group: ReceiverGroup): AdmissionTicket {
    const refusal = this.refusal(group);
    if (refusal) {
      this.onRefused(receiver, refusal.reason);
      throw refusal.error;
    }
    this.active.set(group, this.inProgress(group) + 1);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.active.set(group, this.inProgress(group) - 1);
      },
    };
  }

  private refusal(group: ReceiverGroup): { reason: RefusalReason; error: LookspanError } | null {
    const retry = this.limits.retryAfterSeconds;
    const closed = this.gauges.closed();
    if (closed !== null) return { reason: 'unavailable', error: unavailable(closed, retry) };
    const failure = this.gauges.failure();
    if (failure) return { reason: 'unavailable', error: unavailable(`store unavailable: ${failure.message}`, retry) };
    const n = this.inProgress(group);
    if (n >= this.limits.maxConcurrentRequests) {
      return { reason: 'concurrency', error: overloaded(`too many concurrent requests (${n} in progress on this receiver, limit ${this.limits.maxConcurrentRequests})`, retry) };
    }
    const queued = this.gauges.queuedSpans();
    if (queued >= this.limits.queueMaxSpans) {
      return { reason: 'queue_full', error: overloaded(`ingest queue full (${queued} spans waiting for fsync, limit ${this.limits.queueMaxSpans})`, retry) };
    }
    const unloaded = this.gauges.unloadedBytes();
    if (unloaded > this.limits.walMaxUnloadedBytes) {
      return { reason: 'wal_backlog', error: overloaded(`write-ahead log backlog too large (${unloaded} bytes not yet loaded, limit ${this.limits.walMaxUnloadedBytes})`, retry) };
    }
    return null;
  }
}
