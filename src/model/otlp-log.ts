import type { Attributes, AttrValue } from './span-record.js';

/**
 * One OTLP log record with its resource and instrumentation scope, as the
 * logs decoders hand it to semconv: ids lowercase hex (null when the record
 * carries no trace context), times in microseconds (0 when not set),
 * attributes flattened from KeyValue lists into plain objects.
 */
export interface OtlpLogInput {
  resource: Attributes;
  scope: { name: string; version: string; attributes: Attributes };
  /** `time_unix_nano`: when the event happened (0: unknown). */
  timeUs: number;
  /** `observed_time_unix_nano`: when the SDK or collector saw it (0: not set). */
  observedUs: number;
  /** OTLP SeverityNumber 0–24. */
  severityNumber: number;
  severityText: string;
  /** The body AnyValue (null when absent). */
  body: AttrValue;
  attributes: Attributes;
  traceId: string | null;
  spanId: string | null;
  /** The `event_name` field (OTLP 1.5+); '' when not set. */
  eventName: string;
  /** Position of the record in its export request, counted from 0 over every ResourceLogs and ScopeLogs. */
  position: number;
}
