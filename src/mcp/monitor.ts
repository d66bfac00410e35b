import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Counter, Histogram } from 'prom-client';
import type { LookspanConfig, McpServerConfig } from '../config/schema.js';
import { mcpDownKey, type AlertInput } from '../alerts/types.js';
import type { Broadcaster } from '../live/broadcaster.js';
import { checkServer } from './checker.js';
import { diffTools, renderDiff } from './drift.js';
import type { DriftSession } from './drift-sessions.js';
import { schemaHash } from './hash.js';
import { Limiter } from './limiter.js';
import type { McpRegistry } from './registry.js';
import type { CheckRecord, DriftRecord, McpStore } from './store.js';
import type { CheckOutcome, CheckTrigger, ToolInfo } from './types.js';

/** The alerter as the monitor uses it (src/alerts/alerter.ts). */
export interface McpAlerts {
  raise(input: AlertInput): Promise<unknown>;
  resolve(input: AlertInput): Promise<unknown>;
  notify(input: AlertInput): Promise<unknown>;
}

export interface McpMetrics {
  checks: Counter<'server' | 'status'>;
  duration: Histogram<'server'>;
}

/** Where a check's consequences go; each may be absent (tests, or a server without that stage). */
export interface McpSinks {
  alerts: McpAlerts | null;
  broadcaster: Broadcaster | null;
  metrics: McpMetrics | null;
  /** Sessions that called the changed tools in the window (src/mcp/drift-sessions.ts). */
  sessionsUsing: ((server: string, tools: string[], fromUs: number, toUs: number) => Promise<DriftSession[]>) | null;
  /** Gives a session the schema_drift tag unless it has one (a stronger prevention verdict stays). */
  tagSession: ((s: DriftSession, detail: Record<string, unknown>) => Promise<boolean>) | null;
}

/** A stored check with its tools (null when the check could not list them). */
export interface CheckResult {
  record: CheckRecord;
  tools: ToolInfo[] | null;
  drift: DriftRecord | null;
}

interface ServerState {
  failures: number;
  /** This monitor raised mcp_down for the server and has not resolved it. */
  alerted: boolean;
  baseline: { hash: string; checkedAt: string } | null;
}

/**
 * Runs checks (scheduled, requested, or for a scan) with bounded
 * concurrency — one at a time per server: a check requested while one runs
 * waits for that one's result — and turns each result into its
 * consequences: stored with its tool snapshot, compared with the last tool
 * list (a change is a drift record, a schema_drift tag on the sessions that
 * used the changed tools, and an alert), counted in /metrics, published as
 * `health:check`, and fed to the mcp_down / mcp_recovered alerts.
 */
export class McpMonitor {
  private readonly limiter: Limiter;
  private readonly inFlight = new Map<string, Promise<CheckResult>>();
  private readonly states = new Map<string, ServerState>();
  private readonly shutdown = new AbortController();
  private loaded: Promise<void> | null = null;

  constructor(
    readonly registry: McpRegistry,
    readonly store: McpStore,
    private readonly config: LookspanConfig['mcp'],
    private readonly sinks: McpSinks,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly log?: Logger,
  ) {
    this.limiter = new Limiter(config.concurrency);
  }

  /** Checks running now and the most seen at once. */
  get concurrency(): { active: number; queued: number; peak: number } {
    return { active: this.limiter.active, queued: this.limiter.queued, peak: this.limiter.peak };
  }

  intervalMs(s: McpServerConfig): number {
    return (s.intervalSeconds ?? this.config.intervalSeconds) * 1000;
  }

  /** Checks one configured server (joining a check of it already running). */
  check(name: string, trigger: CheckTrigger): Promise<CheckResult> {
    const running = this.inFlight.get(name);
    if (running) return running;
    const server = this.registry.server(name);
    if (!server) return Promise.reject(new Error(`no configured MCP server "${name}"`));
    const p = this.limiter.run(() => this.run(server, trigger)).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }

  /** Checks each named server, at most `concurrency` at once; results in the order asked. */
  checkMany(names: readonly string[], trigger: CheckTrigger): Promise<CheckResult[]> {
    return Promise.all(names.map((n) => this.check(n, trigger)));
  }

  /** Stops new checks, kills the stdio processes of running ones and waits for them; safe to call twice. */
  async close(): Promise<void> {
    this.limiter.close();
    this.shutdown.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Restores failure counts and drift baselines from the stored checks (once, before the first check). */
  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const latest = await this.store.latest(this.registry.configured.map((s) => s.name));
      for (const s of this.registry.configured) {
        const l = latest.get(s.name);
        const listed = l?.schema_hash ? l : await this.store.lastListed(s.name);
        this.states.set(s.name, {
          failures: l?.consecutive_failures ?? 0,
          alerted: l !== undefined && l.status === 'down' && l.consecutive_failures >= this.config.downAfterFailures,
          baseline: listed ? { hash: listed.schema_hash!, checkedAt: listed.checked_at } : null,
        });
      }
    })();
    return this.loaded;
  }

  private async run(server: McpServerConfig, trigger: CheckTrigger): Promise<CheckResult> {
    await this.load();
    const outcome = await checkServer(server, {
      timeoutMs: (server.timeoutSeconds ?? this.config.timeoutSeconds) * 1000,
      degradedMs: server.degradedLatencyMs ?? this.config.degradedLatencyMs,
      env: this.env,
      signal: this.shutdown.signal,
    });
    const st = this.states.get(server.name) ?? { failures: 0, alerted: false, baseline: null };
    this.states.set(server.name, st);
    st.failures = outcome.status === 'down' ? st.failures + 1 : 0;
    const checkedAt = new Date(outcome.startedAt).toISOString();
    const hash = outcome.tools === null ? null : schemaHash(outcome.tools);
    const record: CheckRecord = {
      id: `chk-${randomBytes(8).toString('hex')}`, server_name: server.name, project_id: server.project, checked_at: checkedAt,
      status: outcome.status, latency_ms: outcome.latencyMs, error: outcome.error, transport: server.transport, trigger,
      protocol_version: outcome.protocolVersion, server_info: outcome.serverInfo, steps: outcome.steps,
      tools_count: outcome.tools?.length ?? 0, resources_count: outcome.resourcesCount, prompts_count: outcome.promptsCount,
      schema_hash: hash, consecutive_failures: st.failures,
    };
    // The earlier tool list is read before this check is stored: storing may prune its snapshot.
    const before = hash !== null && st.baseline !== null && st.baseline.hash !== hash
      ? { ...st.baseline, tools: (await this.store.tools(server.name, [st.baseline.hash])).get(st.baseline.hash) ?? [] } : null;
    await this.store.recordCheck(record, outcome.tools);
    if (hash !== null) st.baseline = { hash, checkedAt };
    const drift = before !== null ? await this.recordDrift(server, before, outcome, record) : null;
    this.report(server, record, outcome, st);
    return { record, tools: outcome.tools, drift };
  }

  private async recordDrift(server: McpServerConfig, before: { hash: string; checkedAt: string; tools: ToolInfo[] }, outcome: CheckOutcome, record: CheckRecord): Promise<DriftRecord> {
    const changes = diffTools(before.tools, outcome.tools!);
    const tools = [...new Set(changes.map((c) => c.tool_name))];
    let sessions: DriftSession[] = [];
    try {
      sessions = (await this.sinks.sessionsUsing?.(server.name, tools, Date.parse(before.checkedAt) * 1000, Date.parse(record.checked_at) * 1000)) ?? [];
    } catch (err) {
      this.log?.warn({ err, server: server.name }, 'finding the sessions a schema drift affected failed');
    }
    const drift: DriftRecord = {
      id: `drift-${randomBytes(8).toString('hex')}`, server_name: server.name, project_id: server.project, detected_at: record.checked_at,
      previous_checked_at: before.checkedAt, previous_hash: before.hash, current_hash: record.schema_hash!,
      has_breaking: changes.some((c) => c.drift_type === 'breaking'), changes, diff: renderDiff(changes),
      sessions: sessions.map((s) => ({ project_id: s.project_id, session_id: s.session_id })),
    };
    await this.store.recordDrift(drift);
    for (const s of sessions) {
      await this.sinks.tagSession?.(s, { server_name: server.name, tools, drift_id: drift.id, previous_hash: before.hash, current_hash: drift.current_hash })
        .catch((err) => this.log?.warn({ err, session: s.session_id }, 'tagging a session with schema_drift failed'));
    }
    const first = drift.diff.split('\n').slice(0, 5).join('\n');
    this.alert(() => this.sinks.alerts?.notify({
      projectId: server.project, type: 'schema_drift', key: `schema_drift:${server.project}:${server.name}:${drift.current_hash}`,
      severity: drift.has_breaking ? 'critical' : 'warning', serverName: server.name, value: changes.length,
      title: `MCP tool schema changed: ${server.name}${drift.has_breaking ? ' (breaking)' : ''}`,
      message: `${changes.length} change(s) to ${tools.length} tool(s)${sessions.length > 0 ? `, ${sessions.length} session(s) tagged schema_drift` : ''}:\n${first}`,
      details: { drift_id: drift.id, previous_hash: before.hash, current_hash: drift.current_hash, tools, sessions_tagged: sessions.length },
    }));
    return drift;
  }

  private report(server: McpServerConfig, r: CheckRecord, outcome: CheckOutcome, st: ServerState): void {
    this.sinks.metrics?.checks.inc({ server: server.name, status: r.status });
    if (outcome.latencyMs !== null) this.sinks.metrics?.duration.observe({ server: server.name }, outcome.latencyMs / 1000);
    this.sinks.broadcaster?.publish('health.check', { project: server.project, server: server.name }, {
      projectId: server.project, serverName: server.name, status: r.status, checkedAt: r.checked_at, consecutiveFailures: r.consecutive_failures,
      source: 'active', latencyMs: r.latency_ms, error: r.error,
    }, () => ({ event: 'health:check', data: {
      project_id: server.project, server_name: server.name, status: r.status, checked_at: r.checked_at, consecutive_failures: r.consecutive_failures,
      source: 'active', latency_ms: r.latency_ms, error: r.error,
    } }));
    const base = { projectId: server.project, key: mcpDownKey(server.project, server.name), serverName: server.name, details: { consecutive_failures: r.consecutive_failures, last_error: r.error, source: 'active', check_id: r.id } };
    if (r.status === 'down' && !st.alerted && st.failures >= this.config.downAfterFailures) {
      st.alerted = true;
      this.alert(() => this.sinks.alerts?.raise({
        ...base, type: 'mcp_down', severity: 'critical', value: st.failures, threshold: this.config.downAfterFailures,
        title: `MCP server down: ${server.name}`, message: `${st.failures} consecutive health check(s) of ${server.name} failed: ${r.error ?? 'unknown error'}`,
      }));
    } else if (r.status !== 'down' && st.alerted) {
      st.alerted = false;
      this.alert(() => this.sinks.alerts?.resolve({
        ...base, type: 'mcp_down', severity: 'info', title: `MCP server recovered: ${server.name}`, message: `A health check of ${server.name} passed again (${r.status}).`,
      }));
    }
  }

  /** Alerts are recorded in order but never fail a check. */
  private alertChain: Promise<unknown> = Promise.resolve();
  private alert(fn: () => Promise<unknown> | undefined): void {
    this.alertChain = this.alertChain.then(fn).catch((err) => this.log?.error({ err }, 'recording an MCP alert failed'));
  }

  /** Waits until the alerts of finished checks are recorded. */
  alertsIdle(): Promise<unknown> {
    return this.alertChain;
  }
}
