import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, parseJsonColumn, queryRows, Where } from './rows.js';
import { newestTraces, paramList, partsSince, spanSemiJoin } from './trace-window.js';
import { spanTree } from './span-tree.js';
import { MERGED_TRACES, traceSources } from '../store/lake/relations.js';
import { withLogEvents } from './logs.js';

export interface TraceFilter {
  projectId: string;
  framework?: string;
  status?: string;
  sessionId?: string;
  service?: string;
  model?: string;
  userId?: string;
  /** Traces with at least one span of this agent, MCP server or tool (a semi-join on spans). */
  agentName?: string;
  serverName?: string;
  toolName?: string;
  /** Microseconds since the epoch, inclusive bounds on the trace start. */
  fromUs?: number;
  toUs?: number;
  limit: number;
  offset: number;
  /** Order of the page; absent: newest first (the only order whose cost follows the page). */
  sort?: { by: TraceSortKey; order: 'asc' | 'desc' };
  /** Also count every matching trace (a scan of all of them; the page itself does not need it). */
  withTotal?: boolean;
}

const TRACE_COLUMNS = `
  trace_id, project_id, coalesce(root_name, first_name) AS name, status, framework, service_name, session_id, user_id, agent_name,
  ${isoSql('started_at')} AS started_at, ${isoSql('ended_at')} AS ended_at,
  epoch_us(ended_at) - epoch_us(started_at) AS duration_us,
  span_count, error_count, llm_call_count, tool_call_count, input_tokens, output_tokens, cost_usd, models, root_span_id`;

/** Sort keys of the trace list and the column expression each orders by. */
export const TRACE_SORT_KEYS = {
  startedAt: 'started_at',
  durationMs: 'epoch_us(ended_at) - epoch_us(started_at)',
  costUsd: 'cost_usd',
  totalTokens: 'input_tokens + output_tokens',
  spanCount: 'span_count',
  errorCount: 'error_count',
} as const;
export type TraceSortKey = keyof typeof TRACE_SORT_KEYS;

/** The trace-summary fields a filter may name (the trace list and the exports share them). */
export type TraceSummaryFilter = Pick<TraceFilter, 'projectId' | 'framework' | 'status' | 'sessionId' | 'service' | 'userId' | 'model' | 'fromUs' | 'toUs'>;

/** The conditions of a filter on merged trace summaries (`all_traces` columns). */
export function traceSummaryWhere(f: TraceSummaryFilter): Where {
  return new Where('project_id = ?', f.projectId)
    .add('framework = ?', f.framework)
    .add('status = ?', f.status)
    .add('session_id = ?', f.sessionId)
    .add('service_name = ?', f.service)
    .add('user_id = ?', f.userId)
    .add('list_contains(models, ?)', f.model)
    .add('started_at >= make_timestamp(?::BIGINT)', f.fromUs)
    .add('started_at <= make_timestamp(?::BIGINT)', f.toUs);
}

/** The span conditions of a filter, numbered after `w`'s parameters (they share one list); undefined when none. */
function spanWhere(f: TraceFilter, w: Where): string | undefined {
  const conds: string[] = [];
  for (const [col, v] of [['agent_name', f.agentName], ['server_name', f.serverName], ['tool_name', f.toolName]] as const) {
    if (v === undefined || v === '') continue;
    w.params.push(v);
    conds.push(`${col} = $${w.params.length}`);
  }
  return conds.length === 0 ? undefined : conds.join(' AND ');
}

export interface TraceSummary {
  id: string;
  projectId: string;
  name: string | null;
  status: string;
  framework: string | null;
  serviceName: string | null;
  sessionId: string | null;
  userId: string | null;
  agentName: string | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  llmCallCount: number;
  toolCallCount: number;
  models: string[];
  totalUsage: { inputTokens: number; outputTokens: number; totalTokens: number; costUsd: number | null };
}

function toSummary(r: Record<string, unknown>): TraceSummary {
  const input = Number(r.input_tokens ?? 0);
  const output = Number(r.output_tokens ?? 0);
  return {
    id: r.trace_id as string,
    projectId: r.project_id as string,
    name: (r.name as string) ?? null,
    status: r.status as string,
    framework: (r.framework as string) ?? null,
    serviceName: (r.service_name as string) ?? null,
    sessionId: (r.session_id as string) ?? null,
    userId: (r.user_id as string) ?? null,
    agentName: (r.agent_name as string) ?? null,
    startedAt: r.started_at as string,
    endedAt: r.ended_at as string,
    durationMs: Number(r.duration_us ?? 0) / 1000,
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    llmCallCount: Number(r.llm_call_count),
    toolCallCount: Number(r.tool_call_count),
    models: (r.models as string[]) ?? [],
    totalUsage: { inputTokens: input, outputTokens: output, totalTokens: input + output, costUsd: (r.cost_usd as number) ?? null },
  };
}

/**
 * Lists trace summaries, newest first (trace-window.ts: the cost follows
 * the page, not the history), whether more follow, and with `withTotal`
 * the count of every match ignoring limit/offset.
 */
export async function listTraces(conn: DuckDBConnection, f: TraceFilter): Promise<{ traces: TraceSummary[]; hasMore: boolean; total?: number }> {
  const w = traceSummaryWhere(f);
  const spans = spanWhere(f, w);
  const newestFirst = f.sort === undefined || f.sort.by === 'startedAt' && f.sort.order === 'desc';
  const page = newestFirst
    ? await newestTraces(conn, {
      projectId: f.projectId, columns: TRACE_COLUMNS, where: w.sql, params: w.params, spanWhere: spans,
      fromUs: f.fromUs, toUs: f.toUs, limit: f.limit, offset: f.offset,
    })
    : await sortedTraces(conn, f, w, spans);
  const result: { traces: TraceSummary[]; hasMore: boolean; total?: number } = { traces: page.rows.map(toSummary), hasMore: page.hasMore };
  if (f.withTotal) {
    const { params, add } = paramList(w.params);
    const cond = spans === undefined ? w.sql : `${w.sql} AND ${spanSemiJoin(spans, null, f.fromUs, add)}`;
    result.total = Number((await queryRows(conn, `SELECT count(*) AS n FROM all_traces WHERE ${cond}`, params))[0].n);
  }
  return result;
}

/**
 * Any other order merges every trace summary in the time range (the whole
 * history without `from`/`to`): its cost follows what the range holds.
 */
async function sortedTraces(conn: DuckDBConnection, f: TraceFilter, w: Where, spans: string | undefined): Promise<{ rows: Record<string, unknown>[]; hasMore: boolean }> {
  const { params, add } = paramList(w.params);
  const cond = spans === undefined ? w.sql : `${w.sql} AND ${spanSemiJoin(spans, null, f.fromUs, add)}`;
  const by = TRACE_SORT_KEYS[f.sort!.by];
  const dir = f.sort!.order === 'asc' ? 'ASC NULLS LAST' : 'DESC NULLS LAST';
  const rows = await queryRows(conn,
    `SELECT ${TRACE_COLUMNS} FROM all_traces WHERE ${cond} ORDER BY ${by} ${dir}, trace_id LIMIT ${add(f.limit + 1)} OFFSET ${add(f.offset)}`,
    params);
  return { rows: rows.slice(0, f.limit), hasMore: rows.length > f.limit };
}

export interface SpanView {
  id: string;
  traceId: string;
  parentSpanId: string | null;
  /** Index in the trace's `spans` of the parent span; null for a root, or when the parent is not stored. */
  parentIndex: number | null;
  /** Steps from the span's root (0 for a root). */
  depth: number;
  [key: string]: unknown;
}

function toSpanView(r: Record<string, unknown>, parentIndex: number | null, depth: number): SpanView {
  return {
    id: r.span_id as string,
    traceId: r.trace_id as string,
    parentSpanId: (r.parent_span_id as string) ?? null,
    parentIndex,
    depth,
    name: r.name,
    kind: r.span_kind,
    type: r.type,
    status: r.status,
    statusMessage: r.status_message ?? null,
    errorType: r.error_type ?? null,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    serviceName: r.service_name ?? null,
    scopeName: r.scope_name ?? null,
    framework: r.framework ?? null,
    sessionId: r.session_id ?? null,
    userId: r.user_id ?? null,
    agentName: r.agent_name ?? null,
    provider: r.provider ?? null,
    operation: r.operation ?? null,
    model: r.response_model ?? r.request_model ?? null,
    requestModel: r.request_model ?? null,
    responseModel: r.response_model ?? null,
    finishReason: r.finish_reason ?? null,
    usage: {
      inputTokens: r.input_tokens ?? null,
      outputTokens: r.output_tokens ?? null,
      cacheReadTokens: r.cache_read_tokens ?? null,
      cacheWriteTokens: r.cache_write_tokens ?? null,
      reasoningTokens: r.reasoning_tokens ?? null,
      costUsd: r.cost_usd ?? null,
      costSource: r.cost_source,
    },
    toolName: r.tool_name ?? null,
    toolCallId: r.tool_call_id ?? null,
    serverName: r.server_name ?? null,
    mcp: { method: r.mcp_method ?? null, sessionId: r.mcp_session_id ?? null, resourceUri: r.mcp_resource_uri ?? null },
    input: r.input ?? null,
    output: r.output ?? null,
    attributes: parseJsonColumn(r.attributes),
    resource: parseJsonColumn(r.resource),
    events: parseJsonColumn(r.events),
    links: parseJsonColumn(r.links),
  };
}

/**
 * One trace: summary, spans ordered by start time (each with the index of
 * its parent in the list: the span tree as a parent index), and its scores;
 * null when unknown.
 */
export async function getTrace(conn: DuckDBConnection, projectId: string, traceId: string) {
  // Only the files whose trace-id filter may hold the trace are opened (relations.ts traceSources).
  const src = await traceSources(conn, projectId, traceId);
  const head = await queryRows(conn, `SELECT ${TRACE_COLUMNS} FROM (${src.traces})`, [projectId, traceId]);
  if (head.length === 0) return null;
  const spans = await queryRows(
    conn,
    `SELECT * EXCLUDE (started_at, ended_at), ${isoSql('started_at')} AS started_at, ${isoSql('ended_at')} AS ended_at
       FROM (${src.spans}) s ORDER BY s.started_at, span_id`,
    [projectId, traceId],
  );
  // Scores posted or judged (src/evals/scores.ts), in the same snapshot as the spans.
  const scores = await queryRows(
    conn,
    `SELECT id, span_id, name, data_type, value, label, comment, source, ${isoSql('created_at')} AS created_at, ${isoSql('updated_at')} AS updated_at
       FROM scores WHERE project_id = $1 AND trace_id = $2 ORDER BY scores.created_at, id`,
    [projectId, traceId],
  );
  const tree = spanTree(spans.map((r) => ({ id: String(r.span_id), parentId: (r.parent_span_id as string) ?? null })));
  // Payloads and scores the trace's GenAI log records carry (analysis/logs.ts).
  return withLogEvents(conn, projectId, traceId, {
    ...toSummary(head[0]),
    rootSpanId: (head[0].root_span_id as string) ?? null,
    spans: spans.map((r, i) => toSpanView(r, tree.parentIndex[i], tree.depth[i])),
    scores: scores.map((s) => ({
      id: s.id, spanId: s.span_id ?? null, name: s.name, dataType: s.data_type, value: s.value ?? null, label: s.label ?? null,
      comment: s.comment ?? null, source: s.source, createdAt: s.created_at, updatedAt: s.updated_at,
    })),
  });
}

/**
 * The summaries of `ids`, oldest first, merged from the parts starting at or
 * after `sinceUs` (the earliest of their starts: older parts stay unread).
 */
export async function traceSummaries(conn: DuckDBConnection, projectId: string, ids: string[], sinceUs: number): Promise<TraceSummary[]> {
  if (ids.length === 0) return [];
  const { params, add } = paramList([projectId]);
  const since = partsSince(sinceUs, add);
  const marks = ids.map((id) => add(id)).join(', ');
  const rows = await queryRows(conn,
    `WITH parts AS (SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND ${since} AND trace_id IN (${marks})),
       merged AS (${MERGED_TRACES})
     SELECT ${TRACE_COLUMNS} FROM merged ORDER BY merged.started_at, trace_id`, params);
  return rows.map(toSummary);
}
