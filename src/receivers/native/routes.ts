import type Router from '@koa/router';
import type { Context } from 'koa';
import type { IngestProject, SpanSink } from '../sink.js';
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

/** A bound credential writes into its own project only: a span that names another is a 403, not a silent move. */
function checkProject(target: IngestProject | undefined, named: Array<string | null | undefined>): void {
  if (!target?.bound) return;
  const other = named.find((p) => p !== undefined && p !== null && p !== target.project);
  if (other !== undefined) {
    throw new LookspanError('forbidden', `this credential is bound to project "${target.project}" and cannot write spans into project "${other}"`);
  }
}

const targetOf = (ctx: Context) => ctx.state.ingestProject as IngestProject | undefined;

/**
 * Mounts the native JSON ingest routes: the receiver validates field by
 * field; mapping to the normalized span is semconv's (src/semconv/native/).
 * Errors propagate to the API's error middleware.
 */
export function mountNativeIngest(router: Router, deps: NativeDeps): void {
  /** Admission before the body is read (a refusal discards it unread); the slot is held until the answer. */
  const admitted = (receiver: 'native_ingest' | 'native_tool_spans', handle: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    requireJson(ctx.get('content-type'));
    let ticket;
    try {
      ticket = deps.pipeline.admit(receiver, 'native');
    } catch (err) {
      ctx.req.resume();
      throw err;
    }
    try {
      await handle(ctx);
    } finally {
      ticket.release();
    }
  };
  router.post('/api/ingest', admitted('native_ingest', async (ctx) => {
    const payload = parseIngestPayload(parseJsonBody(await readBody(ctx.req, deps.limits), deps.limits.maxJsonDepth));
    checkProject(targetOf(ctx), [payload.projectId]);
    const result = await deps.pipeline.submitIngestPayload(payload, 'native_ingest', targetOf(ctx));
    ctx.body = { accepted: result.accepted, rejected: result.rejected, duplicates: result.duplicates ?? 0 };
  }));
  router.post('/api/traces/spans', admitted('native_tool_spans', async (ctx) => {
    const spans = parseToolCallSpans(parseJsonBody(await readBody(ctx.req, deps.limits), deps.limits.maxJsonDepth));
    checkProject(targetOf(ctx), spans.map((s) => s.project_id));
    const result = await deps.pipeline.submitToolCallSpans(spans, 'native_tool_spans', targetOf(ctx));
    ctx.status = 202;
    ctx.body = { accepted: result.accepted, rejected: result.rejected, duplicates: result.duplicates ?? 0 };
  }));
}
