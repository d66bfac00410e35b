import type { EvalConnection } from '../connection.js';

export interface RunAggregates {
  /** Items by state. */
  progress: { total: number; pending: number; running: number; done: number; errors: number; interrupted: number; fraction: number };
  passed: number;
  failed: number;
  /** passed / (passed + failed); null when no item has a verdict. */
  passRate: number | null;
  meanScore: number | null;
  costUsd: number | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: { mean: number | null; p50: number | null; p95: number | null };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * A run's aggregates over its items' current states (so a run in progress
 * shows its progress), in one statement over every item rather than the
 * page of items the answer lists. Percentiles are nearest-rank
 * (quantile_disc) over the model calls' latencies.
 */
export async function runAggregates(conn: EvalConnection, runId: string, total: number): Promise<RunAggregates> {
  const r = (await conn.plain(`
    SELECT count(*) FILTER (WHERE status = 'pending') AS pending, count(*) FILTER (WHERE status = 'running') AS running,
           count(*) FILTER (WHERE status = 'done') AS done, count(*) FILTER (WHERE status = 'error') AS errors,
           count(*) FILTER (WHERE status = 'interrupted') AS interrupted,
           count(*) FILTER (WHERE passed) AS passed, count(*) FILTER (WHERE NOT passed) AS failed,
           avg(score) AS mean_score, sum(cost_usd) AS cost, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
           avg(latency_ms) AS lat_mean, quantile_disc(latency_ms, 0.5) AS p50, quantile_disc(latency_ms, 0.95) AS p95
      FROM eval_run_items WHERE run_id = $1`, [runId]))[0];
  const done = Number(r.done);
  const errors = Number(r.errors);
  const interrupted = Number(r.interrupted);
  const passed = Number(r.passed);
  const failed = Number(r.failed);
  return {
    progress: {
      total, pending: Number(r.pending), running: Number(r.running), done, errors, interrupted,
      fraction: total === 0 ? 1 : (done + errors + interrupted) / total,
    },
    passed,
    failed,
    passRate: passed + failed === 0 ? null : passed / (passed + failed),
    meanScore: num(r.mean_score),
    costUsd: num(r.cost),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    latencyMs: { mean: num(r.lat_mean), p50: num(r.p50), p95: num(r.p95) },
  };
}
