import { iso, json, nowUs, ts, type EvalConnection } from '../connection.js';
import type { RecordedFailure } from '../providers/errors.js';
import { runAggregates, type RunAggregates } from './summary.js';

export type RunStatus = 'queued' | 'running' | 'completed' | 'interrupted';
export type RunItemStatus = 'pending' | 'running' | 'done' | 'error' | 'interrupted';

export interface RunJudge {
  provider: string;
  model: string;
  rubric: string | null;
}

export interface RunRecord {
  id: string;
  projectId: string;
  datasetId: string;
  status: RunStatus;
  provider: string;
  model: string;
  /** exact_match, contains, none, a judge metric or a rubric's name. */
  metric: string;
  judge: RunJudge | null;
  passThreshold: number;
  concurrency: number;
  total: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface RunItemResult {
  itemId: string;
  position: number;
  status: RunItemStatus;
  output: string | null;
  score: number | null;
  passed: boolean | null;
  reasoning: string | null;
  error: RecordedFailure | null;
  /** Model and judge together. */
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null };
  latencyMs: number | null;
  startedAt: string | null;
  endedAt: string | null;
}

export type ItemOutcome = Omit<RunItemResult, 'itemId' | 'position' | 'startedAt' | 'endedAt'> & { status: 'done' | 'error' };

const RUN_COLUMNS = `id, project_id, dataset_id, status, provider, model, metric, judge, pass_threshold, concurrency, total, error,
  ${iso('created_at')} AS created_at, ${iso('started_at')} AS started_at, ${iso('ended_at')} AS ended_at`;
const ITEM_COLUMNS = `item_id, position, status, output, score, passed, reasoning, error, input_tokens, output_tokens, cost_usd, latency_ms,
  ${iso('started_at')} AS started_at, ${iso('ended_at')} AS ended_at`;

function toRun(r: Record<string, unknown>): RunRecord {
  return {
    id: String(r.id), projectId: String(r.project_id), datasetId: String(r.dataset_id), status: r.status as RunStatus,
    provider: String(r.provider), model: String(r.model), metric: String(r.metric), judge: json(r.judge), passThreshold: Number(r.pass_threshold),
    concurrency: Number(r.concurrency), total: Number(r.total), error: (r.error as string) ?? null,
    createdAt: String(r.created_at), startedAt: (r.started_at as string) ?? null, endedAt: (r.ended_at as string) ?? null,
  };
}

function toItem(r: Record<string, unknown>): RunItemResult {
  return {
    itemId: String(r.item_id), position: Number(r.position), status: r.status as RunItemStatus, output: (r.output as string) ?? null,
    score: (r.score as number) ?? null, passed: (r.passed as boolean) ?? null, reasoning: (r.reasoning as string) ?? null, error: json(r.error),
    usage: { inputTokens: (r.input_tokens as number) ?? null, outputTokens: (r.output_tokens as number) ?? null, costUsd: (r.cost_usd as number) ?? null },
    latencyMs: (r.latency_ms as number) ?? null, startedAt: (r.started_at as string) ?? null, endedAt: (r.ended_at as string) ?? null,
  };
}

/** The `eval_runs` and `eval_run_items` tables (migration 12): every item's state is written as it changes, so a restart finds it. */
export class RunTable {
  constructor(private readonly conn: EvalConnection) {}

  /** A queued run with one pending row per item. */
  create(run: Omit<RunRecord, 'status' | 'error' | 'createdAt' | 'startedAt' | 'endedAt'>, items: ReadonlyArray<{ id: string; position: number }>): Promise<RunRecord> {
    return this.conn.serial(async () => {
      await this.conn.run('BEGIN TRANSACTION');
      try {
        await this.conn.run(`INSERT INTO eval_runs VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, NULL, ${ts(11)}, NULL, NULL)`, [
          run.id, run.projectId, run.datasetId, run.provider, run.model, run.metric, run.judge === null ? null : JSON.stringify(run.judge),
          run.passThreshold, run.concurrency, run.total, nowUs(),
        ]);
        for (const it of items) {
          await this.conn.run(`INSERT INTO eval_run_items (run_id, item_id, position, status) VALUES ($1, $2, $3, 'pending')`, [run.id, it.id, it.position]);
        }
        await this.conn.run('COMMIT');
      } catch (err) {
        await this.conn.run('ROLLBACK').catch(() => {});
        throw err;
      }
      return (await this.get(run.id))!;
    });
  }

  async get(id: string): Promise<RunRecord | null> {
    const rows = await this.conn.plain(`SELECT ${RUN_COLUMNS} FROM eval_runs WHERE id = $1`, [id]);
    return rows.length === 0 ? null : toRun(rows[0]);
  }

  async ofDataset(datasetId: string): Promise<RunRecord[]> {
    return (await this.conn.plain(`SELECT ${RUN_COLUMNS} FROM eval_runs WHERE dataset_id = $1 ORDER BY eval_runs.created_at DESC, id`, [datasetId])).map(toRun);
  }

  /** A page of a run's items in position order. */
  async items(runId: string, limit: number, offset: number): Promise<RunItemResult[]> {
    return (await this.conn.plain(`SELECT ${ITEM_COLUMNS} FROM eval_run_items WHERE run_id = $1 ORDER BY position LIMIT $2 OFFSET $3`, [runId, limit, offset])).map(toItem);
  }

  /** The run's aggregates over all its items (summary.ts). */
  aggregates(run: RunRecord): Promise<RunAggregates> {
    return runAggregates(this.conn, run.id, run.total);
  }

  /** Items of a run still to evaluate, in position order. */
  async pending(runId: string): Promise<Array<{ itemId: string; position: number }>> {
    const rows = await this.conn.plain(`SELECT item_id, position FROM eval_run_items WHERE run_id = $1 AND status = 'pending' ORDER BY position`, [runId]);
    return rows.map((r) => ({ itemId: String(r.item_id), position: Number(r.position) }));
  }

  started(runId: string): Promise<void> {
    return this.conn.serial(() => this.conn.run(`UPDATE eval_runs SET status = 'running', started_at = ${ts(2)} WHERE id = $1`, [runId, nowUs()]));
  }

  itemStarted(runId: string, itemId: string): Promise<void> {
    return this.conn.serial(() => this.conn.run(`UPDATE eval_run_items SET status = 'running', started_at = ${ts(3)} WHERE run_id = $1 AND item_id = $2`, [runId, itemId, nowUs()]));
  }

  itemFinished(runId: string, itemId: string, o: ItemOutcome): Promise<void> {
    return this.conn.serial(() => this.conn.run(
      `UPDATE eval_run_items SET status = $3, output = $4, score = $5, passed = $6, reasoning = $7, error = $8, input_tokens = $9,
         output_tokens = $10, cost_usd = $11, latency_ms = $12, ended_at = ${ts(13)} WHERE run_id = $1 AND item_id = $2`,
      [runId, itemId, o.status, o.output, o.score, o.passed, o.reasoning, o.error === null ? null : JSON.stringify(o.error),
        o.usage.inputTokens, o.usage.outputTokens, o.usage.costUsd, o.latencyMs, nowUs()],
    ));
  }

  finished(runId: string, status: 'completed' | 'interrupted', error: string | null = null): Promise<void> {
    return this.conn.serial(() => this.conn.run(`UPDATE eval_runs SET status = $2, error = $3, ended_at = ${ts(4)} WHERE id = $1`, [runId, status, error, nowUs()]));
  }

  /**
   * Ends every run still queued or running as `interrupted`, with its
   * unfinished items (at start-up: the process that ran them is gone; at
   * shutdown: after the workers stopped). Returns the runs it ended.
   */
  interruptUnfinished(reason: string): Promise<string[]> {
    return this.conn.serial(async () => {
      const ids = (await this.conn.plain(`SELECT id FROM eval_runs WHERE status IN ('queued', 'running')`)).map((r) => String(r.id));
      if (ids.length === 0) return ids;
      const failure = JSON.stringify({ kind: 'interrupted', message: reason });
      const now = nowUs();
      await this.conn.run(
        `UPDATE eval_run_items SET status = 'interrupted', error = $1, ended_at = ${ts(2)}
           WHERE status IN ('pending', 'running') AND run_id IN (SELECT id FROM eval_runs WHERE status IN ('queued', 'running'))`,
        [failure, now],
      );
      await this.conn.run(`UPDATE eval_runs SET status = 'interrupted', error = $1, ended_at = ${ts(2)} WHERE status IN ('queued', 'running')`, [reason, now]);
      return ids;
    });
  }
}
