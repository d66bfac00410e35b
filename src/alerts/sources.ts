import type { DuckDBInstance } from '@duckdb/node-api';
import { evaluateSlos } from '../analysis/slos.js';
import { detectAnomalies, type AnomalySettings } from '../analysis/anomalies.js';
import { SloTable } from '../store/slos.js';
import type { ScheduledSources } from './rules.js';

/** Anomalies scored per project and run; the critical ones alert. */
const ANOMALY_LIMIT = 200;

/**
 * The scheduled rules' view of the SLOs (src/store/slos.ts,
 * src/analysis/slos.ts) and the anomaly detector (src/analysis/anomalies.ts,
 * with the settings of GET /api/reliability/anomalies): slo_breached and
 * anomaly_critical alerts come from the same computations those routes show.
 */
export function analysisSources(instance: DuckDBInstance, anomalies: AnomalySettings): ScheduledSources {
  const slos = new SloTable(instance);
  return {
    slos: async (conn, nowUs) => evaluateSlos(conn, await slos.list(), nowUs),
    anomalies: async (conn, projectId, nowUs) => (await detectAnomalies(conn, { ...anomalies, projectId, nowUs, limit: ANOMALY_LIMIT })).anomalies,
  };
}
