import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, queryRows, Where } from './rows.js';
import { paramList } from './trace-window.js';

/** The span statuses of the ToolCallSpan shape: `error` matches every failed span, `timeout` and `prevented` only those. */
export const TOOL_CALL_STATUSES = ['success', 'error', 'timeout', 'prevented'] as const;
export type ToolCallStatus = (typeof TOOL_CALL_STATUSES)[number];

export interface SpanFilter {
  projectId: string;
  serverName?: string;
  toolName?: string;
  sessionId?: string;
  agentName?: string;
  traceId?: string;
  /** Request or response model. */
  model?: string;
  /** The stored span type (llm_call, tool_call, agent, …). */
  type?: string;
  status?: ToolCallStatus;
  /** Microseconds since the epoch, inclusive bounds on the span start. */
  fromUs?: number;
  toUs?: number;
  limit: number;
  offset: number;
  /** Also count every matching span (a scan of all of them; the page itself does not need it). */
  withTotal?: boolean;
}

/** A stored span in the ToolCallSpan shape of langsight-api.txt (snake_case). */
export interface ToolCallSpanView {
  span_id: string;
  trace_id: string;
  parent_span_id: string | null;
  span_type: string;
  project_id: string;
  server_name: string | null;
  tool_name: string | null;
  session_id: string | null;
  agent_name: string | null;
  started_at: string;
  ended_at: string;
  latency_ms: number;
  status: ToolCallStatus;
  error: string | null;
  model_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
}

/**
 * A call to an MCP server: a span naming its server and a tool or an MCP
 * method (a ToolCallSpan of type agent or handoff names a "server" too, its
 * own, and is not a call to one).
 */
export const SERVER_CALL_SQL = `(server_name IS NOT NULL AND (tool_name IS NOT NULL OR mcp_method IS NOT NULL))`;

/** The ToolCallSpan status of a stored span: the error types the native receiver records for `timeout` and `prevented` come back as sent. */
export const TOOL_CALL_STATUS_SQL = `CASE WHEN status <> 'error' THEN 'success' WHEN error_type = 'timeout' THEN 'timeout'
  WHEN error_type = 'prevented' THEN 'prevented' ELSE 'error' END`;

/** Columns a ToolCallSpanView is built from. */
export const TOOL_CALL_COLUMNS = `span_id, trace_id, parent_span_id, type, project_id, server_name, tool_name, session_id, agent_name,
  ${isoSql('started_at')} AS started_iso, ${isoSql('ended_at')} AS ended_iso, duration_ms, ${TOOL_CALL_STATUS_SQL} AS tool_status, status_message,
  coalesce(response_model, request_model) AS model_id, input_tokens, output_tokens, cost_usd`;

/** A row of TOOL_CALL_COLUMNS in the ToolCallSpan shape. */
export function toToolCallSpan(r: Record<string, unknown>): ToolCallSpanView {
  const status = r.tool_status as ToolCallStatus;
  return {
    span_id: r.span_id as string,
    trace_id: r.trace_id as string,
    parent_span_id: (r.parent_span_id as string) ?? null,
    span_type: r.type as string,
    project_id: r.project_id as string,
    server_name: (r.server_name as string) ?? null,
    tool_name: (r.tool_name as string) ?? null,
    session_id: (r.session_id as string) ?? null,
    agent_name: (r.agent_name as string) ?? null,
    started_at: r.started_iso as string,
    ended_at: r.ended_iso as string,
    latency_ms: Number(r.duration_ms),
    status,
    error: status === 'success' ? null : ((r.status_message as string) ?? null),
    model_id: (r.model_id as string) ?? null,
    input_tokens: (r.input_tokens as number) ?? null,
    output_tokens: (r.output_tokens as number) ?? null,
    cost_usd: (r.cost_usd as number) ?? null,
  };
}

/** The project's spans: how many, and the earliest and latest start (the lake catalog and hot rows; no lake file is opened). */
async function spanRange(conn: DuckDBConnection, projectId: string): Promise<{ spans: number; firstUs: number; lastUs: number } | null> {
  const rows = await queryRows(conn, `
    SELECT sum(n)::BIGINT AS spans, epoch_us(min(lo)) AS first_us, epoch_us(max(hi)) AS last_us FROM (
      SELECT sum(rows) AS n, min(min_started_at) AS lo, max(max_started_at) AS hi FROM lake_files WHERE kind = 'spans' AND project_id = $1
      UNION ALL SELECT count(*), min(started_at), max(started_at) FROM spans WHERE project_id = $1)`, [projectId]);
  const r = rows[0];
  if (r === undefined || r.first_us === null || r.first_us === undefined) return null;
  return { spans: Number(r.spans), firstUs: Number(r.first_us), lastUs: Number(r.last_us) };
}

const MINUTE_US = 60_000_000;

/**
 * Spans filtered by server, tool, session, agent, trace, model, type, status
 * and time, newest first, and whether more follow; with `withTotal` the
 * count of every match. A span is filed under the date it started and its
 * file's row groups carry their start range, so the page is read from the
 * newest spans first, widening the window (doubling it, from about twice
 * the page at the average rate) until it is full: the cost follows the
 * page, not the history.
 */
export async function listSpans(conn: DuckDBConnection, f: SpanFilter): Promise<{ spans: ToolCallSpanView[]; hasMore: boolean; total?: number }> {
  const w = new Where('project_id = ?', f.projectId)
    .add('server_name = ?', f.serverName)
    .add('tool_name = ?', f.toolName)
    .add('session_id = ?', f.sessionId)
    .add('agent_name = ?', f.agentName)
    .add('trace_id = ?', f.traceId)
    .add('type = ?', f.type)
    .add('started_at >= make_timestamp(?::BIGINT)', f.fromUs)
    .add('started_at <= make_timestamp(?::BIGINT)', f.toUs);
  if (f.model !== undefined && f.model !== '') {
    w.params.push(f.model);
    w.raw(`(request_model = $${w.params.length} OR response_model = $${w.params.length})`);
  }
  if (f.status === 'success') w.raw(`status <> 'error'`);
  else if (f.status === 'error') w.raw(`status = 'error'`);
  else if (f.status !== undefined) w.raw(`status = 'error' AND error_type = '${f.status === 'timeout' ? 'timeout' : 'prevented'}'`);
  const need = f.offset + f.limit + 1;
  const range = await spanRange(conn, f.projectId);
  let rows: Record<string, unknown>[] = [];
  if (range !== null && !(f.toUs !== undefined && f.toUs < range.firstUs) && !(f.fromUs !== undefined && f.fromUs > range.lastUs)) {
    const top = Math.min(f.toUs ?? Infinity, range.lastUs);
    const floor = Math.max(f.fromUs ?? -Infinity, range.firstUs);
    // About twice the spans the page needs at the history's average rate, doubled until the page is full.
    const rate = range.spans / Math.max(1, range.lastUs - range.firstUs);
    for (let width = Math.max(MINUTE_US, Math.ceil((2 * need) / Math.max(rate, 1e-12))); ; width *= 2) {
      const last = top - width <= floor;
      const { params, add } = paramList(w.params);
      const since = last ? '' : ` AND started_at >= make_timestamp(${add(top - width)}::BIGINT)`;
      rows = await queryRows(conn,
        `SELECT ${TOOL_CALL_COLUMNS} FROM all_spans WHERE ${w.sql}${since}
         ORDER BY started_at DESC, trace_id, span_id LIMIT ${add(need)}`, params);
      if (rows.length >= need || last) break;
    }
  }
  const result: { spans: ToolCallSpanView[]; hasMore: boolean; total?: number } = {
    spans: rows.slice(f.offset, f.offset + f.limit).map(toToolCallSpan),
    hasMore: rows.length > f.offset + f.limit,
  };
  if (f.withTotal) result.total = Number((await queryRows(conn, `SELECT count(*) AS n FROM all_spans WHERE ${w.sql}`, w.params))[0].n);
  return result;
}
