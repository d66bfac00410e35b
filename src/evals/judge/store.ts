import { iso, json, nowUs, ts, type EvalConnection } from '../connection.js';
import type { RecordedFailure } from '../providers/errors.js';

/** One judgement as POST /api/traces/:id/judge answers it. */
export interface JudgementRecord {
  id: string;
  traceId: string;
  spanId: string | null;
  metric: string;
  rubric: string | null;
  status: 'ok' | 'failed' | 'error';
  provider: string;
  model: string;
  score: number | null;
  passed: boolean | null;
  reasoning: string | null;
  /** The score written for it (source `judge`); null when the judgement failed. */
  scoreId: string | null;
  error: RecordedFailure | null;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null };
  latencyMs: number | null;
  createdAt: string;
}

export type NewJudgement = Omit<JudgementRecord, 'createdAt'> & { projectId: string; answer: string | null; traceStartedUs: number };

const COLUMNS = `id, trace_id, span_id, metric, rubric, status, provider, model, score, passed, reasoning, error, score_id,
  input_tokens, output_tokens, cost_usd, latency_ms, ${iso('created_at')} AS created_at`;

function toRecord(r: Record<string, unknown>): JudgementRecord {
  return {
    id: String(r.id), traceId: String(r.trace_id), spanId: (r.span_id as string) ?? null, metric: String(r.metric), rubric: (r.rubric as string) ?? null,
    status: r.status as JudgementRecord['status'], provider: String(r.provider), model: String(r.model),
    score: (r.score as number) ?? null, passed: (r.passed as boolean) ?? null, reasoning: (r.reasoning as string) ?? null,
    scoreId: (r.score_id as string) ?? null, error: json(r.error),
    usage: { inputTokens: (r.input_tokens as number) ?? null, outputTokens: (r.output_tokens as number) ?? null, costUsd: (r.cost_usd as number) ?? null },
    latencyMs: (r.latency_ms as number) ?? null, createdAt: String(r.created_at),
  };
}

/** The `eval_judgements` table (migration 12): every judgement, failed ones included; rows leave with their trace at retention. */
export class JudgementTable {
  constructor(private readonly conn: EvalConnection) {}

  insert(j: NewJudgement): Promise<JudgementRecord> {
    return this.conn.serial(async () => {
      await this.conn.run(
        `INSERT INTO eval_judgements VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, ${ts(20)}, ${ts(21)})`,
        [j.id, j.projectId, j.traceId, j.spanId, j.metric, j.rubric, j.status, j.provider, j.model, j.score, j.passed, j.reasoning, j.answer,
          j.error === null ? null : JSON.stringify(j.error), j.scoreId, j.usage.inputTokens, j.usage.outputTokens, j.usage.costUsd, j.latencyMs,
          j.traceStartedUs, nowUs()],
      );
      return toRecord((await this.conn.plain(`SELECT ${COLUMNS} FROM eval_judgements WHERE id = $1`, [j.id]))[0]);
    });
  }
}
