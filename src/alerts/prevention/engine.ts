import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { SpanDigest } from '../../pipeline/normalize.js';
import type { Broadcaster } from '../../live/broadcaster.js';
import type { Alerter } from '../alerter.js';
import { mcpDownKey, type AlertInput } from '../types.js';
import { PROJECT_DEFAULT_AGENT, type PreventionStore } from './store.js';
import { CircuitBreaker, McpHealth } from './breakers.js';

export interface PreventionOptions {
  /** Sessions whose state is kept (least recently active evicted first). */
  maxTrackedSessions: number;
  /** Consecutive failed calls to one MCP server that mark it down. */
  mcpDownAfterFailures: number;
  /** Spans waiting for evaluation; past it the oldest are skipped and counted. */
  maxPendingSpans?: number;
}

/** Tags a rule can set, the strongest first: a session keeps the strongest it earned. */
const TAG_RANK: Record<string, number> = { loop_detected: 4, budget_exceeded: 3, timeout: 2, circuit_breaker_open: 1 };
/** Distinct (tool, arguments) pairs counted per session for loop detection. */
const MAX_CALL_KEYS = 512;

interface SessionState {
  project: string;
  session: string;
  agent: string | null;
  steps: number;
  cost: number;
  firstStartUs: number;
  lastEndUs: number;
  calls: Map<string, number>;
  /** Alerts already sent for this session (`loop`, `steps:soft`, …). */
  sent: Set<string>;
  tag: string | null;
}

/** A step of a session: one model call or one tool call. */
const isStep = (s: SpanDigest) => s.type === 'llm_call' || s.type === 'tool_call' || s.type === 'mcp' || s.tool_name !== null;
/** A call to an MCP server: a tool call naming its server, or an MCP `tools/call`. */
const isServerCall = (s: SpanDigest) => s.server_name !== null && (s.tool_name !== null || s.mcp_method === 'tools/call');
/** The SDK's own refusals (status `prevented`) are not failures of the server. */
const prevented = (s: SpanDigest) => s.error_type === 'prevented';

/**
 * Lookspan's side of the prevention layer (docs/prevention.md): evaluates
 * the rules of each span's agent config on the spans it receives, after
 * they are durable — loops (one tool with the same arguments
 * `loop_threshold` times in a session), step, cost and wall-time budgets
 * with a soft alert at `budget_soft_alert`, a circuit breaker per agent and
 * MCP server, passive MCP server health — tags the session and raises the
 * matching alert. Feeding it only queues; evaluation runs on a later turn
 * of the event loop, never on the ack path. Times are span times, so a
 * replayed or delayed batch is judged as it happened.
 */
export class PreventionEngine {
  private readonly sessions = new Map<string, SessionState>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly health = new Map<string, McpHealth>();
  private readonly agentFailures = new Set<string>();
  private pending: SpanDigest[][] = [];
  private pendingSpans = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  readonly counters = { evaluated: 0, skipped: 0, violations: 0 };

  constructor(
    private readonly store: PreventionStore,
    private readonly alerter: Alerter,
    private readonly broadcaster: Broadcaster | null,
    private readonly opts: PreventionOptions,
    private readonly log?: Logger,
  ) {}

  /** The pipeline's `onAccepted` listener (after the fsync): queues only. */
  readonly acceptSpans = (spans: readonly SpanDigest[]): void => {
    if (this.closed || spans.length === 0) return;
    this.pending.push(spans as SpanDigest[]);
    this.pendingSpans += spans.length;
    const max = this.opts.maxPendingSpans ?? 200_000;
    while (this.pendingSpans > max && this.pending.length > 1) {
      const old = this.pending.shift()!;
      this.pendingSpans -= old.length;
      this.counters.skipped += old.length;
    }
    this.scheduled ??= setImmediate(this.run);
  };

  /** Resolves once every span queued so far has been evaluated and its alerts recorded (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.scheduled || this.pending.length > 0) await new Promise((r) => setImmediate(r));
    await this.chain;
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.pending = [];
  }

  private readonly run = (): void => {
    this.scheduled = null;
    const batches = this.pending;
    this.pending = [];
    this.pendingSpans = 0;
    const alerts: Array<() => Promise<unknown>> = [];
    for (const batch of batches) for (const s of batch) this.evaluate(s, alerts);
    // Alerts are recorded in order, one at a time, off this turn.
    this.chain = this.chain.then(async () => {
      for (const a of alerts) await a().catch((err) => this.log?.error({ err }, 'recording a prevention alert failed'));
    });
  };

  private evaluate(s: SpanDigest, alerts: Array<() => Promise<unknown>>): void {
    this.counters.evaluated++;
    const agent = s.agent_name;
    const cfg = this.store.effective(s.project_id, agent);
    if (s.type === 'agent' && s.status === 'error') this.agentFailure(s, alerts);
    if (isServerCall(s) && !prevented(s)) {
      this.mcpHealth(s, alerts);
      if (cfg.cb_enabled) this.circuitBreaker(s, cfg, alerts);
    }
    if (s.session_id === null) return;
    const st = this.session(s);
    if (isStep(s)) st.steps++;
    st.cost += s.cost_usd ?? 0;
    st.firstStartUs = Math.min(st.firstStartUs, s.started_us);
    st.lastEndUs = Math.max(st.lastEndUs, s.ended_us);
    const sessCfg = this.store.effective(s.project_id, st.agent);
    if (sessCfg.loop_enabled && s.tool_name !== null && !prevented(s)) {
      const k = `${s.tool_name}\u0000${argsHash(s.tool_input)}`;
      const n = (st.calls.get(k) ?? 0) + 1;
      if (n > 1 || st.calls.size < MAX_CALL_KEYS) st.calls.set(k, n);
      if (n >= sessCfg.loop_threshold && this.once(st, 'loop')) {
        this.violation(st, 'loop_detected', 'loop', { tool_name: s.tool_name, repeats: n, loop_threshold: sessCfg.loop_threshold, loop_action: sessCfg.loop_action }, alerts, {
          type: 'loop_detected', severity: 'critical', title: `Loop detected: ${s.tool_name} called ${n} times with the same arguments`,
          message: `Session ${st.session} called ${s.tool_name}${s.server_name ? ` on ${s.server_name}` : ''} ${n} times with identical arguments (loop_threshold ${sessCfg.loop_threshold}, action ${sessCfg.loop_action}).`,
          serverName: s.server_name, value: n, threshold: sessCfg.loop_threshold,
        });
      }
    }
    this.budget(st, 'steps', st.steps, sessCfg.max_steps, sessCfg.budget_soft_alert, alerts);
    this.budget(st, 'cost', st.cost, sessCfg.max_cost_usd, sessCfg.budget_soft_alert, alerts);
    this.budget(st, 'wall_time', (st.lastEndUs - st.firstStartUs) / 1e6, sessCfg.max_wall_time_s, sessCfg.budget_soft_alert, alerts);
  }

  private budget(st: SessionState, kind: 'steps' | 'cost' | 'wall_time', value: number, limit: number | null, soft: number, alerts: Array<() => Promise<unknown>>): void {
    if (limit === null) return;
    const unit = { steps: ' steps', cost: ' USD', wall_time: ' s' }[kind];
    const field = { steps: 'max_steps', cost: 'max_cost_usd', wall_time: 'max_wall_time_s' }[kind];
    const shown = (v: number) => `${Number(v.toFixed(4))}${unit}`;
    if (value > limit) {
      if (!this.once(st, `${kind}:hard`)) return;
      this.once(st, `${kind}:soft`);
      // A session over its wall-time limit is the reference's `timeout`; other budgets are `budget_exceeded`.
      this.violation(st, kind === 'wall_time' ? 'timeout' : 'budget_exceeded', `budget_${kind}`, { budget: kind, value, [field]: limit }, alerts, {
        type: 'budget_exceeded', severity: 'critical', title: `Budget exceeded: ${kind.replace('_', ' ')} of session ${st.session}`,
        message: `Session ${st.session} used ${shown(value)}, over ${field} ${shown(limit)}.`, value, threshold: limit,
      });
    } else if (value >= soft * limit && this.once(st, `${kind}:soft`)) {
      alerts.push(() => this.alerter.notify(this.alert(st, {
        type: 'budget_exceeded', severity: 'warning', title: `Budget at ${Math.round(soft * 100)} %: ${kind.replace('_', ' ')} of session ${st.session}`,
        message: `Session ${st.session} used ${shown(value)} of ${field} ${shown(limit)} (budget_soft_alert ${soft}).`,
        value, threshold: limit, details: { budget: kind, soft: true, budget_soft_alert: soft },
      }, `budget:${st.project}:${st.session}:${kind}:soft`)));
    }
  }

  private circuitBreaker(s: SpanDigest, cfg: ReturnType<PreventionStore['effective']>, alerts: Array<() => Promise<unknown>>): void {
    const agent = s.agent_name ?? PROJECT_DEFAULT_AGENT;
    const key = `cb:${s.project_id}:${agent}:${s.server_name}`;
    let b = this.breakers.get(key);
    if (!b) this.breakers.set(key, (b = new CircuitBreaker()));
    const t = b.observe(s.status === 'error', s.started_us, s.ended_us, cfg);
    const base: Omit<AlertInput, 'type' | 'severity' | 'title' | 'message'> = {
      projectId: s.project_id, key, agentName: s.agent_name, serverName: s.server_name,
      details: { failures: b.failures, cb_failure_threshold: cfg.cb_failure_threshold, cb_cooldown_seconds: cfg.cb_cooldown_seconds, cb_half_open_max_calls: cfg.cb_half_open_max_calls },
    };
    if (t.opened) {
      // Read now: the alert is recorded after later spans of the batch have moved the breaker on.
      const failures = b.failures;
      alerts.push(() => this.alerter.raise({
        ...base, type: 'circuit_breaker_open', severity: 'critical', value: failures, threshold: cfg.cb_failure_threshold,
        title: `Circuit breaker open: ${s.server_name}${s.agent_name ? ` (agent ${s.agent_name})` : ''}`,
        message: `${failures} consecutive failed calls to ${s.server_name}; calls should wait ${cfg.cb_cooldown_seconds} s, then ${cfg.cb_half_open_max_calls} trial call(s).`,
      }));
    }
    if (t.closed) {
      alerts.push(() => this.alerter.resolve({ ...base, type: 'circuit_breaker_open', severity: 'info', title: `Circuit breaker closed: ${s.server_name}`, message: `${cfg.cb_half_open_max_calls} trial call(s) to ${s.server_name} succeeded.` }));
    }
    if (t.calledWhileOpen && s.session_id !== null) {
      const st = this.session(s);
      if (this.once(st, `cb:${s.server_name}`)) {
        this.violation(st, 'circuit_breaker_open', 'circuit_breaker', { server_name: s.server_name, open_until: new Date(b.openUntilUs / 1000).toISOString() }, alerts, null);
      }
    }
  }

  private mcpHealth(s: SpanDigest, alerts: Array<() => Promise<unknown>>): void {
    const key = mcpDownKey(s.project_id, s.server_name!);
    let h = this.health.get(key);
    if (!h) this.health.set(key, (h = new McpHealth(this.opts.mcpDownAfterFailures)));
    const change = h.observe(s.status === 'error');
    if (change === null) return;
    const server = s.server_name!;
    const checkedAt = new Date(s.ended_us / 1000).toISOString();
    const failures = h.failures;
    this.broadcaster?.publish('health.check', { project: s.project_id, server }, { projectId: s.project_id, serverName: server, status: change, checkedAt, consecutiveFailures: failures },
      () => ({ event: 'health:check', data: { project_id: s.project_id, server_name: server, status: change, checked_at: checkedAt, consecutive_failures: failures, source: 'passive' } }));
    const base = { projectId: s.project_id, key, serverName: server, details: { consecutive_failures: failures, last_error: s.status_message } };
    alerts.push(change === 'down'
      ? () => this.alerter.raise({ ...base, type: 'mcp_down', severity: 'critical', value: failures, threshold: this.opts.mcpDownAfterFailures, title: `MCP server down: ${server}`, message: `${failures} consecutive tool calls to ${server} failed${s.status_message ? ` (last: ${s.status_message})` : ''}.` })
      : () => this.alerter.resolve({ ...base, type: 'mcp_down', severity: 'info', title: `MCP server recovered: ${server}`, message: `A tool call to ${server} succeeded again.` }));
  }

  private agentFailure(s: SpanDigest, alerts: Array<() => Promise<unknown>>): void {
    const key = `agent_failure:${s.project_id}:${s.session_id ?? s.trace_id}:${s.agent_name ?? s.name}`;
    if (this.agentFailures.has(key)) return;
    this.agentFailures.add(key);
    if (this.agentFailures.size > this.opts.maxTrackedSessions) this.agentFailures.delete(this.agentFailures.values().next().value!);
    alerts.push(() => this.alerter.notify({
      projectId: s.project_id, type: 'agent_failure', key, severity: 'critical', sessionId: s.session_id, agentName: s.agent_name,
      title: `Agent failed: ${s.agent_name ?? s.name}`, message: `${s.name} ended in error${s.status_message ? `: ${s.status_message}` : ''}.`,
      details: { trace_id: s.trace_id, span_id: s.span_id, error_type: s.error_type },
    }));
  }

  private violation(st: SessionState, tag: string, rule: string, detail: Record<string, unknown>, alerts: Array<() => Promise<unknown>>,
    alert: Omit<AlertInput, 'projectId' | 'key'> | null): void {
    this.counters.violations++;
    if (st.tag === null || TAG_RANK[tag] > TAG_RANK[st.tag]) {
      st.tag = tag;
      alerts.push(() => this.store.tagSession({ project_id: st.project, session_id: st.session, health_tag: tag, rule, agent_name: st.agent, detail }));
    }
    if (alert) alerts.push(() => this.alerter.notify(this.alert(st, { ...alert, details: { ...detail, ...alert.details, health_tag: tag } }, `${rule}:${st.project}:${st.session}`)));
  }

  private alert(st: SessionState, a: Omit<AlertInput, 'projectId' | 'key'>, key: string): AlertInput {
    return { ...a, projectId: st.project, key, sessionId: st.session, agentName: a.agentName ?? st.agent };
  }

  private once(st: SessionState, what: string): boolean {
    if (st.sent.has(what)) return false;
    st.sent.add(what);
    return true;
  }

  private session(s: SpanDigest): SessionState {
    const k = `${s.project_id}\u0000${s.session_id}`;
    let st = this.sessions.get(k);
    if (st) {
      // Most recently active last, so eviction takes the longest idle.
      this.sessions.delete(k);
    } else {
      st = { project: s.project_id, session: s.session_id!, agent: null, steps: 0, cost: 0, firstStartUs: s.started_us, lastEndUs: s.ended_us, calls: new Map(), sent: new Set(), tag: null };
      if (this.sessions.size >= this.opts.maxTrackedSessions) this.sessions.delete(this.sessions.keys().next().value!);
    }
    st.agent ??= s.agent_name;
    this.sessions.set(k, st);
    return st;
  }
}

/** Arguments compared by content: a digest of the captured input (absent input counts as "no arguments"). */
function argsHash(input: string | null): string {
  return input === null ? '' : createHash('sha1').update(input).digest('base64');
}
