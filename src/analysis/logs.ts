import type { DuckDBConnection } from '@duckdb/node-api';
import { traceLogSource } from '../store/lake/log-relations.js';
import { isoSql, queryRows } from './rows.js';
import type { LogRecordRow } from '../model/log-record.js';

/** What the trace detail needs of one span to attach its log events. */
export interface SpanWithPayload {
  id: string;
  input?: unknown;
  output?: unknown;
  finishReason?: unknown;
  attributes?: unknown;
  [key: string]: unknown;
}

/** A score derived from a `gen_ai.evaluation.result` log record. */
export interface LogScore {
  id: string;
  spanId: string | null;
  name: string;
  value: number | null;
  label: string | null;
  comment: string | null;
  explanation: string | null;
  source: 'otel';
  createdAt: string;
}

/** The stored columns the mapping reads (`logged_at` as ISO text here), kind narrowed to the mapped events. */
type EventRow = Pick<LogRecordRow, 'record_id' | 'span_id' | 'input' | 'output' | 'finish_reason' | 'choice_index' | 'evaluation_name'
  | 'score_value' | 'score_label' | 'explanation' | 'response_id'> & {
  kind: 'operation_details' | 'message' | 'choice' | 'evaluation';
  logged_at: string;
};

/**
 * The trace's GenAI event records, in the order they were logged (records
 * sharing a timestamp, as one call's deprecated message events do, by their
 * position in the export request). Hot rows and only the lake log files
 * whose trace-id filter may hold the trace are read, so the cost follows
 * the trace, not the history.
 */
async function traceEvents(conn: DuckDBConnection, projectId: string, traceId: string): Promise<EventRow[]> {
  const src = await traceLogSource(conn, projectId, traceId);
  return (await queryRows(
    conn,
    `SELECT record_id, span_id, kind, input, output, finish_reason, choice_index, evaluation_name, score_value, score_label,
            explanation, response_id, ${isoSql('logged_at')} AS logged_at
       FROM (${src}) l WHERE kind IN ('operation_details', 'message', 'choice', 'evaluation')
      ORDER BY l.logged_at, l.observed_at NULLS FIRST, l.position, l.record_id`,
    [projectId, traceId],
  )) as unknown as EventRow[];
}

/** JSON texts of message lists (or single messages) as one JSON list. */
function joinMessages(texts: readonly string[]): string {
  const out: unknown[] = [];
  for (const t of texts) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      v = t;
    }
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return JSON.stringify(out);
}

function group(rows: readonly EventRow[]): Map<string, EventRow[]> {
  const by = new Map<string, EventRow[]>();
  for (const r of rows) {
    if (r.span_id === null) continue;
    const list = by.get(r.span_id) ?? [];
    list.push(r);
    by.set(r.span_id, list);
  }
  return by;
}

/**
 * Fills a span's missing payload from its GenAI log events, never
 * overriding what the span itself carries (system instructions alone are
 * not the conversation: the records' input follows them): `input` from the
 * operation-details records (their input lists, in order), else from the
 * deprecated message events (one message each, in order); `output` from
 * the operation-details outputs, else from the `gen_ai.choice` events by
 * choice index; `finishReason` from the first of them that has one.
 */
function fillSpan(span: SpanWithPayload, events: readonly EventRow[]): void {
  const details = events.filter((e) => e.kind === 'operation_details');
  const system = span.input == null ? [] : systemOnly(span.input);
  if (span.input == null || system !== null) {
    const ins = details.filter((e) => e.input !== null).map((e) => e.input!);
    const msgs = events.filter((e) => e.kind === 'message' && e.input !== null).map((e) => e.input!);
    const fromLogs = ins.length > 0 ? joinMessages(ins) : msgs.length > 0 ? joinMessages(msgs) : null;
    if (fromLogs !== null) span.input = withSpanSystem(system ?? [], fromLogs);
  }
  const choices = events.filter((e) => e.kind === 'choice')
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.choice_index ?? a.i) - (b.e.choice_index ?? b.i) || a.i - b.i)
    .map(({ e }) => e);
  if (span.output == null) {
    const outs = details.filter((e) => e.output !== null).map((e) => e.output!);
    const chosen = choices.filter((e) => e.output !== null).map((e) => e.output!);
    if (outs.length > 0) span.output = joinMessages(outs);
    else if (chosen.length > 0) span.output = joinMessages(chosen);
  }
  if (span.finishReason == null) {
    span.finishReason = [...details, ...choices].find((e) => e.finish_reason !== null)?.finish_reason ?? null;
  }
}

/**
 * The span's input when it is system instructions alone (the OpenAI
 * instrumentation puts Responses `instructions` on the span as
 * `gen_ai.system_instructions` and the conversation in a log record): its
 * messages, so the log records' input is added after them; null when the
 * span has conversation messages of its own (then it is left as it is).
 */
function systemOnly(input: unknown): unknown[] | null {
  if (typeof input !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(input);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length === 0) return null;
  return v.every((m) => (m as { role?: unknown } | null)?.role === 'system') ? v : null;
}

/** The span's system messages before the log records' input, unless the records carry system messages themselves. */
function withSpanSystem(system: unknown[], fromLogs: string): string {
  if (system.length === 0) return fromLogs;
  const logs = JSON.parse(fromLogs) as unknown[];
  if (logs.some((m) => (m as { role?: unknown } | null)?.role === 'system')) return fromLogs;
  return JSON.stringify([...system, ...logs]);
}

/** The span an evaluation is about: its own span id, else the span whose `gen_ai.response.id` it names. */
function evaluatedSpan(e: EventRow, spans: readonly SpanWithPayload[]): string | null {
  if (e.span_id !== null) return e.span_id;
  if (e.response_id === null) return null;
  const hit = spans.find((s) => (s.attributes as Record<string, unknown> | null)?.['gen_ai.response.id'] === e.response_id);
  return hit?.id ?? null;
}

/**
 * The trace detail with what the trace's GenAI log records say
 * (`GET /api/traces/:id`): each span's missing input, output and finish
 * reason filled from its events (fillSpan), and every
 * `gen_ai.evaluation.result` appended to `scores` (source `otel`). Applied
 * when the trace is read, so records that arrived before their span, after
 * it, or in other requests give the same answer, and a seal changes nothing.
 */
export async function withLogEvents<T extends { spans: SpanWithPayload[]; scores: unknown[] }>(
  conn: DuckDBConnection, projectId: string, traceId: string, trace: T,
): Promise<T> {
  const events = await traceEvents(conn, projectId, traceId);
  if (events.length === 0) return trace;
  const bySpan = group(events.filter((e) => e.kind !== 'evaluation'));
  for (const span of trace.spans) {
    const list = bySpan.get(span.id);
    if (list) fillSpan(span, list);
  }
  const scores: LogScore[] = events.filter((e) => e.kind === 'evaluation').map((e) => ({
    id: e.record_id,
    spanId: evaluatedSpan(e, trace.spans),
    name: e.evaluation_name ?? 'evaluation',
    value: e.score_value,
    label: e.score_label,
    comment: e.explanation,
    explanation: e.explanation,
    source: 'otel',
    createdAt: e.logged_at,
  }));
  return { ...trace, scores: [...trace.scores, ...scores] };
}
