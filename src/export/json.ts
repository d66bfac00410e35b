import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, parseJsonColumn } from '../analysis/rows.js';
import type { ExportProvenance } from './provenance.js';
import { SELECTION, selectionColumns, toExportTrace, type ExportTrace } from './selection.js';
import { streamRows, type TextSink } from './sink.js';

/** Span columns every JSON export carries; RAW_COLUMNS only with ?raw=1 (they may hold personal data or secrets). */
const COLUMNS = [
  'span_id', 'parent_span_id', 'name', 'span_kind', 'type', 'status', 'status_message', 'error_type', 'duration_ms',
  'service_name', 'scope_name', 'framework', 'session_id', 'agent_name', 'provider', 'operation', 'request_model',
  'response_model', 'finish_reason', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens',
  'reasoning_tokens', 'cost_usd', 'cost_source', 'tool_name', 'tool_call_id', 'server_name', 'mcp_method',
  'mcp_session_id', 'mcp_resource_uri', 'events', 'links',
];
const RAW_COLUMNS = ['user_id', 'input', 'output', 'attributes', 'resource'];

type Row = Record<string, unknown>;
const v = (r: Row, c: string) => r[`s_${c}`] ?? null;

/** The trace summary as GET /api/traces shows it; the user id only in a raw export. */
function traceObject(t: ExportTrace, raw: boolean): Record<string, unknown> {
  return {
    id: t.id, name: t.name, status: t.status, framework: t.framework, serviceName: t.serviceName, sessionId: t.sessionId,
    ...(raw ? { userId: t.userId } : {}),
    agentName: t.agentName, startedAt: t.startedAt, endedAt: t.endedAt, durationMs: t.durationMs,
    spanCount: t.spanCount, errorCount: t.errorCount, llmCallCount: t.llmCallCount, toolCallCount: t.toolCallCount, models: t.models,
    totalUsage: { inputTokens: t.inputTokens, outputTokens: t.outputTokens, totalTokens: t.inputTokens + t.outputTokens, costUsd: t.costUsd },
  };
}

/** Events and links keep their names, times and ids; their attributes only in a raw export. */
function withoutAttributes(list: unknown, keep: readonly string[]): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((e) => Object.fromEntries(keep.filter((k) => e && typeof e === 'object' && k in e).map((k) => [k, (e as Row)[k]])));
}

/** One span as in GET /api/traces/:id, redacted unless raw. */
function spanObject(r: Row, raw: boolean): Record<string, unknown> {
  const events = parseJsonColumn(v(r, 'events'));
  const links = parseJsonColumn(v(r, 'links'));
  return {
    id: v(r, 'span_id'), parentSpanId: v(r, 'parent_span_id'), name: v(r, 'name'), kind: v(r, 'span_kind'), type: v(r, 'type'),
    status: v(r, 'status'), statusMessage: v(r, 'status_message'), errorType: v(r, 'error_type'),
    startedAt: v(r, 'started_iso'), endedAt: v(r, 'ended_iso'), durationMs: v(r, 'duration_ms'),
    serviceName: v(r, 'service_name'), scopeName: v(r, 'scope_name'), framework: v(r, 'framework'), sessionId: v(r, 'session_id'),
    ...(raw ? { userId: v(r, 'user_id') } : {}),
    agentName: v(r, 'agent_name'), provider: v(r, 'provider'), operation: v(r, 'operation'),
    model: v(r, 'response_model') ?? v(r, 'request_model'), requestModel: v(r, 'request_model'), responseModel: v(r, 'response_model'),
    finishReason: v(r, 'finish_reason'),
    usage: {
      inputTokens: v(r, 'input_tokens'), outputTokens: v(r, 'output_tokens'), cacheReadTokens: v(r, 'cache_read_tokens'),
      cacheWriteTokens: v(r, 'cache_write_tokens'), reasoningTokens: v(r, 'reasoning_tokens'), costUsd: v(r, 'cost_usd'), costSource: v(r, 'cost_source'),
    },
    toolName: v(r, 'tool_name'), toolCallId: v(r, 'tool_call_id'), serverName: v(r, 'server_name'),
    mcp: { method: v(r, 'mcp_method'), sessionId: v(r, 'mcp_session_id'), resourceUri: v(r, 'mcp_resource_uri') },
    ...(raw
      ? { input: v(r, 'input'), output: v(r, 'output'), attributes: parseJsonColumn(v(r, 'attributes')), resource: parseJsonColumn(v(r, 'resource')), events, links }
      : { events: withoutAttributes(events, ['time_us', 'name']), links: withoutAttributes(links, ['trace_id', 'span_id']) }),
  };
}

/**
 * Every selected trace's scores (src/evals/scores.ts) by the trace's place in the file; the free-text
 * comment only in a raw export (it may name people), like the payloads.
 */
async function scoresByTrace(conn: DuckDBConnection, projectId: string, raw: boolean): Promise<Map<number, Row[]>> {
  const by = new Map<number, Row[]>();
  for await (const r of streamRows(conn, `
    SELECT x.ord, s.id, s.span_id, s.name, s.source, s.data_type, s.value, s.label, s.comment, ${isoSql('s.created_at')} AS created_iso, ${isoSql('s.updated_at')} AS updated_iso
    FROM ${SELECTION} x JOIN scores s ON s.project_id = $1 AND s.trace_id = x.trace_id ORDER BY x.ord, s.created_at, s.id`, [projectId])) {
    const list = by.get(Number(r.ord)) ?? [];
    list.push({
      id: r.id, spanId: r.span_id ?? null, name: r.name, source: r.source, dataType: r.data_type, value: r.value ?? null, label: r.label ?? null,
      ...(raw ? { comment: r.comment ?? null } : {}), createdAt: r.created_iso, updatedAt: r.updated_iso,
    });
    by.set(Number(r.ord), list);
  }
  return by;
}

/** Spans fetched per query at most (whole traces; a bigger trace alone): DuckDB sorts one chunk at a time, whatever its payloads. */
const SPANS_PER_CHUNK = 1000;

/** Ranges of SELECTION's ord holding about SPANS_PER_CHUNK spans each, with the time bounds their spans start within. */
async function chunks(conn: DuckDBConnection): Promise<Array<{ first: number; last: number; fromUs: number; toUs: number }>> {
  const out: Array<{ first: number; last: number; fromUs: number; toUs: number }> = [];
  let cur: { first: number; last: number; fromUs: number; toUs: number; spans: number } | null = null;
  for await (const r of streamRows(conn, `SELECT ord, span_count, epoch_us(started_at) AS s, epoch_us(ended_at) AS e FROM ${SELECTION} ORDER BY ord`)) {
    const n = Number(r.span_count);
    if (cur !== null && cur.spans + n > SPANS_PER_CHUNK) {
      out.push(cur);
      cur = null;
    }
    if (cur === null) cur = { first: Number(r.ord), last: Number(r.ord), fromUs: Number(r.s), toUs: Number(r.e), spans: 0 };
    cur.last = Number(r.ord);
    cur.fromUs = Math.min(cur.fromUs, Number(r.s));
    cur.toUs = Math.max(cur.toUs, Number(r.e));
    cur.spans += n;
  }
  if (cur !== null) out.push(cur);
  return out;
}

/**
 * The JSON export: the provenance block's fields, then `traces`, each the
 * summary with `totalUsage`, its scores and its spans (start order). Without raw the
 * attributes, payloads, resource, user ids and event/link attributes are
 * left out (data minimisation). Written span by span from streamed joins
 * of the selection with its spans, a chunk of traces at a time: a span
 * starts within its trace's [start, end], so each chunk reads only the
 * lake row groups of that time range, and DuckDB never holds (or sorts)
 * more than a chunk's payloads.
 */
export async function writeJson(conn: DuckDBConnection, sink: TextSink, prov: ExportProvenance): Promise<void> {
  const head = JSON.stringify(prov);
  await sink.write(`${head.slice(0, -1)},"traces":[`);
  const cols = [...COLUMNS, ...(prov.raw ? RAW_COLUMNS : [])].map((c) => `s.${c} AS s_${c}`).join(', ');
  let current = -1;
  let spans = 0;
  const scores = await scoresByTrace(conn, prov.filters.projectId, prov.raw);
  for (const c of await chunks(conn)) {
    for await (const r of streamRows(conn, `
      SELECT ${selectionColumns('x.')}, ${cols}, ${isoSql('s.started_at')} AS s_started_iso, ${isoSql('s.ended_at')} AS s_ended_iso
      FROM (SELECT * FROM ${SELECTION} WHERE ord BETWEEN $2 AND $3) x
      LEFT JOIN (SELECT * FROM all_spans WHERE project_id = $1 AND started_at >= make_timestamp($4::BIGINT) AND started_at <= make_timestamp($5::BIGINT)) s
        ON s.trace_id = x.trace_id
      ORDER BY x.ord, s.started_at, s.span_id`, [prov.filters.projectId, c.first, c.last, c.fromUs, c.toUs])) {
      const ord = Number(r.ord);
      if (ord !== current) {
        const t = JSON.stringify({ ...traceObject(toExportTrace(r), prov.raw), scores: scores.get(ord) ?? [] });
        await sink.write(`${current === -1 ? '' : ']},'}${t.slice(0, -1)},"spans":[`);
        current = ord;
        spans = 0;
      }
      if (r.s_span_id === null || r.s_span_id === undefined) continue;
      await sink.write((spans++ === 0 ? '' : ',') + JSON.stringify(spanObject(r, prov.raw)));
    }
  }
  if (current !== -1) await sink.write(']}');
  await sink.write(']}\n');
}
