import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, queryRows } from '../analysis/rows.js';
import { traceSummaryWhere } from '../analysis/traces.js';

/** Traces in an export by default, and at most (`?limit=`; lookspan-http-api.txt). */
export const EXPORT_DEFAULT_LIMIT = 1000;
export const EXPORT_MAX_LIMIT = 10_000;

/** The filters of GET /api/export/traces (those of GET /api/traces that the reference names, plus time and project). */
export interface ExportFilter {
  projectId: string;
  framework?: string;
  status?: string;
  sessionId?: string;
  service?: string;
  model?: string;
  /** Bounds on the trace start, µs, inclusive (as GET /api/traces). */
  fromUs?: number;
  toUs?: number;
  limit: number;
}

/** One exported trace: the summary GET /api/traces shows, as stored. */
export interface ExportTrace {
  ord: number;
  id: string;
  name: string | null;
  framework: string | null;
  agentName: string | null;
  sessionId: string | null;
  serviceName: string | null;
  userId: string | null;
  startedAt: string;
  endedAt: string;
  startedUs: number;
  durationMs: number;
  status: string;
  spanCount: number;
  errorCount: number;
  llmCallCount: number;
  toolCallCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  models: string[];
}

/** The temporary table holding the selection inside the export's snapshot (this connection's own). */
export const SELECTION = 'export_selection';

/**
 * Picks the export's traces into SELECTION, numbered in the order of the
 * file (`started_at ASC, trace_id ASC`: the oldest matching traces first,
 * so a truncated export of the same filters stays the same file as new
 * traces arrive), and counts every match. At most EXPORT_MAX_LIMIT small
 * rows; every later pass of the export reads them from there, so all
 * formats describe exactly the same traces.
 */
export async function selectTraces(conn: DuckDBConnection, f: ExportFilter): Promise<{ count: number; totalAvailable: number }> {
  const w = traceSummaryWhere(f);
  const n = w.params.length;
  await conn.run(`
    CREATE OR REPLACE TEMP TABLE ${SELECTION} AS
    SELECT row_number() OVER (ORDER BY started_at, trace_id) AS ord, * FROM (
      SELECT project_id, trace_id, coalesce(root_name, first_name) AS name, framework, agent_name, session_id, service_name, user_id,
        started_at, ended_at, status, span_count, error_count, llm_call_count, tool_call_count, input_tokens, output_tokens, cost_usd, models,
        -- Every match counted in the same pass (merging the trace summaries is the expensive part).
        count(*) OVER () AS total_available
      FROM all_traces WHERE ${w.sql} ORDER BY started_at, trace_id LIMIT $${n + 1})`, [...w.params, f.limit]);
  const r = (await queryRows(conn, `SELECT count(*) AS n, coalesce(max(total_available), 0) AS total FROM ${SELECTION}`))[0];
  return { count: Number(r.n), totalAvailable: Number(r.total) };
}

/** SELECTION's columns (prefixed with `p`, a table alias and dot) as ExportTrace fields; text timestamps, so no timestamp objects cross into JS. */
export const selectionColumns = (p = '') => `${p}ord, ${p}trace_id, ${p}name, ${p}framework, ${p}agent_name, ${p}session_id, ${p}service_name,
  ${p}user_id, ${isoSql(`${p}started_at`)} AS started_iso, ${isoSql(`${p}ended_at`)} AS ended_iso, epoch_us(${p}started_at) AS started_us,
  (epoch_us(${p}ended_at) - epoch_us(${p}started_at)) / 1000.0 AS duration_ms, ${p}status, ${p}span_count, ${p}error_count,
  ${p}llm_call_count, ${p}tool_call_count, ${p}input_tokens, ${p}output_tokens, ${p}cost_usd, ${p}models`;

/** A row of selectionColumns() (BIGINT and list values already plain) as an ExportTrace. */
export function toExportTrace(r: Record<string, unknown>): ExportTrace {
  return {
    ord: Number(r.ord),
    id: String(r.trace_id),
    name: (r.name as string) ?? null,
    framework: (r.framework as string) ?? null,
    agentName: (r.agent_name as string) ?? null,
    sessionId: (r.session_id as string) ?? null,
    serviceName: (r.service_name as string) ?? null,
    userId: (r.user_id as string) ?? null,
    startedAt: String(r.started_iso),
    endedAt: String(r.ended_iso),
    startedUs: Number(r.started_us),
    durationMs: Number(r.duration_ms),
    status: String(r.status),
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    llmCallCount: Number(r.llm_call_count),
    toolCallCount: Number(r.tool_call_count),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    costUsd: r.cost_usd === null || r.cost_usd === undefined ? null : Number(r.cost_usd),
    models: (r.models as string[]) ?? [],
  };
}
