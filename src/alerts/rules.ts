import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { queryRows } from '../analysis/rows.js';
import type { Alerter } from './alerter.js';
import type { AlertRule, AlertStore } from './store.js';
import type { AlertInput } from './types.js';

/** An SLO's state as the SLO evaluator reports it (src/analysis/slos.ts). */
export interface SloCheck {
  slo_id: string;
  project_id: string;
  agent_name: string;
  metric: string;
  threshold: number;
  window_hours: number;
  current_value: number | null;
  status: 'ok' | 'breached' | 'no_data';
}

/** A scored degradation (src/analysis/anomalies.ts), critical ones alert. */
export interface AnomalyCheck {
  kind: string;
  server_name: string | null;
  tool_name: string | null;
  agent_name: string | null;
  model_id: string | null;
  metric: string;
  z_score: number;
  current_value: number;
  baseline_value: number;
  severity: 'warning' | 'critical';
}

/** Evaluators of other stages the scheduled run also consults (absent: those alert types stay quiet). */
export interface ScheduledSources {
  slos?: (conn: DuckDBConnection, nowUs: number) => Promise<SloCheck[]>;
  anomalies?: (conn: DuckDBConnection, projectId: string, nowUs: number) => Promise<AnomalyCheck[]>;
}

export interface EvaluationResult {
  rules: number;
  raised: number;
  resolved: number;
  /** Rules skipped because their window held fewer than min_spans spans. */
  insufficient: number;
}

interface WindowStats {
  spans: number;
  errors: number;
  p99: number | null;
  cost: number;
}

const describeScope = (r: AlertRule) => [r.agent_name && `agent ${r.agent_name}`, r.server_name && `server ${r.server_name}`, r.model && `model ${r.model}`]
  .filter(Boolean).join(', ');

/** The window's numbers for one rule's scope, over hot rows and the lake (`all_spans`). */
export async function windowStats(conn: DuckDBConnection, r: AlertRule, nowUs: number): Promise<WindowStats> {
  const params: DuckDBValue[] = [r.project_id, nowUs - r.window_seconds * 1_000_000, nowUs];
  let where = 'project_id = $1 AND started_at >= make_timestamp($2::BIGINT) AND started_at <= make_timestamp($3::BIGINT)';
  for (const [col, v] of [['agent_name', r.agent_name], ['server_name', r.server_name], ['coalesce(response_model, request_model)', r.model]] as const) {
    if (v === null) continue;
    params.push(v);
    where += ` AND ${col} = $${params.length}`;
  }
  const [row] = await queryRows(conn, `SELECT count(*) AS spans, count(*) FILTER (WHERE status = 'error') AS errors,
      quantile_cont(duration_ms, 0.99) AS p99, coalesce(sum(cost_usd), 0) AS cost FROM all_spans WHERE ${where}`, params);
  return { spans: Number(row.spans), errors: Number(row.errors), p99: row.p99 === null ? null : Number(row.p99), cost: Number(row.cost) };
}

/**
 * The scheduled side of alerting: every `alerts.evaluateIntervalSeconds`
 * (and on POST /api/alerts/evaluate) each enabled rule is computed over
 * its window of stored spans, SLOs over theirs, and anomalies per project;
 * a breach raises its alert once, the first evaluation without it resolves
 * it once. Runs are serialized; a run never overlaps the next.
 */
export class RuleEvaluator {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<EvaluationResult> | null = null;

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly store: AlertStore,
    private readonly alerter: Alerter,
    private readonly sources: ScheduledSources = {},
    private readonly log?: Logger,
  ) {}

  start(intervalSeconds: number): void {
    this.timer = setInterval(() => {
      this.evaluate().catch((err) => this.log?.error({ err }, 'evaluating alert rules failed; retried at the next interval'));
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  /** One evaluation now (joins the one in progress, if any). */
  evaluate(nowUs = Date.now() * 1000): Promise<EvaluationResult> {
    this.running ??= this.run(nowUs).finally(() => { this.running = null; });
    return this.running;
  }

  /** Stops the schedule and waits for a run in progress; safe to call twice. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private async run(nowUs: number): Promise<EvaluationResult> {
    const out: EvaluationResult = { rules: 0, raised: 0, resolved: 0, insufficient: 0 };
    const count = (r: unknown, field: 'raised' | 'resolved') => { if (r) out[field]++; };
    const rules = await this.store.rules();
    const live = new Set(rules.map((r) => `rule:${r.id}`));
    for (const r of rules) {
      if (!r.enabled) {
        count(await this.alerter.resolve(this.ruleAlert(r, null, 'rule disabled')), 'resolved');
        continue;
      }
      out.rules++;
      const s = await windowStats(this.conn, r, nowUs);
      const value = r.kind === 'error_rate' ? (s.spans > 0 ? s.errors / s.spans : null) : r.kind === 'latency_p99' ? s.p99 : s.cost;
      if (r.kind !== 'spend' && s.spans < r.min_spans) {
        out.insufficient++;
        continue;
      }
      const alert = this.ruleAlert(r, value, null);
      if (value !== null && value > r.threshold) count(await this.alerter.raise(alert), 'raised');
      else count(await this.alerter.resolve(alert), 'resolved');
    }
    // A deleted rule's breach ends with it.
    for (const key of this.alerter.firingKeys('rule:')) {
      if (live.has(key)) continue;
      count(await this.alerter.resolve({ projectId: '', type: 'error_rate', key, severity: 'info', title: 'Rule deleted', message: 'The rule of this alert was deleted.' }), 'resolved');
    }
    if (this.sources.slos) {
      for (const s of await this.sources.slos(this.conn, nowUs)) {
        if (s.status === 'no_data') continue;
        const a: AlertInput = {
          projectId: s.project_id, type: 'slo_breached', key: `slo:${s.slo_id}`, severity: 'critical', agentName: s.agent_name,
          title: `SLO breached: ${s.agent_name} ${s.metric}`, value: s.current_value, threshold: s.threshold,
          message: `${s.metric} of agent ${s.agent_name} over ${s.window_hours} h is ${s.current_value} (objective ${s.metric === 'latency_p99' ? '≤' : '≥'} ${s.threshold}).`,
          details: { slo_id: s.slo_id, metric: s.metric, window_hours: s.window_hours },
        };
        count(s.status === 'breached' ? await this.alerter.raise(a) : await this.alerter.resolve(a), s.status === 'breached' ? 'raised' : 'resolved');
      }
    }
    if (this.sources.anomalies) {
      for (const project of await this.store.projects()) {
        const critical = (await this.sources.anomalies(this.conn, project, nowUs)).filter((a) => a.severity === 'critical');
        const keys = new Set<string>();
        for (const a of critical) {
          const key = `anomaly:${project}:${a.kind}:${a.server_name ?? a.agent_name}:${a.tool_name ?? a.model_id}:${a.metric}`;
          keys.add(key);
          count(await this.alerter.raise({
            projectId: project, type: 'anomaly_critical', key, severity: 'critical', serverName: a.server_name, agentName: a.agent_name,
            title: `Anomaly: ${a.metric} of ${a.tool_name ?? a.model_id ?? 'calls'}`, value: a.current_value, threshold: a.baseline_value,
            message: `${a.metric} is ${a.current_value} against a baseline of ${a.baseline_value} (z = ${a.z_score.toFixed(1)}).`,
            details: { ...a },
          }), 'raised');
        }
        for (const key of this.alerter.firingKeys(`anomaly:${project}:`)) {
          if (keys.has(key)) continue;
          count(await this.alerter.resolve({ projectId: project, type: 'anomaly_critical', key, severity: 'info', title: 'Anomaly over', message: 'The metric is back within its baseline.' }), 'resolved');
        }
      }
    }
    return out;
  }

  private ruleAlert(r: AlertRule, value: number | null, why: string | null): AlertInput {
    const scope = describeScope(r);
    const unit = r.kind === 'error_rate' ? '' : r.kind === 'latency_p99' ? ' ms' : ' USD';
    const shown = (v: number | null) => (v === null ? 'n/a' : r.kind === 'error_rate' ? `${(v * 100).toFixed(1)} %` : `${Number(v.toFixed(4))}${unit}`);
    const what = { error_rate: 'Error rate', latency_p99: 'p99 latency', spend: 'Spend' }[r.kind];
    return {
      projectId: r.project_id, type: r.kind, key: `rule:${r.id}`, severity: 'critical', ruleId: r.id,
      agentName: r.agent_name, serverName: r.server_name, value, threshold: r.threshold,
      title: `${what} above ${shown(r.threshold)}${scope ? ` (${scope})` : ''}`,
      message: why ?? `${what} over the last ${r.window_seconds} s is ${shown(value)} (threshold ${shown(r.threshold)}).`,
      details: { window_seconds: r.window_seconds, min_spans: r.min_spans, model: r.model },
    };
  }
}
