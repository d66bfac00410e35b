import type Router from '@koa/router';
import type { SpanSink } from '../sink.js';
import { LookspanError } from '../../errors.js';
import { readBody, type BodyLimits } from '../body.js';
import { parseIngestPayload } from './ingest-payload.js';
import { parseToolCallSpans } from './tool-call-spans.js';
import { parseJsonBody } from './validate.js';

export interface NativeDeps {
  pipeline: SpanSink;
  /** Body size limits, plus `maxJsonDepth` (limits.maxJsonDepth; 64 when absent) for the whole JSON body. */
  limits: BodyLimits & { maxJsonDepth?: number };
}

function requireJson(type: string): void {
  if (type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
}

/**
 * Mounts the native JSON ingest routes: the receiver validates field by
 * field; mapping to the normalized span is semconv's (src/semconv/native/).
 * Errors propagate to the API's error middleware.
 */
export function mountNativeIngest(router: Router, deps: NativeDeps): void {
  router.post('/api/ingest', async (ctx) => {
    requireJson(ctx.get('content-type'));
    const payload = parseIngestPayload(parseJsonBody(await readBody(ctx.req, deps.limits), deps.limits.maxJsonDepth));
    const result = await deps.pipeline.submitIngestPayload(payload, 'native_ingest');
    ctx.body = { accepted: result.accepted, rejected: result.rejected, duplicates: result.duplicates ?? 0 };
  });
  router.post('/api/traces/spans', async (ctx) => {
    requireJson(ctx.get('content-type'));
    const spans = parseToolCallSpans(parseJsonBody(await readBody(ctx.req, deps.limits), deps.limits.maxJsonDepth));
    const result = await deps.pipeline.submitToolCallSpans(spans, 'native_tool_spans');
    ctx.status = 202;
    ctx.body = { accepted: result.accepted, rejected: result.rejected, duplicates: result.duplicates ?? 0 };
  });
}
