import type Router from '@koa/router';
import { z } from 'zod';
import type { Database } from '../../store/index.js';
import { HEALTH_TAGS } from '../../analysis/health-tags.js';
import { lineage } from '../../analysis/lineage.js';
import { getSession, listSessions, sessionSpanRows, type SessionSummary } from '../../analysis/sessions.js';
import { nestTree, spanTree } from '../../analysis/span-tree.js';
import { TOOL_CALL_COLUMNS, toToolCallSpan } from '../../analysis/spans.js';
import { isoUs, resolveWindow } from '../../analysis/window.js';
import { notFound } from '../../errors.js';
import { enumParam, intParam, parseQuery, textParam, timeParam } from '../params.js';
import { DEFAULT_PROJECT, ToolCallSpanSchema } from './traces.js';

const first = <T>(...xs: (T | undefined)[]) => xs.find((x) => x !== undefined);
const HOUR_US = 3_600_000_000;

/** GET /api/agents/sessions (langsight-api.txt; snake_case). */
export const AgentSessionListQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
  agent_name: textParam('sessions in which this agent has a span'),
  health_tag: enumParam(HEALTH_TAGS, 'health tag (docs/analysis.md)'),
  hours: intParam(0, 8760, 0, 'only sessions that started in the last N hours (0: no bound)'),
  from: timeParam('earliest session start (inclusive)'),
  to: timeParam('latest session start (inclusive)'),
  limit: intParam(1, 1000, 50, 'sessions returned'),
  offset: intParam(0, 1_000_000, 0, 'sessions skipped'),
});

/** The session object of langsight-api.txt, with the totals Lookspan adds. */
export const AgentSessionSchema = z.object({
  session_id: z.string(),
  agent_name: z.string().nullable().describe('the agent of the session\'s first trace'),
  first_call_at: z.string(),
  last_call_at: z.string(),
  duration_ms: z.number(),
  tool_calls: z.number().int(),
  failed_calls: z.number().int(),
  servers_used: z.array(z.string()),
  health_tag: z.enum(HEALTH_TAGS),
  agents_used: z.array(z.string()),
  trace_count: z.number().int(),
  span_count: z.number().int(),
  error_count: z.number().int(),
  total_input_tokens: z.number().int(),
  total_output_tokens: z.number().int(),
  cost_usd: z.number().nullable(),
});

export const AgentSessionListResponse = z.array(AgentSessionSchema).describe('newest first; the X-Has-More header says whether more follow');

export const AgentSessionDetailQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
  limit: intParam(1, 10_000, 1000, 'spans returned'),
  offset: intParam(0, 10_000_000, 0, 'spans skipped'),
});

const SpanNode: z.ZodType<unknown> = z.lazy(() => ToolCallSpanSchema.extend({ children: z.array(SpanNode) }));

export const AgentSessionDetailResponse = AgentSessionSchema.extend({
  spans_flat: z.array(ToolCallSpanSchema).describe('the session\'s spans ordered by start; parent_span_id gives the tree'),
  root_spans: z.array(SpanNode).describe('the same spans nested: spans whose parent is not in the list are roots, each with its children'),
  total_spans: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
});

/** GET /api/agents/lineage (langsight-api.txt; snake_case). */
export const LineageQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
  hours: intParam(1, 8760, 168, 'look-back window in hours, ending now'),
  from: timeParam('window start (instead of hours)'),
  to: timeParam('window end (default now)'),
});

const LineageMetricsSchema = z.object({
  call_count: z.number().int().describe('calls (calls edges, nodes) or handoffs (handoff edges)'),
  error_count: z.number().int(),
  avg_latency_ms: z.number().nullable(),
  p95_latency_ms: z.number().nullable(),
  session_count: z.number().int(),
});

export const LineageResponse = z.object({
  window_hours: z.number(),
  from: z.string(),
  to: z.string(),
  nodes: z.array(z.object({ id: z.string(), type: z.enum(['agent', 'server']), label: z.string(), metrics: LineageMetricsSchema })),
  edges: z.array(z.object({ source: z.string(), target: z.string(), type: z.enum(['calls', 'handoff']), metrics: LineageMetricsSchema })),
  truncated: z.boolean().describe('more nodes or edges than returned (the busiest are kept)'),
});

/** A session in langsight's shape. */
export function sessionObject(s: SessionSummary): z.input<typeof AgentSessionSchema> {
  return {
    session_id: s.id,
    agent_name: s.rootAgent,
    first_call_at: s.startedAt,
    last_call_at: s.endedAt,
    duration_ms: s.durationMs,
    tool_calls: s.toolCallCount,
    failed_calls: s.failedToolCalls,
    servers_used: s.servers,
    health_tag: s.healthTag,
    agents_used: s.agents,
    trace_count: s.traceCount,
    span_count: s.spanCount,
    error_count: s.errorCount,
    total_input_tokens: s.inputTokens,
    total_output_tokens: s.outputTokens,
    cost_usd: s.costUsd,
  };
}

/** The agent routes of langsight-api.txt: sessions with their span tree, and the lineage graph (docs/analysis.md). */
export function mountAgents(router: Router, db: Database): void {
  router.get('/api/agents/sessions', async (ctx) => {
    const q = parseQuery(ctx, AgentSessionListQuery);
    const fromUs = first(q.from, q.hours > 0 ? Date.now() * 1000 - q.hours * HOUR_US : undefined);
    const { sessions, hasMore } = await db.withSnapshot((c) => listSessions(c, {
      projectId: first(q.project_id, q.projectId) ?? DEFAULT_PROJECT,
      agentName: q.agent_name,
      healthTag: q.health_tag,
      fromUs,
      toUs: q.to,
      limit: q.limit,
      offset: q.offset,
    }));
    ctx.set('X-Has-More', String(hasMore));
    ctx.body = sessions.map(sessionObject) satisfies z.input<typeof AgentSessionListResponse>;
  });

  router.get('/api/agents/sessions/:session_id', async (ctx) => {
    const q = parseQuery(ctx, AgentSessionDetailQuery);
    const projectId = first(q.project_id, q.projectId) ?? DEFAULT_PROJECT;
    const id = ctx.params.session_id;
    const body = await db.withSnapshot(async (c) => {
      const s = await getSession(c, projectId, id, { timeline: false });
      if (s === null) return null;
      const page = await sessionSpanRows(c, projectId, s.ref, TOOL_CALL_COLUMNS, q.limit, q.offset);
      const spans = page.rows.map(toToolCallSpan);
      // Span ids are unique within a trace only: the tree is keyed by both.
      const tree = spanTree(spans.map((x) => ({ id: `${x.trace_id}/${x.span_id}`, parentId: x.parent_span_id === null ? null : `${x.trace_id}/${x.parent_span_id}` })));
      return {
        ...sessionObject(s.summary),
        spans_flat: spans,
        root_spans: nestTree(spans, tree.parentIndex),
        total_spans: s.summary.spanCount,
        limit: q.limit,
        offset: q.offset,
        has_more: page.hasMore,
      } satisfies z.input<typeof AgentSessionDetailResponse>;
    });
    if (body === null) throw notFound(`session ${id} not found`);
    ctx.body = body;
  });

  router.get('/api/agents/lineage', async (ctx) => {
    const q = parseQuery(ctx, LineageQuery);
    const w = resolveWindow({ fromUs: q.from, toUs: q.to, hours: q.hours }, Date.now() * 1000);
    const projectId = first(q.project_id, q.projectId) ?? DEFAULT_PROJECT;
    const g = await db.withSnapshot((c) => lineage(c, { projectId, fromUs: w.fromUs, toUs: w.toUs }));
    ctx.body = {
      window_hours: Math.round(((w.toUs - w.fromUs) / HOUR_US) * 1000) / 1000,
      from: isoUs(w.fromUs),
      to: isoUs(w.toUs),
      ...g,
    } satisfies z.input<typeof LineageResponse>;
  });
}
