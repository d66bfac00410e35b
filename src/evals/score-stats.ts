import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../analysis/rows.js';

/** Score groups GET /api/stats lists at most (the most frequent first). */
export const MAX_SCORE_GROUPS = 100;

export interface ScoreAggregate {
  name: string;
  source: string;
  dataType: string;
  count: number;
  /** Mean of the values (booleans as 1/0); null for categories. */
  mean: number | null;
  /** Count per category (and per "true"/"false" for booleans). */
  labels: Record<string, number>;
}

/**
 * Scores of the traces started in [fromUs, toUs), per name, source and
 * type. The scores table holds a project's scores within retention and
 * this reads the project's rows only (a few per trace, no payloads), so
 * it is cheap beside the span aggregates of the same answer.
 */
export async function scoreAggregates(conn: DuckDBConnection, projectId: string, fromUs: number, toUs: number): Promise<ScoreAggregate[]> {
  const rows = await queryRows(conn, `
    SELECT name, source, data_type, count(*) AS n, avg(value) AS mean
      FROM scores WHERE project_id = $1 AND trace_started_at >= make_timestamp($2::BIGINT) AND trace_started_at < make_timestamp($3::BIGINT)
     GROUP BY name, source, data_type ORDER BY n DESC, name, source LIMIT ${MAX_SCORE_GROUPS}`, [projectId, fromUs, toUs]);
  const labels = await queryRows(conn, `
    SELECT name, source, data_type, label, count(*) AS n
      FROM scores WHERE project_id = $1 AND label IS NOT NULL AND trace_started_at >= make_timestamp($2::BIGINT) AND trace_started_at < make_timestamp($3::BIGINT)
     GROUP BY ALL`, [projectId, fromUs, toUs]);
  return rows.map((r) => ({
    name: String(r.name), source: String(r.source), dataType: String(r.data_type), count: Number(r.n),
    mean: r.data_type === 'categorical' || r.mean === null ? null : Number(r.mean),
    labels: Object.fromEntries(labels.filter((l) => l.name === r.name && l.source === r.source && l.data_type === r.data_type).map((l) => [String(l.label), Number(l.n)])),
  }));
}
