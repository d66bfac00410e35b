import { randomBytes } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

export type SloMetric = 'success_rate' | 'latency_p99';
export const SLO_METRICS: readonly [SloMetric, ...SloMetric[]] = ['success_rate', 'latency_p99'];

/** An SLO as langsight-api.txt shows it (snake_case), with its creation and last change. */
export interface SloRecord {
  slo_id: string;
  project_id: string;
  agent_name: string;
  metric: SloMetric;
  /** success_rate: the lowest acceptable fraction (0-1); latency_p99: the highest acceptable p99, ms. */
  threshold: number;
  window_hours: number;
  created_at: string;
  updated_at: string;
}

export type SloFields = Pick<SloRecord, 'project_id' | 'agent_name' | 'metric' | 'threshold' | 'window_hours'>;

/** SLO definitions kept at most: a config-like table, and every one is evaluated by GET /api/slos/status. */
export const MAX_SLOS = 1000;

const ISO = '%Y-%m-%dT%H:%M:%S.%fZ';
const SELECT = `SELECT slo_id, project_id, agent_name, metric, threshold, window_hours,
  strftime(created_at, '${ISO}') AS created_at, strftime(updated_at, '${ISO}') AS updated_at FROM slos`;
const FIELDS = ['project_id', 'agent_name', 'metric', 'threshold', 'window_hours'] as const;

/**
 * The `slos` table (migration 8). The loader owns the writer connection, so
 * each call opens a short-lived connection of its own (nothing to close at
 * shutdown); changes are serialized so the count check on create cannot
 * interleave with another.
 */
export class SloTable {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly instance: DuckDBInstance) {}

  /** Every SLO (of one project when given), oldest first. */
  async list(projectId?: string): Promise<SloRecord[]> {
    const rows = projectId === undefined
      ? await this.rows(`${SELECT} ORDER BY created_at, slo_id`)
      : await this.rows(`${SELECT} WHERE project_id = $1 ORDER BY created_at, slo_id`, [projectId]);
    return rows;
  }

  async get(id: string): Promise<SloRecord | null> {
    return (await this.rows(`${SELECT} WHERE slo_id = $1`, [id]))[0] ?? null;
  }

  /** Adds an SLO with a new id; null when MAX_SLOS exist already. */
  create(fields: SloFields): Promise<SloRecord | null> {
    return this.serial(async () => {
      const n = Number((await this.with((c) => c.runAndReadAll('SELECT count(*) FROM slos'))).getRows()[0][0]);
      if (n >= MAX_SLOS) return null;
      const id = `slo-${randomBytes(6).toString('hex')}`;
      const now = Date.now() * 1000;
      await this.with((c) => c.run(
        `INSERT INTO slos VALUES ($1, $2, $3, $4, $5, $6, make_timestamp($7::BIGINT), make_timestamp($7::BIGINT))`,
        [id, fields.project_id, fields.agent_name, fields.metric, fields.threshold, fields.window_hours, now],
      ));
      return this.get(id);
    });
  }

  /** Sets the given fields; null when the SLO is unknown. */
  update(id: string, fields: Partial<SloFields>): Promise<SloRecord | null> {
    return this.serial(async () => {
      if ((await this.get(id)) === null) return null;
      const params: DuckDBValue[] = [id, Date.now() * 1000];
      const sets = ['updated_at = make_timestamp($2::BIGINT)'];
      for (const f of FIELDS) {
        const v = fields[f];
        if (v === undefined) continue;
        params.push(v);
        sets.push(`${f} = $${params.length}`);
      }
      await this.with((c) => c.run(`UPDATE slos SET ${sets.join(', ')} WHERE slo_id = $1`, params));
      return this.get(id);
    });
  }

  /** Deletes an SLO; false when unknown. */
  remove(id: string): Promise<boolean> {
    return this.serial(async () => {
      if ((await this.get(id)) === null) return false;
      await this.with((c) => c.run('DELETE FROM slos WHERE slo_id = $1', [id]));
      return true;
    });
  }

  private async with<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.instance.connect();
    try {
      return await fn(conn);
    } finally {
      conn.closeSync();
    }
  }

  private async rows(sql: string, params: DuckDBValue[] = []): Promise<SloRecord[]> {
    const rows = (await this.with((c) => c.runAndReadAll(sql, params))).getRowObjects();
    return rows.map((r) => ({
      slo_id: String(r.slo_id),
      project_id: String(r.project_id),
      agent_name: String(r.agent_name),
      metric: String(r.metric) as SloMetric,
      threshold: Number(r.threshold),
      window_hours: Number(r.window_hours),
      created_at: String(r.created_at),
      updated_at: String(r.updated_at),
    }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}
