import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { LiveHub } from '../../live/hub.js';
import { parseLastEventId } from '../../live/hub.js';
import { LiveFilterInput } from '../../live/filter.js';
import type { SseFormat } from '../../live/sse.js';

/** Query parameters of both SSE routes: the live filter (docs/live.md) plus `lastEventId` for clients that cannot set the header. */
export const LiveStreamQuery = LiveFilterInput.extend({ lastEventId: z.string().regex(/^\d+$/).optional() });

const usage = z.object({
  inputTokens: z.number().nullable(), outputTokens: z.number().nullable(), cacheReadTokens: z.number().nullable(),
  cacheWriteTokens: z.number().nullable(), reasoningTokens: z.number().nullable(), costUsd: z.number().nullable(),
});
const s = z.string();
const ns = z.string().nullable();

/** `span.ingested` data (/api/stream and the WebSocket). */
export const SpanIngestedData = z.object({
  projectId: s, traceId: s, spanId: s, parentSpanId: ns, name: s, type: s, status: s, statusMessage: ns, errorType: ns,
  startedAt: s, endedAt: s, durationMs: z.number(), serviceName: ns, framework: ns, sessionId: ns, agentName: ns,
  provider: ns, model: ns, usage, toolName: ns, serverName: ns, mcpMethod: ns,
});

/** `trace.updated` data: what one acknowledged batch added to a trace. */
export const TraceUpdatedData = z.object({
  projectId: s, traceId: s, spans: z.number(), errors: z.number(), costUsd: z.number().nullable(),
  inputTokens: z.number(), outputTokens: z.number(), status: z.enum(['ok', 'error']),
  sessionId: ns, agentName: ns, serviceName: ns, startedAt: s, endedAt: s,
});

/** `span:new` data (/api/live/events): the ToolCallSpan shape of langsight-api.txt. */
export const SpanNewData = z.object({
  span_id: s, trace_id: s, parent_span_id: ns, span_type: s, project_id: s, server_name: ns, tool_name: ns,
  session_id: ns, agent_name: ns, started_at: s, ended_at: s, latency_ms: z.number(), status: z.enum(['success', 'error']),
  error: ns, model_id: ns, input_tokens: z.number().nullable(), output_tokens: z.number().nullable(), cost_usd: z.number().nullable(),
});

/**
 * `health:check` data (/api/live/events): `passive` when an MCP server's
 * health seen in tool-call spans changed (up or down), `active` when a
 * health check of a configured server completed (src/mcp; with its latency
 * and error).
 */
export const HealthCheckData = z.object({
  project_id: s, server_name: s, status: z.enum(['up', 'degraded', 'down']), checked_at: s,
  consecutive_failures: z.number(), source: z.enum(['passive', 'active']),
  latency_ms: z.number().nullable().optional().describe('active checks only'),
  error: ns.optional().describe('active checks only'),
});

/**
 * GET /api/stream (lookspan-http-api.txt: span.ingested, trace.updated,
 * alert.triggered) and GET /api/live/events (langsight-api.txt: span:new,
 * health:check). Both are the same SSE stream of one broadcaster in two
 * dialects, with Last-Event-ID resume; the WebSocket at /api/live is
 * attached to the HTTP server's `upgrade` event by the hub.
 */
export function mountLive(router: Router, hub: LiveHub): void {
  router.get('/api/stream', (ctx) => open(ctx, hub, 'lookspan'));
  router.get('/api/live/events', (ctx) => open(ctx, hub, 'langsight'));
}

async function open(ctx: Context, hub: LiveHub, format: SseFormat): Promise<void> {
  // `ticket` is a credential the access layer has already checked, not part of the filter.
  const { lastEventId: fromQuery, ticket: _ticket, ...filter } = ctx.query as Record<string, unknown>;
  const lastEventId = parseLastEventId(ctx.get('last-event-id') || fromQuery);
  // Set before the stream takes the response over, so the request is recorded as the 200 it is.
  ctx.status = 200;
  await hub.openSse(ctx.req, ctx.res, format, filter, lastEventId);
  ctx.respond = false;
}
