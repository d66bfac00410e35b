import type { SpanDigest } from '../pipeline/normalize.js';

/** The event types of the live streams (docs/live.md). */
export const LIVE_EVENT_TYPES = ['span.ingested', 'trace.updated', 'alert.triggered', 'health.check'] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** The fields a filter can match on (docs/live.md "Filters"). */
export const FILTER_KEYS = ['project', 'type', 'model', 'provider', 'status', 'session', 'agent', 'server', 'service'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/**
 * What an event carries for the filters: a key present (even as null) is a
 * field of this event type; an absent key is not, and a filter on it does
 * not apply to the event.
 */
export type EventKeys = Partial<Record<FilterKey, string | null>>;

const iso = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

/** A value, or how to build it on first use. */
type Lazy<T> = T | (() => T);

/**
 * One event, serialized at most once per wire format however many clients
 * receive it (the frames are built on first use and shared). Its keys and
 * data may be given as builders: every accepted span becomes an event kept
 * for Last-Event-ID resume, and with nobody following, building its data
 * (two ISO dates, two objects) was 6–7 µs of event-loop CPU per span.
 */
export class LiveEvent {
  private ws: string | null = null;
  private sse: string | null = null;
  private langsight: string | null | undefined = undefined;
  private keysOrBuild: Lazy<EventKeys>;
  private dataOrBuild: Lazy<Record<string, unknown>>;

  constructor(
    readonly id: number,
    readonly type: LiveEventType,
    keys: Lazy<EventKeys>,
    /** The event's data object (the `data` of every format but span:new). */
    data: Lazy<Record<string, unknown>>,
    /** Builds the payload of /api/live/events, for the types that stream has. */
    private readonly langsightPayload: (() => { event: string; data: unknown }) | null = null,
    readonly at = Date.now(),
  ) {
    this.keysOrBuild = keys;
    this.dataOrBuild = data;
  }

  /** What the filters match on. */
  get keys(): EventKeys {
    if (typeof this.keysOrBuild === 'function') this.keysOrBuild = this.keysOrBuild();
    return this.keysOrBuild;
  }

  /** The event's data object. */
  get data(): Record<string, unknown> {
    if (typeof this.dataOrBuild === 'function') this.dataOrBuild = this.dataOrBuild();
    return this.dataOrBuild;
  }

  /** The WebSocket message: `{"type", "id", "at", "data"}`. */
  get wsFrame(): string {
    this.ws ??= JSON.stringify({ type: this.type, id: this.id, at: new Date(this.at).toISOString(), data: this.data });
    return this.ws;
  }

  /** The /api/stream frame: `id`, `event` (the type) and `data` lines. */
  get sseFrame(): string {
    this.sse ??= `id: ${this.id}\nevent: ${this.type}\ndata: ${JSON.stringify(this.data)}\n\n`;
    return this.sse;
  }

  /** The /api/live/events frame (`span:new`, `health:check`); null for types that stream does not carry. */
  get langsightFrame(): string | null {
    if (this.langsight === undefined) {
      const p = this.langsightPayload?.() ?? null;
      this.langsight = p === null ? null : `id: ${this.id}\nevent: ${p.event}\ndata: ${JSON.stringify(p.data)}\n\n`;
    }
    return this.langsight;
  }
}

/** The filter keys of a span. */
export function spanKeys(s: SpanDigest): EventKeys {
  return {
    project: s.project_id, type: s.type, model: s.model, provider: s.provider, status: s.status,
    session: s.session_id, agent: s.agent_name, server: s.server_name, service: s.service_name,
  };
}

/** `span.ingested` data: the span's identity, shape and usage (no payloads, which may be redacted). */
export function spanData(s: SpanDigest): Record<string, unknown> {
  return {
    projectId: s.project_id, traceId: s.trace_id, spanId: s.span_id, parentSpanId: s.parent_span_id,
    name: s.name, type: s.type, status: s.status, statusMessage: s.status_message, errorType: s.error_type,
    startedAt: iso(s.started_us), endedAt: iso(s.ended_us), durationMs: s.duration_ms,
    serviceName: s.service_name, framework: s.framework, sessionId: s.session_id, agentName: s.agent_name,
    provider: s.provider, model: s.model,
    usage: {
      inputTokens: s.input_tokens, outputTokens: s.output_tokens, cacheReadTokens: s.cache_read_tokens,
      cacheWriteTokens: s.cache_write_tokens, reasoningTokens: s.reasoning_tokens, costUsd: s.cost_usd,
    },
    toolName: s.tool_name, serverName: s.server_name, mcpMethod: s.mcp_method,
  };
}

/** `span:new` data: the span in the ToolCallSpan shape of langsight-api.txt (as GET /api/traces/spans returns it). */
export function toolCallSpanData(s: SpanDigest): Record<string, unknown> {
  const error = s.status === 'error';
  return {
    span_id: s.span_id, trace_id: s.trace_id, parent_span_id: s.parent_span_id, span_type: s.type,
    project_id: s.project_id, server_name: s.server_name, tool_name: s.tool_name,
    session_id: s.session_id, agent_name: s.agent_name,
    started_at: iso(s.started_us), ended_at: iso(s.ended_us), latency_ms: s.duration_ms,
    status: error ? 'error' : 'success', error: error ? s.status_message : null,
    model_id: s.model, input_tokens: s.input_tokens, output_tokens: s.output_tokens, cost_usd: s.cost_usd,
  };
}

/** What one batch did to one trace (`trace.updated` data). */
export interface TraceUpdate {
  projectId: string;
  traceId: string;
  /** Spans of this trace in the batch (not the trace's total). */
  spans: number;
  errors: number;
  costUsd: number | null;
  inputTokens: number;
  outputTokens: number;
  /** Error when any span of the batch failed, else ok. */
  status: 'ok' | 'error';
  sessionId: string | null;
  agentName: string | null;
  serviceName: string | null;
  startedAt: string;
  endedAt: string;
}

/** Groups a batch's spans by trace, in the order each trace first appears. */
export function traceUpdates(spans: readonly SpanDigest[]): TraceUpdate[] {
  const byTrace = new Map<string, { u: TraceUpdate; start: number; end: number }>();
  for (const s of spans) {
    const key = `${s.project_id}\u0000${s.trace_id}`;
    let t = byTrace.get(key);
    if (!t) {
      t = {
        u: {
          projectId: s.project_id, traceId: s.trace_id, spans: 0, errors: 0, costUsd: null, inputTokens: 0, outputTokens: 0,
          status: 'ok', sessionId: null, agentName: null, serviceName: null, startedAt: '', endedAt: '',
        },
        start: s.started_us,
        end: s.ended_us,
      };
      byTrace.set(key, t);
    }
    const u = t.u;
    u.spans++;
    if (s.status === 'error') {
      u.errors++;
      u.status = 'error';
    }
    if (s.cost_usd !== null) u.costUsd = (u.costUsd ?? 0) + s.cost_usd;
    u.inputTokens += s.input_tokens ?? 0;
    u.outputTokens += s.output_tokens ?? 0;
    u.sessionId ??= s.session_id;
    u.agentName ??= s.agent_name;
    u.serviceName ??= s.service_name;
    t.start = Math.min(t.start, s.started_us);
    t.end = Math.max(t.end, s.ended_us);
  }
  return [...byTrace.values()].map(({ u, start, end }) => ({ ...u, startedAt: iso(start), endedAt: iso(end) }));
}

/** The filter keys of a trace update. */
export function traceKeys(u: TraceUpdate): EventKeys {
  return { project: u.projectId, status: u.status, session: u.sessionId, agent: u.agentName, service: u.serviceName };
}
