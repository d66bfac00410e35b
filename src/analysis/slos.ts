import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { SloRecord } from '../store/slos.js';
import { queryRows } from './rows.js';
import { isoUs } from './window.js';

const HOUR_US = 3_600_000_000;

export interface SloStatus extends SloRecord {
  /** success_rate: the fraction of the agent's spans not in error; latency_p99: their p99 duration, ms; null without spans. */
  current_value: number | null;
  /** Spans of the agent in the window. */
  sample_count: number;
  status: 'ok' | 'breached' | 'no_data';
  window_start: string;
  evaluated_at: string;
}

/**
 * Evaluates SLOs against the spans their agent produced (spans whose own
 * `agent_name` is the SLO's) in the last `window_hours` before `nowUs`, all
 * in one scan: success_rate = 1 − error spans / spans (cancelled and unset
 * count as successes), met at or above the threshold; latency_p99 = the
 * 99th percentile of their durations (linear interpolation), met at or
 * below it. No spans: `no_data`.
 */
export async function evaluateSlos(conn: DuckDBConnection, slos: readonly SloRecord[], nowUs: number): Promise<SloStatus[]> {
  if (slos.length === 0) return [];
  const params: DuckDBValue[] = [nowUs];
  const values = slos.map((s) => {
    params.push(s.slo_id, s.project_id, s.agent_name, nowUs - s.window_hours * HOUR_US);
    const n = params.length;
    return `($${n - 3}, $${n - 2}, $${n - 1}, $${n}::BIGINT)`;
  });
  const earliest = Math.min(...slos.map((s) => nowUs - s.window_hours * HOUR_US));
  params.push(earliest);
  const rows = await queryRows(conn, `
    WITH l AS (SELECT * FROM (VALUES ${values.join(', ')}) v(slo_id, project_id, agent_name, from_us)),
    s AS (
      SELECT project_id, agent_name, epoch_us(started_at) AS started_us, status, duration_ms FROM all_spans
      WHERE started_at >= make_timestamp($${params.length}::BIGINT) AND started_at < make_timestamp($1::BIGINT)
        AND project_id IN (SELECT project_id FROM l) AND agent_name IN (SELECT agent_name FROM l))
    SELECT l.slo_id, count(s.status) AS n, count(*) FILTER (WHERE s.status = 'error') AS errors,
      quantile_cont(s.duration_ms, 0.99) AS p99
    FROM l LEFT JOIN s ON s.project_id = l.project_id AND s.agent_name = l.agent_name AND s.started_us >= l.from_us
    GROUP BY l.slo_id`, params);
  const byId = new Map(rows.map((r) => [String(r.slo_id), r]));
  const evaluatedAt = isoUs(nowUs);
  return slos.map((slo) => {
    const r = byId.get(slo.slo_id);
    const n = r ? Number(r.n) : 0;
    let value: number | null = null;
    if (n > 0) value = slo.metric === 'success_rate' ? 1 - Number(r!.errors) / n : Number(r!.p99);
    const met = value === null ? null : slo.metric === 'success_rate' ? value >= slo.threshold : value <= slo.threshold;
    return {
      ...slo,
      current_value: value,
      sample_count: n,
      status: met === null ? 'no_data' : met ? 'ok' : 'breached',
      window_start: isoUs(nowUs - slo.window_hours * HOUR_US),
      evaluated_at: evaluatedAt,
    };
  });
}
