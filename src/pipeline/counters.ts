import { Histogram } from './histogram.js';
import { SpanLimitCounters } from './span-limits.js';

/** Ingest counters by receiver; every refused span is counted with its reason. */
export class IngestCounters {
  readonly receivedByReceiver = new Map<string, number>();
  readonly acceptedByReceiver = new Map<string, number>();
  /** key: `${receiver}\u0000${reason}` */
  readonly rejectedByReason = new Map<string, number>();
  /** Ack latency (fsync wait), seconds. */
  readonly ack = new Histogram([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  /** Items cut from stored spans by the span limits (`limits.maxAttributesPerSpan`, …), by limit. */
  readonly spanLimits = new SpanLimitCounters();

  received(receiver: string, n: number): void {
    this.receivedByReceiver.set(receiver, (this.receivedByReceiver.get(receiver) ?? 0) + n);
  }

  accepted(receiver: string, n: number, ackSeconds: number): void {
    this.acceptedByReceiver.set(receiver, (this.acceptedByReceiver.get(receiver) ?? 0) + n);
    this.ack.observe(ackSeconds);
  }

  rejected(receiver: string, reason: string, n: number): void {
    const key = `${receiver}\u0000${reason}`;
    this.rejectedByReason.set(key, (this.rejectedByReason.get(key) ?? 0) + n);
  }

  total(map: Map<string, number>): number {
    let t = 0;
    for (const v of map.values()) t += v;
    return t;
  }
}
