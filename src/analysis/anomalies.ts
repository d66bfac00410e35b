import type { DuckDBConnection } from '@duckdb/node-api';
import { ATTRIBUTED_SPANS_CTE } from './attribution.js';
import { queryRows } from './rows.js';
import { isoUs } from './window.js';

const HOUR_US = 3_600_000_000;

/** The detector's settings (`analysis.anomalies` in the config; the route may override the windows and zThreshold). */
export interface AnomalySettings {
  currentHours: number;
  baselineHours: number;
  zThreshold: number;
  criticalZThreshold: number;
  minCurrentCalls: number;
  minBaselineBuckets: number;
  errorRateMinStddev: number;
  latencyMinStddevRatio: number;
}

export type AnomalyMetric = 'error_rate' | 'latency_p99';

/** The anomaly object of langsight-api.txt, plus what it was computed from. */
export interface Anomaly {
  /** `tool`: one MCP server's tool; `model`: one agent's calls to one model. */
  kind: 'tool' | 'model';
  server_name: string | null;
  tool_name: string | null;
  agent_name: string | null;
  model_id: string | null;
  metric: AnomalyMetric;
  z_score: number;
  current_value: number;
  baseline_value: number;
  baseline_stddev: number;
  severity: 'warning' | 'critical';
  current_calls: number;
  baseline_calls: number;
  baseline_buckets: number;
  detected_at: string;
}

export interface AnomalyReport {
  anomalies: Anomaly[];
  hasMore: boolean;
  /** Groups with enough data to be scored. */
  groupsScored: number;
  currentStart: string;
  baselineStart: string;
  evaluatedAt: string;
}

/**
 * Z-scores of the current window against a baseline of equal-length
 * buckets before it. Groups: each (server, tool) of tool spans and each
 * (agent, model) of model calls (llm_call and embedding spans; the agent
 * attributed as the cost breakdown does). Per group and bucket: the error
 * rate and the p99 duration (linear interpolation); a bucket without calls
 * is no sample. z = (current − mean of the buckets) / their sample
 * standard deviation, the deviation floored (error rate: at
 * `errorRateMinStddev`; p99: at `latencyMinStddevRatio` of the mean, and
 * 1 ms) so a baseline that never varied still scores a change. Only
 * degradations count (z at or above the threshold; higher error rate or
 * latency), critical from `criticalZThreshold`. Groups with fewer than
 * `minCurrentCalls` calls now or `minBaselineBuckets` baseline buckets are
 * not scored.
 */
export async function detectAnomalies(
  conn: DuckDBConnection, q: AnomalySettings & { projectId: string; nowUs: number; limit: number; kind?: 'tool' | 'model' },
): Promise<AnomalyReport> {
  const len = q.currentHours * HOUR_US;
  const curStart = q.nowUs - len;
  const buckets = Math.max(1, Math.floor(q.baselineHours / q.currentHours));
  const baseStart = curStart - buckets * len;
  const rows = await queryRows(conn, `
    WITH ${ATTRIBUTED_SPANS_CTE},
    k AS (
      SELECT 'tool' AS kind, server_name AS k1, tool_name AS k2, status, duration_ms, started_at FROM a WHERE tool_name IS NOT NULL
      UNION ALL
      SELECT 'model', agent, model, status, duration_ms, started_at FROM a WHERE model IS NOT NULL AND type IN ('llm_call', 'embedding')),
    b AS (
      SELECT kind, k1, k2,
        CASE WHEN epoch_us(started_at) >= $4 THEN 0 ELSE 1 + ($4 - 1 - epoch_us(started_at)) // $5 END AS bucket,
        count(*) AS n, count(*) FILTER (WHERE status = 'error') / count(*) AS err, quantile_cont(duration_ms, 0.99) AS p99
      FROM k GROUP BY ALL)
    SELECT kind, k1, k2,
      max(n) FILTER (WHERE bucket = 0) AS cur_n, max(err) FILTER (WHERE bucket = 0) AS cur_err, max(p99) FILTER (WHERE bucket = 0) AS cur_p99,
      count(*) FILTER (WHERE bucket > 0) AS base_buckets, coalesce(sum(n) FILTER (WHERE bucket > 0), 0) AS base_n,
      avg(err) FILTER (WHERE bucket > 0) AS err_mean, coalesce(stddev_samp(err) FILTER (WHERE bucket > 0), 0) AS err_sd,
      avg(p99) FILTER (WHERE bucket > 0) AS p99_mean, coalesce(stddev_samp(p99) FILTER (WHERE bucket > 0), 0) AS p99_sd
    FROM b GROUP BY kind, k1, k2
    HAVING max(n) FILTER (WHERE bucket = 0) >= $6 AND count(*) FILTER (WHERE bucket > 0) >= $7`,
  [q.projectId, baseStart, q.nowUs, curStart, len, q.minCurrentCalls, q.minBaselineBuckets]);

  const detectedAt = isoUs(q.nowUs);
  const found: Anomaly[] = [];
  let scored = 0;
  for (const r of rows) {
    const kind = r.kind as 'tool' | 'model';
    if (q.kind !== undefined && kind !== q.kind) continue;
    scored++;
    const base = {
      kind,
      server_name: kind === 'tool' ? ((r.k1 as string) ?? null) : null,
      tool_name: kind === 'tool' ? String(r.k2) : null,
      agent_name: kind === 'model' ? ((r.k1 as string) ?? null) : null,
      model_id: kind === 'model' ? String(r.k2) : null,
      current_calls: Number(r.cur_n),
      baseline_calls: Number(r.base_n),
      baseline_buckets: Number(r.base_buckets),
      detected_at: detectedAt,
    };
    const metrics: Array<[AnomalyMetric, number, number, number, number]> = [
      ['error_rate', Number(r.cur_err), Number(r.err_mean), Number(r.err_sd), q.errorRateMinStddev],
      ['latency_p99', Number(r.cur_p99), Number(r.p99_mean), Number(r.p99_sd), Math.max(1, q.latencyMinStddevRatio * Number(r.p99_mean))],
    ];
    for (const [metric, current, mean, sd, floor] of metrics) {
      const z = (current - mean) / Math.max(sd, floor);
      if (!(z >= q.zThreshold)) continue;
      found.push({
        ...base, metric, z_score: round9(z), current_value: round9(current), baseline_value: round9(mean), baseline_stddev: round9(sd),
        severity: z >= q.criticalZThreshold ? 'critical' : 'warning',
      });
    }
  }
  found.sort((x, y) => y.z_score - x.z_score || key(x).localeCompare(key(y)));
  return {
    anomalies: found.slice(0, q.limit),
    hasMore: found.length > q.limit,
    groupsScored: scored,
    currentStart: isoUs(curStart),
    baselineStart: isoUs(baseStart),
    evaluatedAt: detectedAt,
  };
}

/** Rounded to 1e-9, so the order DuckDB adds the buckets in (hot rows, lake files) never shows in the answer. */
const round9 = (x: number) => Math.round(x * 1e9) / 1e9;

const key = (a: Anomaly) => [a.kind, a.server_name, a.tool_name, a.agent_name, a.model_id, a.metric].map((v) => v ?? '').join('\u0000');
