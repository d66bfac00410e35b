import { overloaded, unavailable, type LookspanError } from '../errors.js';

/**
 * A receiver's concurrency slot group: the OTLP/HTTP routes (both
 * encodings), the OTLP/gRPC trace service and the native JSON routes each
 * have their own cap (the logs pipeline keeps its own slots for its
 * OTLP/HTTP and OTLP/gRPC receivers).
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
  /** What the pipeline queues, for refusal messages: `spans` (default) or `records` (logs). */
  items?: string;
  /** What the refusal messages call the pipeline's WAL and store: empty (the spans', default) or `log `. */
  signal?: string;
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

  /**
   * The checks of `admit` that need no slot (closed, failed WAL, queue,
   * backlog), for a request already admitted or never asked to be: throws
   * the refusal, counted like one at admission.
   */
  recheck(receiver: string): void {
    const refusal = this.availabilityRefusal() ?? this.capacityRefusal();
    if (refusal) {
      this.onRefused(receiver, refusal.reason);
      throw refusal.error;
    }
  }

  private refusal(group: ReceiverGroup): { reason: RefusalReason; error: LookspanError } | null {
    const unavailableNow = this.availabilityRefusal();
    if (unavailableNow) return unavailableNow;
    const n = this.inProgress(group);
    if (n >= this.limits.maxConcurrentRequests) {
      return { reason: 'concurrency', error: overloaded(`too many concurrent requests (${n} in progress on this receiver, limit ${this.limits.maxConcurrentRequests})`, this.limits.retryAfterSeconds) };
    }
    return this.capacityRefusal();
  }

  /** Shutting down, or a WAL that cannot write: 503. */
  private availabilityRefusal(): { reason: RefusalReason; error: LookspanError } | null {
    const retry = this.limits.retryAfterSeconds;
    const closed = this.gauges.closed();
    if (closed !== null) return { reason: 'unavailable', error: unavailable(closed, retry) };
    const failure = this.gauges.failure();
    if (failure) return { reason: 'unavailable', error: unavailable(`${this.limits.signal ?? ''}store unavailable: ${failure.message}`, retry) };
    return null;
  }

  /** Too much waiting for the fsync, or a WAL too far ahead of its loader: 429. */
  private capacityRefusal(): { reason: RefusalReason; error: LookspanError } | null {
    const retry = this.limits.retryAfterSeconds;
    const items = this.limits.items ?? 'spans';
    const signal = this.limits.signal ?? '';
    const queued = this.gauges.queuedSpans();
    if (queued >= this.limits.queueMaxSpans) {
      return { reason: 'queue_full', error: overloaded(`${signal}ingest queue full (${queued} ${items} waiting for fsync, limit ${this.limits.queueMaxSpans})`, retry) };
    }
    const unloaded = this.gauges.unloadedBytes();
    if (unloaded > this.limits.walMaxUnloadedBytes) {
      return { reason: 'wal_backlog', error: overloaded(`${signal}write-ahead log backlog too large (${unloaded} bytes not yet loaded, limit ${this.limits.walMaxUnloadedBytes})`, retry) };
    }
    return null;
  }
}
