import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LookspanConfig } from '../config/index.js';
import type { CostModel } from '../enrich/cost.js';
import type { SpanSink } from '../receivers/sink.js';
import type { Database } from '../store/index.js';
import { EvalConnection } from './connection.js';
import { DatasetTable } from './datasets.js';
import { JudgementTable } from './judge/store.js';
import { Providers } from './providers/index.js';
import type { RetryPolicy } from './providers/retry.js';
import { ReplayTable } from './replay/store.js';
import { pruneExpired } from './retention.js';
import { RunScheduler } from './runs/scheduler.js';
import { RunTable } from './runs/store.js';
import { ScoreTable } from './scores.js';

const PRUNE_EVERY_MS = 3_600_000;

/** Everything the evaluation routes need, built once in the composition root. */
export interface Evals {
  db: Database;
  providers: Providers;
  costs: CostModel;
  sink: SpanSink;
  scores: ScoreTable;
  replays: ReplayTable;
  judgements: JudgementTable;
  datasets: DatasetTable;
  runs: RunTable;
  scheduler: RunScheduler;
  config: LookspanConfig['evals'];
  payloadMaxBytes: number;
  log: Logger;
  /** Stops the runs (marking them interrupted) and closes the tables' connection; safe to call twice. */
  close(): Promise<void>;
}

export interface EvalsDeps {
  instance: DuckDBInstance;
  db: Database;
  config: LookspanConfig;
  costs: CostModel;
  /** The pipeline: evaluations trace their own calls through its entry. */
  sink: SpanSink;
  log: Logger;
  /** Tests record the backoff delays instead of waiting them. */
  retry?: Partial<Pick<RetryPolicy, 'sleep' | 'random'>>;
}

/** Opens the evaluation stage: its tables, the providers from `evals`, the run scheduler (after marking runs a gone process left unfinished). */
export async function openEvals(d: EvalsDeps): Promise<Evals> {
  const conn = await EvalConnection.open(d.instance);
  const providers = new Providers(d.config.evals, d.retry);
  const datasets = new DatasetTable(conn);
  const runs = new RunTable(conn);
  const log = d.log.child({ stage: 'evals' });
  const scheduler = new RunScheduler({ runs, datasets, providers, costs: d.costs, maxActiveRuns: d.config.evals.maxActiveRuns, log });
  const interrupted = await scheduler.recover();
  if (interrupted.length > 0) log.warn({ runs: interrupted }, 'evaluation runs left unfinished by the previous process are marked interrupted');
  const { retentionDays, retentionByProject } = d.config.storage;
  const prune = () => pruneExpired(conn, retentionDays, retentionByProject).catch((err) => log.error({ err }, 'pruning expired scores, replays and judgements failed; retried within the hour'));
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  if (retentionDays > 0 || Object.keys(retentionByProject).length > 0) void prune();
  let closing: Promise<void> | null = null;
  return {
    db: d.db, providers, costs: d.costs, sink: d.sink, scores: new ScoreTable(conn), replays: new ReplayTable(conn), judgements: new JudgementTable(conn),
    datasets, runs, scheduler, config: d.config.evals, payloadMaxBytes: d.config.limits.payloadMaxBytes, log,
    close: () => {
      closing ??= (async () => {
        clearInterval(timer);
        await scheduler.stop();
        await conn.close();
      })();
      return closing;
    },
  };
}
