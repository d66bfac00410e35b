import type { Logger } from 'pino';
import type { Broadcaster } from '../live/broadcaster.js';
import { DeliveryQueue, sendOnce, type DeliveryOptions } from './delivery.js';
import { DeliveryError } from './http-post.js';
import type { OutboundPolicy } from './outbound-url.js';
import { slackTestMessage } from './slack.js';
import { AlertStore, newId, type AlertConfig, type FiringState } from './store.js';
import {
  RECOVERY_TYPE, type AlertInput, type AlertRecord, type AlertStatus, type DeliveryRecord, type DeliveryTarget,
} from './types.js';

export interface AlerterCounters {
  triggered: number;
  resolved: number;
}

/**
 * Turns breaches into alerts exactly once: `raise` opens a breach (an alert
 * only if its key is not firing yet), `resolve` closes it (one recovery
 * alert), `notify` is a one-off (per-session events, deduplicated by their
 * caller). Each alert is recorded in the history with its firing state in
 * one transaction (so a restart neither repeats nor forgets a breach),
 * published as `alert.triggered` on the live streams, and handed to the
 * delivery queue for each configured target whose type is enabled.
 */
export class Alerter {
  private readonly firing = new Map<string, FiringState>();
  readonly deliveries: DeliveryQueue;
  readonly counters: AlerterCounters = { triggered: 0, resolved: 0 };

  private constructor(
    readonly store: AlertStore,
    private readonly broadcaster: Broadcaster | null,
    private readonly policy: OutboundPolicy,
    private readonly delivery: DeliveryOptions,
    private readonly log?: Logger,
  ) {
    this.deliveries = new DeliveryQueue(delivery, policy, (id, target, r) => this.recordDelivery(id, target, r), log);
  }

  static async open(store: AlertStore, broadcaster: Broadcaster | null, policy: OutboundPolicy, delivery: DeliveryOptions, log?: Logger): Promise<Alerter> {
    const a = new Alerter(store, broadcaster, policy, delivery, log);
    for (const f of await store.firing()) a.firing.set(f.key, f);
    return a;
  }

  isFiring(key: string): boolean {
    return this.firing.has(key);
  }

  /** Keys firing now that start with `prefix` (a rule's breaches, for its recoveries). */
  firingKeys(prefix: string): string[] {
    return [...this.firing.keys()].filter((k) => k.startsWith(prefix));
  }

  /** Opens a breach; null when its key is already firing (no second alert). */
  async raise(input: AlertInput): Promise<AlertRecord | null> {
    if (this.firing.has(input.key)) return null;
    // Claimed before the first await, so two raises of one breach in flight make one alert.
    this.firing.set(input.key, { key: input.key, project_id: input.projectId, type: input.type, alert_id: '' });
    try {
      return await this.emit(input, 'triggered', 'open');
    } catch (err) {
      this.firing.delete(input.key);
      throw err;
    }
  }

  /** Closes a firing breach with one recovery alert; null when it was not firing. */
  async resolve(input: AlertInput): Promise<AlertRecord | null> {
    const open = this.firing.get(input.key);
    if (!open) return null;
    this.firing.delete(input.key);
    // The breach's own type and project, whatever the caller knew (a deleted rule's recovery knows neither).
    const type = RECOVERY_TYPE[open.type] ?? open.type;
    const projectId = open.project_id;
    try {
      return await this.emit({ ...input, projectId, type, severity: 'info', details: { ...input.details, opened_by: open.alert_id || null } }, 'resolved', 'close');
    } catch (err) {
      this.firing.set(input.key, open);
      throw err;
    }
  }

  /** A one-off alert with no firing state (its caller makes sure it is sent once). */
  notify(input: AlertInput): Promise<AlertRecord> {
    return this.emit(input, 'triggered', 'none');
  }

  /**
   * POST /api/alerts/test: one message, no retry, to the configured Slack
   * webhook (or the webhook target); `{ok: false, error}` when it fails.
   */
  async test(projectId: string, target: DeliveryTarget): Promise<{ ok: true } | { ok: false; error: string }> {
    const c = await this.store.config(projectId);
    const url = target === 'slack' ? c.slack_webhook : c.webhook_url;
    if (!url) return { ok: false, error: target === 'slack' ? 'no Slack webhook configured (POST /api/alerts/config with slack_webhook)' : 'no webhook configured (POST /api/alerts/config with webhook_url)' };
    const body = target === 'slack'
      ? JSON.stringify(slackTestMessage(projectId))
      : JSON.stringify({ event: 'alert.test', delivery_id: newId('test'), project_id: projectId, sent_at: new Date().toISOString() });
    try {
      await sendOnce({ target, url, secret: c.webhook_secret }, body, newId('test'), this.policy, this.delivery.timeoutMs);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err instanceof DeliveryError ? err.message : 'delivery failed' };
    }
  }

  /** Stops deliveries; safe to call twice. */
  close(): void {
    this.deliveries.close();
  }

  private async emit(input: AlertInput, status: AlertStatus, state: 'open' | 'close' | 'none'): Promise<AlertRecord> {
    const config = await this.store.config(input.projectId);
    const enabled = config.alert_types[input.type] !== false;
    const targets: Array<[DeliveryTarget, string | null]> = [['slack', config.slack_webhook], ['webhook', config.webhook_url]];
    const deliveries = Object.fromEntries(targets.map(([t, url]) => [t, {
      status: url === null ? 'not_configured' : enabled ? 'pending' : 'disabled', attempts: 0, last_error: null,
    } satisfies DeliveryRecord])) as AlertRecord['deliveries'];
    const record = await this.store.record({
      id: newId('alert'), project_id: input.projectId, type: input.type, status, severity: input.severity, key: input.key,
      title: input.title, message: input.message, rule_id: input.ruleId ?? null, session_id: input.sessionId ?? null,
      agent_name: input.agentName ?? null, server_name: input.serverName ?? null, value: input.value ?? null,
      threshold: input.threshold ?? null, details: input.details ?? {}, deliveries,
    }, state);
    if (state === 'open') this.firing.set(input.key, { key: input.key, project_id: input.projectId, type: input.type, alert_id: record.id });
    if (status === 'triggered') this.counters.triggered++;
    else this.counters.resolved++;
    this.publish(record);
    this.deliver(record, config);
    return record;
  }

  private publish(a: AlertRecord): void {
    this.broadcaster?.publish('alert.triggered', { project: a.project_id, session: a.session_id, agent: a.agent_name, server: a.server_name, status: a.status }, { ...a });
  }

  private deliver(a: AlertRecord, c: AlertConfig): void {
    if (c.slack_webhook && a.deliveries.slack.status === 'pending') this.deliveries.enqueue({ alert: a, target: 'slack', url: c.slack_webhook, secret: null });
    if (c.webhook_url && a.deliveries.webhook.status === 'pending') this.deliveries.enqueue({ alert: a, target: 'webhook', url: c.webhook_url, secret: c.webhook_secret });
  }

  private recordDelivery(id: string, target: DeliveryTarget, r: DeliveryRecord): void {
    this.store.setDelivery(id, target, r).catch((err) => this.log?.error({ err, alert: id, target }, 'recording an alert delivery failed'));
  }
}
