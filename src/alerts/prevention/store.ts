import type { DuckDBInstance } from '@duckdb/node-api';
import { z } from 'zod';
import { SerialConnection, isoMs, jsonColumn } from '../serial-connection.js';
import { newId } from '../store.js';

/** The project default's agent name (langsight-api.txt). */
export const PROJECT_DEFAULT_AGENT = '*';

const positive = z.number().positive();

/** The fields of the prevention config object (langsight-api.txt); a PUT may give any subset. A limit of null is no limit. */
export const PreventionFieldsInput = z.strictObject({
  loop_enabled: z.boolean(),
  loop_threshold: z.number().int().min(2).max(10_000),
  loop_action: z.enum(['terminate', 'warn']),
  max_steps: z.number().int().positive().nullable(),
  max_cost_usd: positive.nullable(),
  max_wall_time_s: positive.nullable(),
  budget_soft_alert: z.number().gt(0).max(1),
  cb_enabled: z.boolean(),
  cb_failure_threshold: z.number().int().min(1).max(10_000),
  cb_cooldown_seconds: z.number().min(0).max(86_400),
  cb_half_open_max_calls: z.number().int().min(1).max(10_000),
}).partial();

export type PreventionFields = Required<z.infer<typeof PreventionFieldsInput>>;

/** What applies to an agent with no config of its own and no project default. */
export const DEFAULT_PREVENTION: PreventionFields = {
  loop_enabled: true, loop_threshold: 5, loop_action: 'terminate',
  max_steps: null, max_cost_usd: null, max_wall_time_s: null, budget_soft_alert: 0.8,
  cb_enabled: true, cb_failure_threshold: 5, cb_cooldown_seconds: 60, cb_half_open_max_calls: 2,
};

/** The config object as the routes show it: every field, the row's own or inherited. */
export interface PreventionConfigView extends PreventionFields {
  id: string;
  project_id: string;
  agent_name: string;
  created_at: string;
  updated_at: string;
}

interface Row {
  id: string;
  project_id: string;
  agent_name: string;
  /** Only the fields set on this row. */
  fields: Partial<PreventionFields>;
  created_at: string;
  updated_at: string;
}

/** One session's prevention verdict (`session_prevention`). */
export interface SessionViolation {
  project_id: string;
  session_id: string;
  health_tag: string;
  rule: string;
  agent_name: string | null;
  detail: Record<string, unknown>;
  set_at: string;
}

const key = (project: string, agent: string) => `${project}\u0000${agent}`;

/**
 * Prevention configs (`prevention_configs`, one row per project and agent,
 * `*` the project default) and the sessions a rule tagged
 * (`session_prevention`). Every row is held in memory as well, so the
 * engine resolves a span's config without a query.
 */
export class PreventionStore {
  private readonly rows = new Map<string, Row>();

  private constructor(private readonly db: SerialConnection) {}

  static async open(instance: DuckDBInstance): Promise<PreventionStore> {
    const s = new PreventionStore(await SerialConnection.open(instance));
    for (const r of await s.db.rows(`SELECT id, project_id, agent_name, fields, ${isoMs('created_at')} AS created_at, ${isoMs('updated_at')} AS updated_at FROM prevention_configs`)) {
      const row: Row = { id: r.id as string, project_id: r.project_id as string, agent_name: r.agent_name as string, fields: jsonColumn(r.fields, {}), created_at: r.created_at as string, updated_at: r.updated_at as string };
      s.rows.set(key(row.project_id, row.agent_name), row);
    }
    return s;
  }

  /** The fields that apply to `agent` in `project`: its own, else the project default's, else the built-in default. */
  effective(project: string, agent: string | null): PreventionFields {
    return {
      ...DEFAULT_PREVENTION,
      ...this.rows.get(key(project, PROJECT_DEFAULT_AGENT))?.fields,
      ...(agent !== null && agent !== PROJECT_DEFAULT_AGENT ? this.rows.get(key(project, agent))?.fields : {}),
    };
  }

  /** The row of `agent` (or `*`) with every field filled as it applies; null when it has no row. */
  get(project: string, agent: string): PreventionConfigView | null {
    const row = this.rows.get(key(project, agent));
    if (!row) return null;
    return { id: row.id, project_id: project, agent_name: agent, ...this.effective(project, agent), created_at: row.created_at, updated_at: row.updated_at };
  }

  /** Creates the row or updates only the fields given. */
  put(project: string, agent: string, fields: Partial<PreventionFields>): Promise<{ view: PreventionConfigView; created: boolean }> {
    return this.db.serial(async () => {
      const cur = this.rows.get(key(project, agent));
      const now = new Date().toISOString();
      const row: Row = cur
        ? { ...cur, fields: { ...cur.fields, ...fields }, updated_at: now }
        : { id: newId('pvc'), project_id: project, agent_name: agent, fields: { ...fields }, created_at: now, updated_at: now };
      await this.db.run(`INSERT INTO prevention_configs VALUES ($1, $2, $3, $4, make_timestamp($5::BIGINT), make_timestamp($6::BIGINT))
        ON CONFLICT (id) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at`,
      [row.id, project, agent, JSON.stringify(row.fields), Date.parse(row.created_at) * 1000, Date.parse(row.updated_at) * 1000]);
      this.rows.set(key(project, agent), row);
      return { view: this.get(project, agent)!, created: !cur };
    });
  }

  remove(project: string, agent: string): Promise<boolean> {
    return this.db.serial(async () => {
      if (!this.rows.has(key(project, agent))) return false;
      await this.db.run('DELETE FROM prevention_configs WHERE project_id = $1 AND agent_name = $2', [project, agent]);
      this.rows.delete(key(project, agent));
      return true;
    });
  }

  /** Records a session's tag (the caller only calls it when the tag outranks the one recorded). */
  tagSession(v: Omit<SessionViolation, 'set_at'>): Promise<void> {
    return this.db.serial(() => this.db.run(`INSERT INTO session_prevention VALUES ($1, $2, $3, $4, $5, $6, make_timestamp($7::BIGINT))
      ON CONFLICT (project_id, session_id) DO UPDATE SET health_tag = excluded.health_tag, rule = excluded.rule,
        agent_name = excluded.agent_name, detail = excluded.detail, set_at = excluded.set_at`,
    [v.project_id, v.session_id, v.health_tag, v.rule, v.agent_name, JSON.stringify(v.detail), Date.now() * 1000]));
  }

  /**
   * Tags a session unless it already has a verdict (the MCP schema_drift tag
   * is the weakest: a loop or budget verdict set before or after wins).
   * True when the tag was set.
   */
  tagSessionIfUntagged(v: Omit<SessionViolation, 'set_at'>): Promise<boolean> {
    return this.db.serial(async () => {
      const rows = await this.db.rows(`INSERT INTO session_prevention VALUES ($1, $2, $3, $4, $5, $6, make_timestamp($7::BIGINT))
        ON CONFLICT (project_id, session_id) DO NOTHING RETURNING session_id`,
      [v.project_id, v.session_id, v.health_tag, v.rule, v.agent_name, JSON.stringify(v.detail), Date.now() * 1000]);
      return rows.length > 0;
    });
  }

  /** Tagged sessions of a project, newest first (or the one named). */
  async violations(project: string, q: { sessionId?: string; limit: number; offset: number }): Promise<SessionViolation[]> {
    const params = q.sessionId === undefined ? [project, q.limit, q.offset] : [project, q.sessionId, q.limit, q.offset];
    const n = params.length;
    const rows = await this.db.rows(`SELECT project_id, session_id, health_tag, rule, agent_name, detail, ${isoMs('set_at')} AS set_at
      FROM session_prevention WHERE project_id = $1 ${q.sessionId === undefined ? '' : 'AND session_id = $2'}
      ORDER BY set_at DESC, session_id LIMIT $${n - 1} OFFSET $${n}`, params);
    return rows.map((r) => ({
      project_id: r.project_id as string, session_id: r.session_id as string, health_tag: r.health_tag as string, rule: r.rule as string,
      agent_name: (r.agent_name as string) ?? null, detail: jsonColumn(r.detail, {}), set_at: r.set_at as string,
    }));
  }

  /** Keeps the newest `max` tagged sessions (the table grows with traffic that breaks rules). */
  prune(max: number): Promise<void> {
    return this.db.serial(() => this.db.run(`DELETE FROM session_prevention WHERE (project_id, session_id) NOT IN (
      SELECT project_id, session_id FROM session_prevention ORDER BY set_at DESC LIMIT $1)`, [max]));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
