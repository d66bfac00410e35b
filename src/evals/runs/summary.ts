import type { RunItemResult, RunRecord } from './store.js';

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

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** A run's aggregates over its items' current states (so a run in progress shows its progress). */
export function aggregates(run: RunRecord, items: readonly RunItemResult[]): RunAggregates {
  const count = (s: RunItemResult['status']) => items.filter((i) => i.status === s).length;
  const finished = items.filter((i) => i.status === 'done' || i.status === 'error' || i.status === 'interrupted').length;
  const verdicts = items.filter((i) => i.passed !== null);
  const passed = verdicts.filter((i) => i.passed === true).length;
  const scores = items.flatMap((i) => (i.score === null ? [] : [i.score]));
  const costs = items.flatMap((i) => (i.usage.costUsd === null ? [] : [i.usage.costUsd]));
  const latencies = items.flatMap((i) => (i.latencyMs === null ? [] : [i.latencyMs])).sort((a, b) => a - b);
  return {
    progress: {
      total: run.total, pending: count('pending'), running: count('running'), done: count('done'), errors: count('error'), interrupted: count('interrupted'),
      fraction: run.total === 0 ? 1 : finished / run.total,
    },
    passed,
    failed: verdicts.length - passed,
    passRate: verdicts.length === 0 ? null : passed / verdicts.length,
    meanScore: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length,
    costUsd: costs.length === 0 ? null : costs.reduce((a, b) => a + b, 0),
    inputTokens: items.reduce((a, i) => a + (i.usage.inputTokens ?? 0), 0),
    outputTokens: items.reduce((a, i) => a + (i.usage.outputTokens ?? 0), 0),
    latencyMs: { mean: latencies.length === 0 ? null : latencies.reduce((a, b) => a + b, 0) / latencies.length, p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
  };
}
