import type { Attributes, SpanEventRecord, SpanLinkRecord } from './span-record.js';

/**
 * One OTLP span with its resource and instrumentation scope, as the decoders
 * hand it to semconv: ids already lowercase hex, times in microseconds,
 * attributes flattened from KeyValue lists into plain objects.
 */
export interface OtlpSpanInput {
  resource: Attributes;
  scope: { name: string; version: string; attributes: Attributes };
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP SpanKind number (0 unspecified … 5 consumer). */
  kind: number;
  startUs: number;
  endUs: number;
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  /** OTLP Status: code 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}
