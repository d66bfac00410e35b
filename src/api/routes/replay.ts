import type Router from '@koa/router';
import { z } from 'zod';
import { accessOf } from '../../access/context.js';
import type { Evals } from '../../evals/index.js';
import { PROVIDER_NAMES } from '../../evals/providers/types.js';
import { replayTrace } from '../../evals/replay/replay.js';
import { readJson } from '../json-body.js';

/** POST /api/traces/:traceId/replay (lookspan-http-api.txt: {model?, provider?, spanId?}); keys and base URLs come from the server's config only. */
export const ReplayBody = z.strictObject({
  model: z.string().trim().min(1).max(256).optional().describe('the model to replay against (default: the captured one)'),
  provider: z.enum(PROVIDER_NAMES).optional().describe('default: what the model name implies, else the captured span\'s provider, else the first configured'),
  spanId: z.string().min(1).max(128).optional().describe('the model call to replay (default: the trace\'s first one with a captured prompt)'),
});

const ToolCallSchema = z.object({ id: z.string(), name: z.string(), arguments: z.string() });
const FailureSchema = z.looseObject({ kind: z.string(), message: z.string() }).describe('what failed: kind not_configured, auth, rate_limited, server, timeout, connection, bad_request, aborted, invalid_answer, invalid_input, internal or interrupted; provider, status, retryAfterSeconds and attempts when a provider answered');
export { FailureSchema, ToolCallSchema };
const Usage = z.object({ inputTokens: z.number().nullable(), outputTokens: z.number().nullable(), costUsd: z.number().nullable() });
export { Usage as UsageSchema };

export const ReplaySchema = z.object({
  id: z.string(),
  traceId: z.string(),
  spanId: z.string(),
  convention: z.string().describe('the convention the span was captured in: otel-genai, openinference, openllmetry, vercel-ai, langfuse or native'),
  status: z.enum(['ok', 'error']),
  provider: z.string(),
  model: z.string(),
  originalModel: z.string().nullable(),
  request: z.looseObject({
    system: z.string().nullable(),
    messages: z.array(z.looseObject({ role: z.string() })),
    tools: z.array(z.looseObject({ name: z.string() })),
    parameters: z.looseObject({}),
    stream: z.boolean(),
    dropped: z.array(z.string()).describe('captured parameters the provider has no equivalent for'),
    skipped: z.array(z.string()).describe('captured parts with no text form (images, audio, reasoning), not sent'),
  }).describe('the rebuilt request as sent'),
  output: z.object({ text: z.string().nullable(), toolCalls: z.array(ToolCallSchema), finishReason: z.string().nullable() }).nullable(),
  original: z.looseObject({ model: z.string().nullable(), text: z.string().nullable(), toolCalls: z.array(ToolCallSchema), latencyMs: z.number() }),
  diff: z.object({
    identical: z.boolean(), similarity: z.number(), sameToolCalls: z.boolean(), truncated: z.boolean(),
    changes: z.array(z.object({ op: z.enum(['=', '-', '+']), text: z.string() })),
  }).nullable().describe('word-level diff of the replay\'s answer against the captured one'),
  usage: Usage,
  latencyMs: z.number().nullable(),
  error: FailureSchema.nullable(),
  replayTraceId: z.string().nullable().describe('the replay\'s own trace (session "replay")'),
  replaySpanId: z.string().nullable(),
  createdAt: z.string(),
});

export const ReplayListResponse = z.object({ replays: z.array(ReplaySchema) });

/** Replays of a trace's captured model calls against a configured provider. */
export function mountReplay(router: Router, evals: Evals): void {
  router.post('/api/traces/:traceId/replay', async (ctx) => {
    const body = await readJson(ctx, ReplayBody, 'replay request');
    const replay = await replayTrace(evals, accessOf(ctx).project, ctx.params.traceId, body);
    ctx.status = 201;
    ctx.body = replay satisfies z.input<typeof ReplaySchema>;
  });

  router.get('/api/traces/:traceId/replays', async (ctx) => {
    ctx.body = { replays: await evals.replays.ofTrace(accessOf(ctx).project, ctx.params.traceId) } satisfies z.input<typeof ReplayListResponse>;
  });
}
