import { getTrace, type SpanView } from '../analysis/traces.js';
import { queryRows } from '../analysis/rows.js';
import { traceSources } from '../store/lake/relations.js';
import { notFound } from '../errors.js';
import type { Database } from '../store/index.js';
import type { CapturedSpan } from './replay/rebuild.js';

/** What evaluations read of a stored trace: when it started and its spans as the trace detail shows them. */
export interface EvaluatedTrace {
  traceId: string;
  startedUs: number;
  spans: CapturedSpan[];
}

const nullableString = (v: unknown) => (typeof v === 'string' ? v : null);
const nullableNumber = (v: unknown) => (typeof v === 'number' ? v : null);

function captured(s: SpanView): CapturedSpan {
  const usage = (s.usage ?? {}) as Record<string, unknown>;
  return {
    id: s.id,
    traceId: s.traceId,
    name: String(s.name),
    type: String(s.type),
    provider: nullableString(s.provider),
    requestModel: nullableString(s.requestModel),
    responseModel: nullableString(s.responseModel),
    framework: nullableString(s.framework),
    scopeName: nullableString(s.scopeName),
    input: s.input ?? null,
    output: s.output ?? null,
    attributes: (s.attributes && typeof s.attributes === 'object' ? s.attributes : null) as Record<string, unknown> | null,
    durationMs: Number(s.durationMs ?? 0),
    finishReason: nullableString(s.finishReason),
    usage: { inputTokens: nullableNumber(usage.inputTokens), outputTokens: nullableNumber(usage.outputTokens), costUsd: nullableNumber(usage.costUsd) },
  };
}

/**
 * Reads a trace through the trace detail's read path (lake relations,
 * payloads filled from the trace's GenAI log records), so a replay or a
 * judge sees exactly what GET /api/traces/:id shows; 404 when unknown.
 */
export async function readTrace(db: Database, projectId: string, traceId: string): Promise<EvaluatedTrace> {
  const t = await db.withSnapshot((conn) => getTrace(conn, projectId, traceId));
  if (!t) throw notFound(`trace ${traceId} not found`);
  return { traceId, startedUs: Date.parse(t.startedAt) * 1000, spans: t.spans.map(captured) };
}

/**
 * When a trace started (µs) and whether it holds `spanId`, without its
 * payloads (what a score needs); 404 when the trace or the span is unknown.
 */
export async function traceStart(db: Database, projectId: string, traceId: string, spanId: string | null): Promise<number> {
  return db.withSnapshot(async (conn) => {
    const src = await traceSources(conn, projectId, traceId);
    const head = await queryRows(conn, `SELECT epoch_us(started_at) AS s FROM (${src.traces})`, [projectId, traceId]);
    if (head.length === 0) throw notFound(`trace ${traceId} not found`);
    if (spanId !== null) {
      const hit = await queryRows(conn, `SELECT 1 FROM (${src.spans}) s WHERE s.span_id = $3 LIMIT 1`, [projectId, traceId, spanId]);
      if (hit.length === 0) throw notFound(`span ${spanId} is not part of trace ${traceId}`);
    }
    return Number(head[0].s);
  });
}

/** The span named, else the trace's first model call with a captured prompt (start order); a 404 or 400 says why none fits. */
export function pickSpan(t: EvaluatedTrace, spanId: string | undefined): CapturedSpan {
  if (spanId !== undefined) {
    const s = t.spans.find((x) => x.id === spanId);
    if (!s) throw notFound(`span ${spanId} is not part of trace ${t.traceId}`);
    return s;
  }
  const calls = t.spans.filter((s) => s.type === 'llm_call');
  const withPrompt = calls.find((s) => s.input !== null && s.input !== '');
  if (withPrompt) return withPrompt;
  if (calls.length > 0) return calls[0];
  throw notFound(`trace ${t.traceId} has no model call (llm_call span) to evaluate; name one with spanId`);
}
