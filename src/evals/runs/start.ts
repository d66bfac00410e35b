import { randomBytes } from 'node:crypto';
import { invalid } from '../../errors.js';
import type { DatasetTable } from '../datasets.js';
import { judgeModelOf, metricOf, DEFAULT_PASS_THRESHOLD } from '../judge/judge-trace.js';
import type { Providers } from '../providers/index.js';
import type { RunCheck } from './evaluate-item.js';
import type { RunScheduler } from './scheduler.js';
import type { RunRecord, RunTable } from './store.js';

export interface RunAsk {
  model: string;
  provider?: string;
  /** true: the configured judge; an object: that judge model/provider. */
  judge?: boolean | { model?: string; provider?: string };
  metric?: string;
  rubric?: string;
  threshold?: number;
  concurrency?: number;
}

/** Checks that need no judge. */
export const DETERMINISTIC_CHECKS = ['exact_match', 'contains', 'none'] as const;

export interface StartDeps {
  datasets: DatasetTable;
  runs: RunTable;
  scheduler: RunScheduler;
  providers: Providers;
  judgeModel: string;
  defaultConcurrency: number;
}

/**
 * POST /api/datasets/:id/run: checks everything that can be checked
 * before any item is sent (the dataset has items, the model's provider
 * and the judge's have keys, the metric exists), records the run with one
 * pending row per item, and queues it; the answer is the queued run.
 */
export async function startRun(d: StartDeps, projectId: string, datasetId: string, ask: RunAsk): Promise<RunRecord> {
  const dataset = await d.datasets.require(projectId, datasetId);
  if (dataset.itemCount === 0) throw invalid(`dataset ${datasetId} has no items to run; add some with POST /api/datasets/${datasetId}/items`);
  const provider = d.providers.choose(ask.provider, ask.model);
  d.providers.require(provider);
  const items = await d.datasets.keys(datasetId);
  const hasExpected = items.some((i) => i.hasExpected);
  let check: RunCheck;
  let judge: RunRecord['judge'] = null;
  if (ask.judge !== undefined && ask.judge !== false) {
    const j = judgeModelOf(d.providers, ask.judge === true ? {} : ask.judge, d.judgeModel);
    d.providers.require(j.provider);
    const metric = metricOf({ metric: ask.metric, rubric: ask.rubric }, hasExpected);
    check = { kind: 'judge', provider: j.provider, model: j.model, metric };
    judge = { provider: j.provider, model: j.model, rubric: ask.rubric ?? null };
  } else {
    if (ask.rubric !== undefined) throw invalid('a rubric needs a judge: pass "judge": true', [{ path: 'judge', message: 'required with a rubric' }]);
    const m = ask.metric ?? (hasExpected ? 'exact_match' : 'none');
    if (!(DETERMINISTIC_CHECKS as readonly string[]).includes(m)) {
      throw invalid(`metric ${m} needs a judge: pass "judge": true (without one: ${DETERMINISTIC_CHECKS.join(', ')})`, [{ path: 'metric', message: 'needs a judge' }]);
    }
    check = { kind: m as 'exact_match' | 'contains' | 'none' };
  }
  const run = await d.runs.create({
    id: `run_${randomBytes(8).toString('hex')}`, projectId, datasetId, provider, model: ask.model,
    metric: check.kind === 'judge' ? check.metric.name : check.kind, judge, passThreshold: ask.threshold ?? DEFAULT_PASS_THRESHOLD,
    concurrency: ask.concurrency ?? d.defaultConcurrency, total: items.length,
  }, items.map((i) => ({ id: i.id, position: i.position })));
  d.scheduler.enqueue(run.id, check);
  return run;
}
