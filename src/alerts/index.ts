import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LookspanConfig } from '../config/index.js';
import type { Broadcaster } from '../live/broadcaster.js';
import { Alerter } from './alerter.js';
import { AlertStore } from './store.js';
import { RuleEvaluator, type ScheduledSources } from './rules.js';
import { PreventionStore } from './prevention/store.js';
import { PreventionEngine } from './prevention/engine.js';

/** Tagged sessions kept, as a multiple of the alert history (the table grows with sessions that break rules). */
const VIOLATIONS_PER_HISTORY_ROW = 10;

/** The alerting stage as the composition root wires it. */
export interface Alerting {
  store: AlertStore;
  alerter: Alerter;
  evaluator: RuleEvaluator;
  prevention: PreventionStore;
  engine: PreventionEngine;
  /** Counts for /metrics. */
  stats(): AlertStats;
  /** Stops the schedule, the engine and deliveries, then closes its connections; safe to call twice. */
  close(): Promise<void>;
}

export interface AlertStats {
  triggered: number;
  resolved: number;
  deliveries: { delivered: number; failed: number; retried: number; dropped: number; blocked: number };
  pendingDeliveries: number;
  violations: number;
  skippedSpans: number;
}

/** Opens the alert and prevention tables and starts the scheduled rules. */
export async function openAlerting(instance: DuckDBInstance, config: LookspanConfig['alerts'], broadcaster: Broadcaster | null, sources: ScheduledSources, log?: Logger): Promise<Alerting> {
  const store = await AlertStore.open(instance, config.historyMax);
  const alerter = await Alerter.open(store, broadcaster, config.outbound, config.delivery, log);
  const prevention = await PreventionStore.open(instance);
  const engine = new PreventionEngine(prevention, alerter, broadcaster, {
    maxTrackedSessions: config.maxTrackedSessions, mcpDownAfterFailures: config.mcpDownAfterFailures,
  }, log);
  const reads: DuckDBConnection = await instance.connect();
  const evaluator = new RuleEvaluator(reads, store, alerter, sources, log);
  evaluator.start(config.evaluateIntervalSeconds);
  const pruner = setInterval(() => {
    prevention.prune(config.historyMax * VIOLATIONS_PER_HISTORY_ROW).catch((err) => log?.error({ err }, 'pruning tagged sessions failed'));
  }, 3_600_000);
  pruner.unref();
  let closing: Promise<void> | null = null;
  return {
    store, alerter, evaluator, prevention, engine,
    stats: () => ({
      ...alerter.counters, deliveries: { ...alerter.deliveries.counters }, pendingDeliveries: alerter.deliveries.pending,
      violations: engine.counters.violations, skippedSpans: engine.counters.skipped,
    }),
    close: () => {
      closing ??= (async () => {
        clearInterval(pruner);
        await evaluator.close();
        await engine.idle().catch(() => {});
        engine.close();
        alerter.close();
        await store.close();
        await prevention.close();
        reads.closeSync();
      })();
      return closing;
    },
  };
}
