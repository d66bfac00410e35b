import { iso, json, nowUs, ts, type EvalConnection } from '../connection.js';
import type { AnswerDiff } from '../diff.js';
import type { RecordedFailure } from '../providers/errors.js';
import type { ChatRequest, ToolCall } from '../providers/types.js';
import type { OriginalAnswer } from './rebuild.js';

/** One replay as GET /api/traces/:id/replays lists it. */
export interface ReplayRecord {
  id: string;
  traceId: string;
  spanId: string;
  convention: string;
  status: 'ok' | 'error';
  provider: string;
  model: string;
  originalModel: string | null;
  request: Omit<ChatRequest, 'model'> & { dropped: string[]; skipped: string[] };
  output: { text: string | null; toolCalls: ToolCall[]; finishReason: string | null } | null;
  original: OriginalAnswer;
  diff: AnswerDiff | null;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null };
  latencyMs: number | null;
  error: RecordedFailure | null;
  /** The replay's own span, in session `replay`. */
  replayTraceId: string | null;
  replaySpanId: string | null;
  createdAt: string;
}

export type NewReplay = Omit<ReplayRecord, 'createdAt'> & { projectId: string; traceStartedUs: number };

/** Replays listed per trace at most (newest first). */
export const MAX_LISTED_REPLAYS = 200;

const COLUMNS = `id, trace_id, span_id, convention, status, provider, model, original_model, request, output, diff, input_tokens, output_tokens,
  cost_usd, latency_ms, original, error, replay_trace_id, replay_span_id, ${iso('created_at')} AS created_at`;

function toRecord(r: Record<string, unknown>): ReplayRecord {
  return {
    id: String(r.id), traceId: String(r.trace_id), spanId: String(r.span_id), convention: String(r.convention),
    status: r.status as ReplayRecord['status'], provider: String(r.provider), model: String(r.model), originalModel: (r.original_model as string) ?? null,
    request: json(r.request)!, output: json(r.output), original: json(r.original)!, diff: json(r.diff),
    usage: { inputTokens: (r.input_tokens as number) ?? null, outputTokens: (r.output_tokens as number) ?? null, costUsd: (r.cost_usd as number) ?? null },
    latencyMs: (r.latency_ms as number) ?? null, error: json(r.error), replayTraceId: (r.replay_trace_id as string) ?? null,
    replaySpanId: (r.replay_span_id as string) ?? null, createdAt: String(r.created_at),
  };
}

/** The `eval_replays` table (migration 12); rows leave with their trace at retention. */
export class ReplayTable {
  constructor(private readonly conn: EvalConnection) {}

  insert(r: NewReplay): Promise<ReplayRecord> {
    return this.conn.serial(async () => {
      await this.conn.run(
        `INSERT INTO eval_replays VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, ${ts(23)}, ${ts(24)})`,
        [r.id, r.projectId, r.traceId, r.spanId, r.convention, r.status, r.provider, r.model, r.originalModel, JSON.stringify(r.request),
          r.output === null ? null : JSON.stringify(r.output), r.original.text, r.diff === null ? null : JSON.stringify(r.diff), r.output?.finishReason ?? null,
          r.usage.inputTokens, r.usage.outputTokens, r.usage.costUsd, r.latencyMs, JSON.stringify(r.original),
          r.error === null ? null : JSON.stringify(r.error), r.replayTraceId, r.replaySpanId, r.traceStartedUs, nowUs()],
      );
      return toRecord((await this.conn.plain(`SELECT ${COLUMNS} FROM eval_replays WHERE id = $1`, [r.id]))[0]);
    });
  }

  /** A trace's replays, newest first. */
  async ofTrace(projectId: string, traceId: string): Promise<ReplayRecord[]> {
    const rows = await this.conn.plain(
      `SELECT ${COLUMNS} FROM eval_replays WHERE project_id = $1 AND trace_id = $2 ORDER BY eval_replays.created_at DESC, id LIMIT ${MAX_LISTED_REPLAYS}`,
      [projectId, traceId],
    );
    return rows.map(toRecord);
  }
}
