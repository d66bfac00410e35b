import { Registry } from 'prom-client';
import { defineIngestMetrics, type IngestMetrics } from '../metrics/registry.js';
import { SpanLimitCounters } from './span-limits.js';

/**
 * Ingest counts by receiver, kept in the server's Prometheus metrics
 * (src/metrics): every decoded span is counted as received, then as accepted
 * or as rejected with its reason. Without metrics of its own (a pipeline
 * built outside `startLookspan`) it counts into a private registry.
 */
export class IngestCounters {
  /** Spans accepted / rejected so far, all receivers (for /api/health). */
  acceptedSpans = 0;
  rejectedSpans = 0;
  /** Items cut from stored spans by the span limits (`limits.maxAttributesPerSpan`, …), by limit. */
  readonly spanLimits = new SpanLimitCounters();

  constructor(private readonly m: IngestMetrics = defineIngestMetrics(new Registry())) {}

  received(receiver: string, n: number): void {
    this.m.received.inc({ receiver }, n);
  }

  accepted(receiver: string, n: number, ackSeconds: number): void {
    this.acceptedSpans += n;
    this.m.accepted.inc({ receiver }, n);
    this.m.ingested.inc(n);
    this.m.ackLatency.observe(ackSeconds);
  }

  /** A request refused before it was read or decoded (admission), by reason. */
  refused(receiver: string, reason: string): void {
    this.m.refused.inc({ receiver, reason });
  }

  rejected(receiver: string, reason: string, n: number): void {
    this.rejectedSpans += n;
    this.m.rejected.inc({ receiver, reason }, n);
  }
}
