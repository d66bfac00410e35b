import { randomBytes } from 'node:crypto';
import type { DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { SerialConnection, isoMs, jsonColumn } from './serial-connection.js';
import {
  ALERT_TYPES, DEFAULT_ALERT_TYPES, type AlertRecord, type AlertType, type AlertTypePrefs, type DeliveryRecord, type DeliveryTarget,
} from './types.js';

/** A project's delivery targets and type preferences (`alert_config`). */
export interface AlertConfig {
  project_id: string;
  slack_webhook: string | null;
  webhook_url: string | null;
  /** Write-only through the API: never returned, never logged. */
  webhook_secret: string | null;
  alert_types: AlertTypePrefs;
  updated_at: string | null;
}

export const RULE_KINDS = ['error_rate', 'latency_p99', 'spend'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** A threshold rule over stored spans (`alert_rules`). */
export interface AlertRule {
  id: string;
  project_id: string;
  kind: RuleKind;
  /** error_rate: a fraction 0..1; latency_p99: milliseconds; spend: US dollars. */
  threshold: number;
  window_seconds: number;
  /** Fewer spans in the window than this: not evaluated (error rate and latency of a handful of spans are noise). */
  min_spans: number;
  agent_name: string | null;
  server_name: string | null;
  model: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type RuleFields = Omit<AlertRule, 'id' | 'project_id' | 'created_at' | 'updated_at'>;

/** A breach that is firing (`alert_state`): the alert that opened it. */
export interface FiringState {
  key: string;
  project_id: string;
  type: AlertType;
  alert_id: string;
}

const nowUs = () => Date.now() * 1000;
export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;

const RULE_SELECT = `SELECT id, project_id, kind, threshold, window_seconds, min_spans, agent_name, server_name, model, enabled,
  ${isoMs('created_at')} AS created_at, ${isoMs('updated_at')} AS updated_at FROM alert_rules`;
const ALERT_SELECT = `SELECT id, project_id, type, status, severity, key, title, message, rule_id, session_id, agent_name, server_name,
  value, threshold, details, deliveries, ${isoMs('triggered_at')} AS triggered_at FROM alerts`;

/** The alert tables of migration 9: config, rules, firing state, history. */
export class AlertStore {
  private seq = 0;

  private constructor(private readonly db: SerialConnection, private readonly historyMax: number) {}

  static async open(instance: DuckDBInstance, historyMax: number): Promise<AlertStore> {
    const db = await SerialConnection.open(instance);
    const store = new AlertStore(db, historyMax);
    const [row] = await db.rows('SELECT coalesce(max(seq), 0) AS seq FROM alerts');
    store.seq = Number(row.seq);
    return store;
  }

  // ---- config

  async config(projectId: string): Promise<AlertConfig> {
    const [r] = await this.db.rows(`SELECT project_id, slack_webhook, webhook_url, webhook_secret, alert_types, ${isoMs('updated_at')} AS updated_at
      FROM alert_config WHERE project_id = $1`, [projectId]);
    if (!r) return { project_id: projectId, slack_webhook: null, webhook_url: null, webhook_secret: null, alert_types: { ...DEFAULT_ALERT_TYPES }, updated_at: null };
    return {
      project_id: projectId,
      slack_webhook: (r.slack_webhook as string) ?? null,
      webhook_url: (r.webhook_url as string) ?? null,
      webhook_secret: (r.webhook_secret as string) ?? null,
      alert_types: { ...DEFAULT_ALERT_TYPES, ...pickTypes(jsonColumn(r.alert_types, {})) },
      updated_at: r.updated_at as string,
    };
  }

  /** Sets the given fields (undefined keeps a field, null clears it); types not named keep their preference. */
  saveConfig(projectId: string, c: { slack_webhook?: string | null; webhook_url?: string | null; webhook_secret?: string | null; alert_types?: Partial<AlertTypePrefs> }): Promise<AlertConfig> {
    return this.db.serial(async () => {
      const cur = await this.config(projectId);
      const next = {
        slack_webhook: c.slack_webhook === undefined ? cur.slack_webhook : c.slack_webhook,
        webhook_url: c.webhook_url === undefined ? cur.webhook_url : c.webhook_url,
        webhook_secret: c.webhook_secret === undefined ? cur.webhook_secret : c.webhook_secret,
        alert_types: { ...cur.alert_types, ...(c.alert_types ?? {}) },
      };
      await this.db.run(`INSERT INTO alert_config VALUES ($1, $2, $3, $4, $5, make_timestamp($6::BIGINT))
        ON CONFLICT (project_id) DO UPDATE SET slack_webhook = excluded.slack_webhook, webhook_url = excluded.webhook_url,
          webhook_secret = excluded.webhook_secret, alert_types = excluded.alert_types, updated_at = excluded.updated_at`,
      [projectId, next.slack_webhook, next.webhook_url, next.webhook_secret, JSON.stringify(next.alert_types), nowUs()]);
      return this.config(projectId);
    });
  }

  /** Projects with an alert config or a rule: the ones the scheduled rules look at. */
  async projects(): Promise<string[]> {
    const rows = await this.db.rows('SELECT project_id FROM alert_config UNION SELECT project_id FROM alert_rules ORDER BY 1');
    return rows.map((r) => r.project_id as string);
  }

  // ---- rules

  async rules(projectId?: string): Promise<AlertRule[]> {
    const rows = projectId === undefined
      ? await this.db.rows(`${RULE_SELECT} ORDER BY created_at, id`)
      : await this.db.rows(`${RULE_SELECT} WHERE project_id = $1 ORDER BY created_at, id`, [projectId]);
    return rows.map(toRule);
  }

  async rule(projectId: string, id: string): Promise<AlertRule | null> {
    const [r] = await this.db.rows(`${RULE_SELECT} WHERE project_id = $1 AND id = $2`, [projectId, id]);
    return r ? toRule(r) : null;
  }

  createRule(projectId: string, f: RuleFields): Promise<AlertRule> {
    return this.db.serial(async () => {
      const id = newId('rule');
      const now = nowUs();
      await this.db.run(`INSERT INTO alert_rules VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, make_timestamp($11::BIGINT), make_timestamp($11::BIGINT))`,
        [id, projectId, f.kind, f.threshold, f.window_seconds, f.min_spans, f.agent_name, f.server_name, f.model, f.enabled, now]);
      return (await this.rule(projectId, id))!;
    });
  }

  updateRule(projectId: string, id: string, f: Partial<RuleFields>): Promise<AlertRule | null> {
    return this.db.serial(async () => {
      const cur = await this.rule(projectId, id);
      if (!cur) return null;
      const n = { ...cur, ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) } as AlertRule;
      await this.db.run(`UPDATE alert_rules SET kind = $3, threshold = $4, window_seconds = $5, min_spans = $6, agent_name = $7,
        server_name = $8, model = $9, enabled = $10, updated_at = make_timestamp($11::BIGINT) WHERE project_id = $1 AND id = $2`,
      [projectId, id, n.kind, n.threshold, n.window_seconds, n.min_spans, n.agent_name, n.server_name, n.model, n.enabled, nowUs()]);
      return this.rule(projectId, id);
    });
  }

  deleteRule(projectId: string, id: string): Promise<boolean> {
    return this.db.serial(async () => {
      if (!(await this.rule(projectId, id))) return false;
      await this.db.run('DELETE FROM alert_rules WHERE project_id = $1 AND id = $2', [projectId, id]);
      return true;
    });
  }

  // ---- firing state

  async firing(): Promise<FiringState[]> {
    return (await this.db.rows('SELECT key, project_id, type, alert_id FROM alert_state')).map((r) => ({
      key: r.key as string, project_id: r.project_id as string, type: r.type as AlertType, alert_id: r.alert_id as string,
    }));
  }

  // ---- history

  /** Records an alert (and opens or closes its firing state in the same transaction); prunes past `historyMax`. */
  record(a: Omit<AlertRecord, 'triggered_at'>, state: 'open' | 'close' | 'none'): Promise<AlertRecord> {
    return this.db.serial(async () => {
      const seq = ++this.seq;
      const now = nowUs();
      await this.db.run('BEGIN TRANSACTION');
      try {
        await this.db.run(`INSERT INTO alerts VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, make_timestamp($18::BIGINT))`, [
          a.id, seq, a.project_id, a.type, a.status, a.severity, a.key, a.title, a.message, a.rule_id, a.session_id, a.agent_name,
          a.server_name, a.value, a.threshold, JSON.stringify(a.details), JSON.stringify(a.deliveries), now,
        ]);
        if (state === 'open') {
          await this.db.run('INSERT INTO alert_state VALUES ($1, $2, $3, $4, make_timestamp($5::BIGINT)) ON CONFLICT (key) DO NOTHING', [a.key, a.project_id, a.type, a.id, now]);
        } else if (state === 'close') {
          await this.db.run('DELETE FROM alert_state WHERE key = $1', [a.key]);
        }
        if (seq % 100 === 0) await this.db.run('DELETE FROM alerts WHERE seq <= $1', [seq - this.historyMax]);
        await this.db.run('COMMIT');
      } catch (err) {
        await this.db.run('ROLLBACK').catch(() => {});
        throw err;
      }
      return { ...a, triggered_at: new Date(now / 1000).toISOString() };
    });
  }

  setDelivery(id: string, target: DeliveryTarget, d: DeliveryRecord): Promise<void> {
    return this.db.serial(async () => {
      const [r] = await this.db.rows('SELECT deliveries FROM alerts WHERE id = $1', [id]);
      if (!r) return;
      const all = { ...jsonColumn<Record<string, unknown>>(r.deliveries, {}), [target]: d };
      await this.db.run('UPDATE alerts SET deliveries = $2::JSON WHERE id = $1', [id, JSON.stringify(all)]);
    });
  }

  async history(q: { projectId: string; type?: string; status?: string; sessionId?: string; limit: number; offset: number }): Promise<{ alerts: AlertRecord[]; total: number }> {
    const params: DuckDBValue[] = [q.projectId];
    let where = 'project_id = $1';
    for (const [col, v] of [['type', q.type], ['status', q.status], ['session_id', q.sessionId]] as const) {
      if (v === undefined) continue;
      params.push(v);
      where += ` AND ${col} = $${params.length}`;
    }
    const [t] = await this.db.rows(`SELECT count(*) AS n FROM alerts WHERE ${where}`, params);
    const rows = await this.db.rows(`${ALERT_SELECT} WHERE ${where} ORDER BY seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, q.limit, q.offset]);
    return { alerts: rows.map(toAlert), total: Number(t.n) };
  }

  async alert(id: string): Promise<AlertRecord | null> {
    const [r] = await this.db.rows(`${ALERT_SELECT} WHERE id = $1`, [id]);
    return r ? toAlert(r) : null;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

function pickTypes(v: Record<string, unknown>): Partial<AlertTypePrefs> {
  const out: Partial<AlertTypePrefs> = {};
  for (const t of ALERT_TYPES) if (typeof v[t] === 'boolean') out[t] = v[t] as boolean;
  return out;
}

function toRule(r: Record<string, unknown>): AlertRule {
  return {
    id: r.id as string, project_id: r.project_id as string, kind: r.kind as RuleKind, threshold: Number(r.threshold),
    window_seconds: Number(r.window_seconds), min_spans: Number(r.min_spans), agent_name: (r.agent_name as string) ?? null,
    server_name: (r.server_name as string) ?? null, model: (r.model as string) ?? null, enabled: Boolean(r.enabled),
    created_at: r.created_at as string, updated_at: r.updated_at as string,
  };
}

function toAlert(r: Record<string, unknown>): AlertRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string, project_id: r.project_id as string, type: r.type as AlertType, status: r.status as AlertRecord['status'],
    severity: r.severity as AlertRecord['severity'], key: r.key as string, title: r.title as string, message: r.message as string,
    rule_id: (r.rule_id as string) ?? null, session_id: (r.session_id as string) ?? null, agent_name: (r.agent_name as string) ?? null,
    server_name: (r.server_name as string) ?? null, value: num(r.value), threshold: num(r.threshold),
    details: jsonColumn(r.details, {}), deliveries: jsonColumn(r.deliveries, {} as AlertRecord['deliveries']),
    triggered_at: r.triggered_at as string,
  };
}
