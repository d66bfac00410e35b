import type Router from '@koa/router';
import type { Context } from 'koa';
import type { IngestProject, SpanSink } from './sink.js';
import { classify, errorBody, LookspanError, publicMessage } from '../errors.js';
import { readBody, type BodyLimits } from './body.js';
import { encodeExportResponse, encodeStatus } from './otlp/proto-root.js';
import { decodeJson, decodeProtobuf, type DecodeLimits } from './otlp/decode.js';
import type { AdmissionTicket } from '../pipeline/admission.js';

export interface OtlpHttpDeps {
  pipeline: SpanSink;
  limits: BodyLimits & DecodeLimits;
}

/** OTLP/HTTP paths: the standard one and the langsight-compatible alias. */
export const OTLP_HTTP_PATHS = ['/v1/traces', '/api/traces/otlp'] as const;

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf']);

type Encoding = 'protobuf' | 'json';

/** The OTLP encoding a Content-Type names (shared with the logs receiver); null when it names none. */
export function requestEncoding(ctx: Context): Encoding | null {
  const type = String(ctx.get('content-type')).split(';')[0].trim().toLowerCase();
  if (PROTOBUF_TYPES.has(type)) return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
}

/** Errors in the request's own encoding: google.rpc.Status (protobuf or JSON), per the OTLP/HTTP spec. */
export function respondError(ctx: Context, encoding: Encoding, err: LookspanError): void {
  ctx.status = err.http;
  const retry = err.details.retryAfterSeconds;
  if (retry) ctx.set('Retry-After', String(retry));
  if (encoding === 'protobuf') {
    ctx.type = 'application/x-protobuf';
    ctx.body = encodeStatus(err.grpc, publicMessage(err), retry);
  } else {
    ctx.type = 'application/json';
    ctx.body = { code: err.grpc, message: publicMessage(err), ...errorBody(err) };
  }
}

/** What differs between the OTLP/HTTP signals: how a body is submitted and how its partial success is written. */
export interface OtlpSignal {
  /** Admits the request before its body is read (throws the refusal); absent: no admission of its own. */
  admit?(receiver: 'otlp_http_protobuf' | 'otlp_http_json'): AdmissionTicket;
  submit(body: Buffer, encoding: Encoding, receiver: 'otlp_http_protobuf' | 'otlp_http_json', target: IngestProject | undefined): Promise<{ rejected: number; message: string }>;
  /** The Export*ServiceResponse in protobuf. */
  encodeResponse(rejected: number, message: string): Uint8Array;
  /** The partial_success count field in the proto3 JSON mapping (`rejectedSpans`, `rejectedLogRecords`). */
  rejectedField: string;
}

/**
 * One OTLP/HTTP export (traces or logs): protobuf or JSON by Content-Type
 * (415 otherwise), the body within its limits, partial success in the
 * request's encoding, errors as google.rpc.Status with Retry-After.
 */
export async function otlpHttpExport(ctx: Context, limits: BodyLimits, signal: OtlpSignal): Promise<void> {
  const encoding = requestEncoding(ctx);
  if (!encoding) {
    ctx.req.resume();
    respondError(ctx, 'json', new LookspanError(
      'unsupported_media_type',
      `unsupported Content-Type "${ctx.get('content-type')}"; use application/x-protobuf or application/json`,
    ));
    return;
  }
  const receiver = encoding === 'protobuf' ? 'otlp_http_protobuf' : 'otlp_http_json';
  let ticket: AdmissionTicket | undefined;
  try {
    try {
      ticket = signal.admit?.(receiver);
    } catch (err) {
      // Refused before reading: the body is discarded unread so the connection stays usable.
      ctx.req.resume();
      throw err;
    }
    const body = await readBody(ctx.req, limits);
    const target = ctx.state.ingestProject as IngestProject | undefined;
    const result = await signal.submit(body, encoding, receiver, target);
    ctx.status = 200;
    if (encoding === 'protobuf') {
      ctx.type = 'application/x-protobuf';
      ctx.body = signal.encodeResponse(result.rejected, result.message);
    } else {
      ctx.type = 'application/json';
      // proto3 JSON mapping: int64 as a decimal string.
      ctx.body = result.rejected > 0 || result.message
        ? { partialSuccess: { [signal.rejectedField]: String(result.rejected), errorMessage: result.message } }
        : {};
    }
  } catch (err) {
    const e = classify(err);
    if (e.errorClass === 'internal') ctx.app.emit('error', err, ctx);
    respondError(ctx, encoding, e);
  } finally {
    ticket?.release();
  }
}

/** Mounts the OTLP/HTTP trace receiver. */
export function mountOtlpHttp(router: Router, deps: OtlpHttpDeps): void {
  const decodeLimits: DecodeLimits = { maxAttributeDepth: deps.limits.maxAttributeDepth };
  const traces: OtlpSignal = {
    admit: (receiver) => deps.pipeline.admit(receiver, 'otlp_http'),
    submit: (body, encoding, receiver, target) => deps.pipeline.submitOtlp(
      encoding === 'protobuf' ? decodeProtobuf(body, decodeLimits) : decodeJson(body, decodeLimits), receiver, target),
    encodeResponse: encodeExportResponse,
    rejectedField: 'rejectedSpans',
  };
  for (const path of OTLP_HTTP_PATHS) router.post(path, (ctx) => otlpHttpExport(ctx, deps.limits, traces));
}

