import type Router from '@koa/router';
import type { Context } from 'koa';
import type { LogSink } from './otlp-logs/sink.js';
import { classify, LookspanError } from '../errors.js';
import { readBody, type BodyLimits } from './body.js';
import { encodeLogsExportResponse } from './otlp/proto-root.js';
import { requestEncoding, respondError } from './otlp-http.js';

export interface OtlpLogsHttpDeps {
  pipeline: LogSink;
  limits: BodyLimits;
}

/** The OTLP/HTTP logs path (the OTLP exporters' default `/v1/logs`). */
export const OTLP_LOGS_HTTP_PATH = '/v1/logs';

/**
 * POST /v1/logs, with the trace receiver's discipline: protobuf or JSON by
 * Content-Type (415 otherwise), gzip/deflate within the body limits, errors
 * as google.rpc.Status in the request's encoding with Retry-After on 429 and
 * 503, partial_success naming the refused records.
 */
async function exportLogs(ctx: Context, deps: OtlpLogsHttpDeps): Promise<void> {
  const encoding = requestEncoding(ctx);
  if (!encoding) {
    ctx.req.resume();
    respondError(ctx, 'json', new LookspanError(
      'unsupported_media_type',
      `unsupported Content-Type "${ctx.get('content-type')}"; use application/x-protobuf or application/json`,
    ));
    return;
  }
  try {
    const body = await readBody(ctx.req, deps.limits);
    const target = ctx.state.ingestProject as { project: string } | undefined;
    const result = await deps.pipeline.submitOtlpLogs(body, encoding, encoding === 'protobuf' ? 'otlp_http_protobuf' : 'otlp_http_json', target);
    ctx.status = 200;
    if (encoding === 'protobuf') {
      ctx.type = 'application/x-protobuf';
      ctx.body = encodeLogsExportResponse(result.rejected, result.message);
    } else {
      ctx.type = 'application/json';
      // proto3 JSON mapping: int64 as a decimal string.
      ctx.body = result.rejected > 0 || result.message
        ? { partialSuccess: { rejectedLogRecords: String(result.rejected), errorMessage: result.message } }
        : {};
    }
  } catch (err) {
    const e = classify(err);
    if (e.errorClass === 'internal') ctx.app.emit('error', err, ctx);
    respondError(ctx, encoding, e);
  }
}

/** Mounts the OTLP/HTTP logs receiver. */
export function mountOtlpLogsHttp(router: Router, deps: OtlpLogsHttpDeps): void {
  router.post(OTLP_LOGS_HTTP_PATH, (ctx) => exportLogs(ctx, deps));
}
