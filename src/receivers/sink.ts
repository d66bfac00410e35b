import type { IngestPayload } from './native/ingest-payload.js';
import type { ToolCallSpan } from './native/tool-call-spans.js';
import type { DecodedExport } from './otlp/decode.js';
import type { AdmissionTicket, ReceiverGroup } from '../pipeline/admission.js';

/** What one request's ingest came to: spans accepted, and those refused individually. */
export interface IngestResult {
  accepted: number;
  rejected: number;
  /** Native routes: spans repeated within the request, stored once and not counted as accepted. */
  duplicates?: number;
  /** Why spans were rejected (OTLP partial_success.error_message). */
  message: string;
}

/**
 * The project a request's spans land in, decided by access control (which
 * puts it in Koa's `ctx.state.ingestProject`, or hands it to the gRPC
 * handler); `bound`: the credential allows no other project.
 */
export interface IngestProject {
  project: string;
  bound: boolean;
}

/** How an OTLP body is encoded on the wire. */
export type OtlpEncoding = 'protobuf' | 'json';

/**
 * What receivers hand requests to (the pipeline, wired in the composition
 * root), Collector-style: a receiver first asks `admit` (before it reads
 * or decodes anything; a refusal throws a classified error), then decodes
 * its own protocol and submits the spans, and releases its ticket once it
 * has answered. Each submit resolves once the spans are durable, or rejects
 * with a classified error the receiver maps to its protocol.
 */
export interface SpanSink {
  admit(receiver: string, group: ReceiverGroup): AdmissionTicket;
  submitOtlp(decoded: DecodedExport, receiver: string, target?: IngestProject): Promise<IngestResult>;
  submitIngestPayload(payload: IngestPayload, receiver: string, target?: IngestProject): Promise<IngestResult>;
  submitToolCallSpans(spans: ToolCallSpan[], receiver: string, target?: IngestProject): Promise<IngestResult>;
}
