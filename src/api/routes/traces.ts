import type Router from '@koa/router';
import { z } from 'zod';
import type { Database } from '../../store/index.js';
import { getTrace, listTraces, TRACE_SORT_KEYS, type TraceSortKey } from '../../analysis/traces.js';
import { listSpans, TOOL_CALL_STATUSES } from '../../analysis/spans.js';
import { notFound } from '../../errors.js';
import { enumParam, flagParam, intParam, parseQuery, textParam, timeParam } from '../params.js';

export const DEFAULT_PROJECT = 'default';

const first = <T>(...xs: (T | undefined)[]) => xs.find((x) => x !== undefined);
const SORT_KEYS = Object.keys(TRACE_SORT_KEYS) as [TraceSortKey, ...TraceSortKey[]];

/** GET /api/traces (lookspan-http-api.txt; camelCase, snake_case aliases accepted). */
export const TraceListQuery = z.object({
  projectId: textParam('project (default: default)'),
  project_id: textParam('alias of projectId'),
  framework: textParam('framework of the trace (langgraph, openai-agents, langsight, …)'),
  status: enumParam(['ok', 'error', 'cancelled', 'unset'], 'trace status'),
  sessionId: textParam('session id'),
  session_id: textParam('alias of sessionId'),
  service: textParam('service.name of the trace'),
  serviceName: textParam('alias of service'),
  model: textParam('a model any span of the trace used'),
  userId: textParam('user id'),
  user_id: textParam('alias of userId'),
  agent: textParam('traces with a span of this agent'),
  agentName: textParam('alias of agent'),
  agent_name: textParam('alias of agent'),
  server: textParam('traces with a span calling this MCP server'),
  serverName: textParam('alias of server'),
  server_name: textParam('alias of server'),
  tool: textParam('traces with a span calling this tool'),
  toolName: textParam('alias of tool'),
  tool_name: textParam('alias of tool'),
  from: timeParam('earliest trace start (inclusive)'),
  since: timeParam('alias of from'),
  start: timeParam('alias of from'),
  to: timeParam('latest trace start (inclusive)'),
  until: timeParam('alias of to'),
  end: timeParam('alias of to'),
  sort: enumParam(SORT_KEYS, 'order of the page (default startedAt); any other key merges every trace in the from/to range'),
  order: enumParam(['desc', 'asc'], 'direction (default desc)'),
  limit: intParam(1, 1000, 50, 'traces per page'),
  offset: intParam(0, 10_000_000, 0, 'traces skipped'),
  total: flagParam('also count every match (a scan of all of them)'),
});

export const TraceSummarySchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string().nullable(),
  status: z.string(),
  framework: z.string().nullable(),
  serviceName: z.string().nullable(),
  sessionId: z.string().nullable(),
  userId: z.string().nullable(),
  agentName: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  spanCount: z.number().int(),
  errorCount: z.number().int(),
  llmCallCount: z.number().int(),
  toolCallCount: z.number().int(),
  models: z.array(z.string()),
  totalUsage: z.object({ inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number(), costUsd: z.number().nullable() }),
});

export const TraceListResponse = z.object({
  traces: z.array(TraceSummarySchema),
  limit: z.number().int(),
  offset: z.number().int(),
  hasMore: z.boolean().describe('whether traces follow this page'),
  total: z.number().int().optional().describe('every match, only with ?total=1'),
});

/** A span of the trace detail: the tree is a parent index (`parentIndex` into the trace's `spans`), not nested children. */
export const TraceSpanSchema = z.looseObject({
  id: z.string(),
  traceId: z.string(),
  parentSpanId: z.string().nullable(),
  parentIndex: z.number().int().nullable().describe("index in `spans` of the parent span; null for a root or a parent that is not stored"),
  depth: z.number().int().describe('steps from the root (0 for a root)'),
  name: z.string(),
  kind: z.string().nullable(),
  type: z.string(),
  status: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number(),
  agentName: z.string().nullable(),
  model: z.string().nullable(),
  toolName: z.string().nullable(),
  serverName: z.string().nullable(),
  usage: z.looseObject({ inputTokens: z.number().nullable(), outputTokens: z.number().nullable(), costUsd: z.number().nullable() }),
});

export const TraceDetailResponse = TraceSummarySchema.extend({
  rootSpanId: z.string().nullable(),
  spans: z.array(TraceSpanSchema).describe('every span, ordered by start time; the tree is given by each span\'s parentIndex'),
  scores: z.array(z.looseObject({
    id: z.string(), spanId: z.string().nullable(), name: z.string(), value: z.number().nullable(),
    label: z.string().nullable().optional().describe('the category (categorical), "true"/"false" (boolean)'),
    dataType: z.enum(['numeric', 'boolean', 'categorical']).optional().describe('posted and judged scores; OTel evaluation events carry value and/or label'),
    source: z.string().describe('api (or the poster\'s source), judge, or otel (gen_ai.evaluation.result log records)'), createdAt: z.string(),
  })),
});

export const TraceDetailQuery = z.object({ projectId: textParam('project (default: default)'), project_id: textParam('alias of projectId') });

/** GET /api/traces/spans (langsight-api.txt; snake_case, camelCase aliases accepted). */
export const SpanListQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
  server_name: textParam('MCP server'),
  server: textParam('alias of server_name'),
  tool_name: textParam('tool'),
  tool: textParam('alias of tool_name'),
  session_id: textParam('session id'),
  sessionId: textParam('alias of session_id'),
  agent_name: textParam('agent'),
  agent: textParam('alias of agent_name'),
  trace_id: textParam('trace id'),
  model: textParam('request or response model'),
  model_id: textParam('alias of model'),
  span_type: textParam('stored span type: llm_call, tool_call, agent, chain, retriever, embedding, mcp, other'),
  status: enumParam(TOOL_CALL_STATUSES, 'success, error (every failed span), timeout or prevented'),
  from: timeParam('earliest span start (inclusive)'),
  since: timeParam('alias of from'),
  start: timeParam('alias of from'),
  to: timeParam('latest span start (inclusive)'),
  until: timeParam('alias of to'),
  end: timeParam('alias of to'),
  limit: intParam(1, 1000, 100, 'spans per page'),
  offset: intParam(0, 10_000_000, 0, 'spans skipped'),
  total: flagParam('also count every match (a scan of all of them)'),
});

export const ToolCallSpanSchema = z.object({
  span_id: z.string(),
  trace_id: z.string(),
  parent_span_id: z.string().nullable(),
  span_type: z.string(),
  project_id: z.string(),
  server_name: z.string().nullable(),
  tool_name: z.string().nullable(),
  session_id: z.string().nullable(),
  agent_name: z.string().nullable(),
  started_at: z.string(),
  ended_at: z.string(),
  latency_ms: z.number(),
  status: z.enum(TOOL_CALL_STATUSES),
  error: z.string().nullable(),
  model_id: z.string().nullable(),
  input_tokens: z.number().nullable(),
  output_tokens: z.number().nullable(),
  cost_usd: z.number().nullable(),
});

export const SpanListResponse = z.object({
  spans: z.array(ToolCallSpanSchema),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean().describe('whether spans follow this page'),
  total: z.number().int().optional().describe('every match, only with ?total=1'),
});

/** GET /api/traces (filters, sort, pagination), GET /api/traces/spans (langsight span query) and GET /api/traces/:traceId. */
export function mountTraces(router: Router, db: Database): void {
  router.get('/api/traces', async (ctx) => {
    const q = parseQuery(ctx, TraceListQuery);
    const sort = q.sort === undefined && q.order === undefined ? undefined : { by: q.sort ?? 'startedAt', order: q.order ?? 'desc' };
    const { traces, total, hasMore } = await db.withSnapshot((c) => listTraces(c, {
      projectId: first(q.projectId, q.project_id) ?? DEFAULT_PROJECT,
      framework: q.framework,
      status: q.status,
      sessionId: first(q.sessionId, q.session_id),
      service: first(q.service, q.serviceName),
      model: q.model,
      userId: first(q.userId, q.user_id),
      agentName: first(q.agent, q.agentName, q.agent_name),
      serverName: first(q.server, q.serverName, q.server_name),
      toolName: first(q.tool, q.toolName, q.tool_name),
      fromUs: first(q.from, q.since, q.start),
      toUs: first(q.to, q.until, q.end),
      sort,
      limit: q.limit,
      offset: q.offset,
      withTotal: q.total,
    }));
    // `total` counts every match, so it is computed only when asked for (?total=1).
    ctx.body = { traces, limit: q.limit, offset: q.offset, hasMore, ...(q.total ? { total } : {}) } satisfies z.input<typeof TraceListResponse>;
  });

  // Registered before /api/traces/:traceId, which would otherwise take "spans" for a trace id.
  router.get('/api/traces/spans', async (ctx) => {
    const q = parseQuery(ctx, SpanListQuery);
    const { spans, total, hasMore } = await db.withSnapshot((c) => listSpans(c, {
      projectId: first(q.project_id, q.projectId) ?? DEFAULT_PROJECT,
      serverName: first(q.server_name, q.server),
      toolName: first(q.tool_name, q.tool),
      sessionId: first(q.session_id, q.sessionId),
      agentName: first(q.agent_name, q.agent),
      traceId: q.trace_id,
      model: first(q.model, q.model_id),
      type: q.span_type,
      status: q.status,
      fromUs: first(q.from, q.since, q.start),
      toUs: first(q.to, q.until, q.end),
      limit: q.limit,
      offset: q.offset,
      withTotal: q.total,
    }));
    ctx.body = { spans, limit: q.limit, offset: q.offset, has_more: hasMore, ...(q.total ? { total } : {}) } satisfies z.input<typeof SpanListResponse>;
  });

  router.get('/api/traces/:traceId', async (ctx) => {
    const q = parseQuery(ctx, TraceDetailQuery);
    const projectId = first(q.projectId, q.project_id) ?? DEFAULT_PROJECT;
    const trace = await db.withSnapshot((snapshot) => getTrace(snapshot, projectId, ctx.params.traceId));
    if (!trace) throw notFound(`trace ${ctx.params.traceId} not found`);
    ctx.body = trace;
  });
}
