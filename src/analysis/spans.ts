import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, queryRows, Where } from './rows.js';

export interface SpanFilter {
  projectId: string;
  serverName?: string;
  toolName?: string;
  sessionId?: string;
  agentName?: string;
  status?: 'success' | 'error';
  /** Microseconds since the epoch, inclusive bounds on the span start. */
  fromUs?: number;
  toUs?: number;
  limit: number;
  offset: number;
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
  status: 'success' | 'error';
  error: string | null;
  model_id: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
}

/** Spans filtered by server, tool, session, agent, status and time, newest first, with the total ignoring limit/offset. */
export async function listSpans(conn: DuckDBConnection, f: SpanFilter): Promise<{ spans: ToolCallSpanView[]; total: number }> {
  const w = new Where('project_id = ?', f.projectId)
    .add('server_name = ?', f.serverName)
    .add('tool_name = ?', f.toolName)
    .add('session_id = ?', f.sessionId)
    .add('agent_name = ?', f.agentName)
    .add('started_at >= make_timestamp(?::BIGINT)', f.fromUs)
    .add('started_at <= make_timestamp(?::BIGINT)', f.toUs);
  if (f.status === 'error') w.raw(`status = 'error'`);
  if (f.status === 'success') w.raw(`status <> 'error'`);
  const where = w.sql;
  const params = w.params;
  const n = params.length;
  const rows = await queryRows(
    conn,
    `SELECT span_id, trace_id, parent_span_id, type, project_id, server_name, tool_name, session_id, agent_name,
            ${isoSql('started_at')} AS started_iso, ${isoSql('ended_at')} AS ended_iso, duration_ms, status, status_message,
            coalesce(response_model, request_model) AS model_id, input_tokens, output_tokens, cost_usd
       FROM all_spans WHERE ${where} ORDER BY started_at DESC, span_id LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...params, f.limit, f.offset],
  );
  const total = await queryRows(conn, `SELECT count(*) AS n FROM all_spans WHERE ${where}`, params);
  return {
    total: Number(total[0].n),
    spans: rows.map((r) => ({
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
      status: r.status === 'error' ? 'error' : 'success',
      error: r.status === 'error' ? ((r.status_message as string) ?? null) : null,
      model_id: (r.model_id as string) ?? null,
      input_tokens: (r.input_tokens as number) ?? null,
      output_tokens: (r.output_tokens as number) ?? null,
      cost_usd: (r.cost_usd as number) ?? null,
    })),
  };
}
