import { Registry } from 'prom-client';
import type { DurableSink } from './ingest.js';
import type { SemconvOptions } from '../semconv/index.js';
import type { DecodeLimits } from '../receivers/otlp/decode.js';
import type { OtlpEncoding } from '../receivers/sink.js';
import type { LogIngestResult, LogSink } from '../receivers/otlp-logs/sink.js';
import { defineLogMetrics, type LogMetrics } from '../metrics/logs.js';
import { overloaded, unavailable } from '../errors.js';
import { Admission, type AdmissionTicket, type ReceiverGroup } from './admission.js';
import type { SpanLimits } from './span-limits.js';
import { normalizeLogs } from './log-normalize.js';

export interface LogPipelineOptions {
  /** Log records admitted and not yet fsynced at most (`pipeline.queueMaxSpans`). */
  queueMaxRecords: number;
  /** Requests each logs receiver (OTLP/HTTP, OTLP/gRPC) works on at once (`pipeline.maxConcurrentRequests`); absent: no cap. */
  maxConcurrentRequests?: number;
  /** Log WAL bytes not yet loaded at most (`pipeline.walMaxUnloadedBytes`). */
  walMaxUnloadedBytes: number;
  retryAfterSeconds: number;
  semconv: SemconvOptions;
  limits: DecodeLimits;
  defaultProjectId: string;
  recordLimits?: SpanLimits;
  /** `logs.storeOtherEvents`: store log records that are no GenAI or MCP event as well. */
  storeOtherEvents: boolean;
  /** Whether a project's records are stored without payloads (its redact_payloads setting). */
  redactPayloads?: (projectId: string) => boolean;
}

/**
 * The logs signal's pipeline, beside the spans' one: admission → decode →
 * semconv/log-events → limits → the log WAL's group commit. A receiver asks
 * `admit` before it reads the body (the spans' Admission, with slots of its
 * own); a request is refused when its receiver already works on
 * `maxConcurrentRequests`, the pipeline is closed, the log WAL cannot
 * write, too many records wait for their fsync or the log WAL is too far
 * ahead of its loader (429 / 503 with a retry hint, never a silent drop).
 * The last four are checked again once the body is in, before it is
 * decoded; a request resolves only after its stored records are fsynced.
 */
export class LogPipeline implements LogSink {
  private inFlight = 0;
  private closed = false;
  readonly metrics: LogMetrics;
  private readonly admission: Admission;

  constructor(private readonly sink: DurableSink, private readonly opts: LogPipelineOptions, metrics?: LogMetrics) {
    this.metrics = metrics ?? defineLogMetrics(new Registry());
    this.admission = new Admission(
      {
        closed: () => (this.closed ? 'Lookspan is shutting down' : null),
        failure: () => sink.failure(),
        queuedSpans: () => this.inFlight,
        unloadedBytes: () => sink.unloadedBytes(),
      },
      {
        maxConcurrentRequests: opts.maxConcurrentRequests ?? Infinity, queueMaxSpans: opts.queueMaxRecords,
        walMaxUnloadedBytes: opts.walMaxUnloadedBytes, retryAfterSeconds: opts.retryAfterSeconds, items: 'records', signal: 'log ',
      },
      (receiver, reason) => this.metrics.refused.inc({ receiver, reason }),
    );
  }

  /** Admits one logs request before its body is read, or throws the refusal (429 / 503 with a retry hint). */
  admit(receiver: string, group: ReceiverGroup): AdmissionTicket {
    return this.admission.admit(receiver, group);
  }

  /** Logs requests of a receiver group admitted and not yet answered. */
  inProgress(group: ReceiverGroup): number {
    return this.admission.inProgress(group);
  }

  /** Records admitted and not yet fsynced. */
  get queuedRecords(): number {
    return this.inFlight;
  }

  /** Stops admitting; requests already admitted still complete. */
  close(): void {
    this.closed = true;
  }

  /** Ingests one OTLP logs request body (gRPC, HTTP/protobuf, HTTP/JSON), already decompressed. */
  async submitOtlpLogs(body: Buffer, encoding: OtlpEncoding, receiver: string, target?: { project: string }): Promise<LogIngestResult> {
    // Again once the body is in (and for callers that did not ask `admit`): what the request waited for may have filled.
    this.admission.recheck(receiver);
    const project = target?.project ?? this.opts.defaultProjectId;
    const n = normalizeLogs(body, encoding, {
      limits: this.opts.limits, semconv: this.opts.semconv, project,
      recordLimits: this.opts.recordLimits, storeOtherEvents: this.opts.storeOtherEvents, nowUs: Date.now() * 1000,
      redact: this.opts.redactPayloads?.(project) ?? false,
    });
    const ignored = Object.values(n.ignored).reduce((a, b) => a + b, 0);
    this.metrics.received.inc({ receiver }, n.stored.length + ignored + n.rejected);
    for (const [reason, count] of Object.entries(n.ignored)) this.metrics.ignored.inc({ receiver, reason }, count);
    if (n.rejected > 0) this.metrics.rejected.inc({ receiver, reason: 'invalid' }, n.rejected);
    const message = n.rejected > 0 ? `${n.rejected} log record(s) rejected: ${n.rejectMessages.join('; ')}` : '';
    const stored = n.stored.length;
    if (stored > 0) {
      // A request decoded while others filled the queue still waits its turn by the same bound.
      if (this.inFlight > 0 && this.inFlight + stored > this.opts.queueMaxRecords) {
        this.metrics.rejected.inc({ receiver, reason: 'queue_full' }, stored);
        throw overloaded(`log ingest queue full (${this.inFlight} records waiting for fsync, limit ${this.opts.queueMaxRecords})`, this.opts.retryAfterSeconds);
      }
      this.inFlight += stored;
      try {
        await this.sink.append(n.wal, stored);
      } catch (err) {
        this.metrics.rejected.inc({ receiver, reason: 'unavailable' }, stored);
        throw unavailable(`log store unavailable: ${(err as Error).message}`, this.opts.retryAfterSeconds);
      } finally {
        this.inFlight -= stored;
      }
      for (const kind of n.stored) this.metrics.stored.inc({ receiver, kind });
    }
    return { stored, ignored, rejected: n.rejected, message };
  }
}
