import type { SemanticSpan, SemconvOptions } from '../semconv/index.js';
import type { CostModel } from '../enrich/cost.js';
import type { DecodedExport } from '../receivers/otlp/decode.js';
import type { IngestPayload } from '../receivers/native/ingest-payload.js';
import type { IngestProject, IngestResult, SpanSink } from '../receivers/sink.js';
import type { ToolCallSpan } from '../receivers/native/tool-call-spans.js';
import { fromIngestSpan } from '../semconv/native/ingest-span.js';
import { fromToolCallSpan } from '../semconv/native/tool-call-span.js';
import { invalid, overloaded, unavailable } from '../errors.js';
import { clampEnd, spanValueProblem } from './span-values.js';
import { IngestCounters } from './counters.js';
import type { IngestMetrics } from '../metrics/registry.js';
import type { SpanLimits } from './span-limits.js';
import { encodeSpans, normalizeDecoded, type NormalizedBatch, type NormalizeContext, type SpanDigest } from './normalize.js';
import { Admission, type AdmissionTicket, type ReceiverGroup } from './admission.js';

/** Requests one receiver group works on at once unless configured (`pipeline.maxConcurrentRequests`). */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 16;

/** Where accepted records go: the WAL. `append` resolves once they are fsynced. */
export interface DurableSink {
  append(records: Buffer, spans: number): Promise<void>;
  /** Bytes durable but not yet loaded into the store. */
  unloadedBytes(): number;
  /** Non-null when the sink can take no writes (failed fsync, closed). */
  failure(): Error | null;
}

export interface PipelineOptions {
  queueMaxSpans: number;
  walMaxUnloadedBytes: number;
  retryAfterSeconds: number;
  /** Requests each receiver group (OTLP/HTTP, OTLP/gRPC, native) works on at once; past it, 429 before the body is read (default DEFAULT_MAX_CONCURRENT_REQUESTS). */
  maxConcurrentRequests?: number;
  semconv: SemconvOptions;
  defaultProjectId: string;
  /** Attribute/event/link limits per stored span (DEFAULT_SPAN_LIMITS when absent). */
  spanLimits?: SpanLimits;
  /** Whether a project's spans are stored without payloads (its redact_payloads setting); asked per span. */
  redactPayloads?: (projectId: string) => boolean;
  /** OTLP resource attribute that names a span's project when the credential is bound to none ('' or absent: none). */
  projectResourceAttribute?: string;
}


/** Hook for consumers downstream of durability (live updates, metrics); called after the fsync. */
export type AcceptedListener = (spans: readonly SpanDigest[]) => void;

/**
 * The ingest pipeline: admission → (the receiver decodes) → semconv →
 * enrich → WAL group commit. A request is admitted or refused before its
 * body is read (`admit`: concurrency per receiver group, spans waiting for
 * fsync, WAL bytes waiting for the loader), and the span bounds are checked
 * again with the request's exact span count before its append; past any
 * bound it refuses with a retry hint instead of dropping anything. A request
 * resolves only after its rows are durable.
 */
export class Pipeline implements SpanSink {
  readonly counters: IngestCounters;
  private inFlightSpans = 0;
  private listeners: AcceptedListener[] = [];
  private closed = false;
  private readonly inline: NormalizeContext;
  private readonly admission: Admission;

  constructor(
    private readonly sink: DurableSink,
    private readonly costs: CostModel,
    private readonly opts: PipelineOptions,
    /** The server's ingest metrics (src/metrics); a private set when absent. */
    metrics?: IngestMetrics,
  ) {
    this.counters = new IngestCounters(metrics);
    this.inline = { semconv: opts.semconv, project: opts.defaultProjectId, costs, redact: opts.redactPayloads };
    this.admission = new Admission({
      closed: () => (this.closed ? 'Lookspan is shutting down' : null),
      failure: () => sink.failure(),
      queuedSpans: () => this.inFlightSpans,
      unloadedBytes: () => sink.unloadedBytes(),
    }, {
      maxConcurrentRequests: opts.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
      queueMaxSpans: opts.queueMaxSpans,
      walMaxUnloadedBytes: opts.walMaxUnloadedBytes,
      retryAfterSeconds: opts.retryAfterSeconds,
    }, (receiver, reason) => this.counters.refused(receiver, reason));
  }

  /**
   * Admits one request before any of its work (reading, decompressing,
   * decoding) or refuses it with a classified error (429 / 503 with a retry
   * hint). The receiver releases the ticket once it has answered.
   */
  admit(receiver: string, group: ReceiverGroup): AdmissionTicket {
    return this.admission.admit(receiver, group);
  }

  /** Requests of a receiver group admitted and not yet answered. */
  inProgress(group: ReceiverGroup): number {
    return this.admission.inProgress(group);
  }

  onAccepted(listener: AcceptedListener): void {
    this.listeners.push(listener);
  }

  /** Spans accepted and not yet fsynced. */
  get queuedSpans(): number {
    return this.inFlightSpans;
  }

  /** Stops admitting; requests already admitted still complete. */
  close(): void {
    this.closed = true;
  }

  /** Ingests the spans a receiver decoded from one OTLP request (gRPC, HTTP/protobuf, HTTP/JSON). */
  async submitOtlp(decoded: DecodedExport, receiver: string, target?: IngestProject): Promise<IngestResult> {
    if (this.closed) throw unavailable('Lookspan is shutting down', this.opts.retryAfterSeconds);
    // A bound credential's spans go to its project whatever the resource says.
    const mapped = target?.bound ? undefined : this.opts.projectResourceAttribute || undefined;
    const ctx = target || mapped ? { ...this.inline, project: target?.project ?? this.inline.project, projectAttribute: mapped } : this.inline;
    // Measured with a worker thread for this step: no gain on 2 cores, where the
    // DuckDB loader already uses the second core, so it runs on the event loop.
    const batch = normalizeDecoded(decoded, ctx, this.opts.spanLimits, this.counters.spanLimits);
    this.counters.received(receiver, batch.spans + batch.rejected);
    if (batch.rejected > 0) this.counters.rejected(receiver, 'invalid', batch.rejected);
    const message = batch.rejected > 0 ? `${batch.rejected} span(s) rejected: ${batch.rejectMessages.join('; ')}` : '';
    if (batch.spans > 0) await this.commit(batch, receiver);
    return { accepted: batch.spans, rejected: batch.rejected, message };
  }

  /** Ingests a validated native IngestPayload (POST /api/ingest). */
  submitIngestPayload(payload: IngestPayload, receiver: string, target?: IngestProject): Promise<IngestResult> {
    const max = this.opts.semconv.payloadMaxBytes;
    return this.submitSemantic(payload.spans.map((s) => fromIngestSpan(s, payload.projectId, max)), receiver, target?.project);
  }

  /** Ingests validated ToolCallSpans (POST /api/traces/spans). */
  submitToolCallSpans(spans: ToolCallSpan[], receiver: string, target?: IngestProject): Promise<IngestResult> {
    const max = this.opts.semconv.payloadMaxBytes;
    return this.submitSemantic(spans.map((s) => fromToolCallSpan(s, max)), receiver, target?.project);
  }

  /**
   * Native requests are all-or-nothing (a 400 names the first span whose
   * value the store cannot hold); a span repeated within the request is
   * stored once, the first copy winning as in the loader, and reported as a
   * duplicate rather than as accepted.
   */
  private async submitSemantic(
    spans: Array<SemanticSpan & { project_id?: string | null }>, receiver: string, project = this.opts.defaultProjectId,
  ): Promise<IngestResult> {
    this.counters.received(receiver, spans.length);
    const unique: typeof spans = [];
    const seen = new Set<string>();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      const problem = spanValueProblem(s);
      if (problem !== null) {
        this.counters.rejected(receiver, 'invalid', spans.length);
        throw invalid(`spans[${i}]: ${problem}`, [{ path: `spans[${i}]`, message: problem }]);
      }
      const key = `${s.project_id || project}\u0000${s.trace_id}\u0000${s.span_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      clampEnd(s);
      unique.push(s);
    }
    const duplicates = spans.length - unique.length;
    if (duplicates > 0) this.counters.rejected(receiver, 'duplicate', duplicates);
    const n = unique.length;
    if (n === 0) return { accepted: 0, rejected: 0, duplicates, message: '' };
    const { wal, digests } = encodeSpans(unique, project, this.costs, this.opts.spanLimits, this.counters.spanLimits, this.opts.redactPayloads);
    await this.commit({ wal, digests, spans: n, rejected: 0, rejectMessages: [] }, receiver);
    return { accepted: n, rejected: 0, duplicates, message: '' };
  }

  /** The exact bounds, once the request's span count is known: reserves its spans in the queue or refuses. */
  private reserve(receiver: string, n: number): void {
    const failure = this.sink.failure();
    if (this.closed || failure) {
      this.counters.rejected(receiver, 'unavailable', n);
      throw unavailable(this.closed ? 'Lookspan is shutting down' : `store unavailable: ${failure!.message}`, this.opts.retryAfterSeconds);
    }
    if (this.inFlightSpans + n > this.opts.queueMaxSpans && this.inFlightSpans > 0) {
      this.counters.rejected(receiver, 'queue_full', n);
      throw overloaded(`ingest queue full (${this.inFlightSpans} spans waiting for fsync, limit ${this.opts.queueMaxSpans})`, this.opts.retryAfterSeconds);
    }
    const unloaded = this.sink.unloadedBytes();
    if (unloaded > this.opts.walMaxUnloadedBytes) {
      this.counters.rejected(receiver, 'wal_backlog', n);
      throw overloaded(`write-ahead log backlog too large (${unloaded} bytes not yet loaded, limit ${this.opts.walMaxUnloadedBytes})`, this.opts.retryAfterSeconds);
    }
    this.inFlightSpans += n;
  }

  private async commit(batch: NormalizedBatch, receiver: string): Promise<void> {
    const n = batch.spans;
    this.reserve(receiver, n);
    const t0 = performance.now();
    try {
      await this.sink.append(batch.wal, n);
    } catch (err) {
      this.counters.rejected(receiver, 'unavailable', n);
      throw unavailable(`store unavailable: ${(err as Error).message}`, this.opts.retryAfterSeconds);
    } finally {
      this.inFlightSpans -= n;
    }
    this.counters.accepted(receiver, n, (performance.now() - t0) / 1000);
    for (const l of this.listeners) {
      try {
        l(batch.digests);
      } catch {
        // A listener must never undo an acknowledged write.
      }
    }
  }
}
