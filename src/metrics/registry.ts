import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import { defineLogMetrics, type LogMetrics } from './logs.js';

/**
 * Every Prometheus metric Lookspan serves at `GET /metrics`, defined here and
 * nowhere else (docs/metrics.md describes each one; test/metrics checks that
 * the two agree). Each running server owns one `LookspanMetrics` with its
 * own `Registry`, never prom-client's global one, so several servers in one
 * process (the tests) keep separate counts.
 */

/** The `receiver` label values (the entry points of docs/metrics.md). */
export const RECEIVERS = ['otlp_grpc', 'otlp_http_protobuf', 'otlp_http_json', 'native_ingest', 'native_tool_spans'] as const;
/** The `reason` label values of `lookspan_spans_rejected_total`. */
export const REJECT_REASONS = ['queue_full', 'wal_backlog', 'unavailable', 'invalid', 'duplicate'] as const;
/** The `reason` label values of `lookspan_ingest_requests_refused_total` (src/pipeline/admission.ts RefusalReason). */
export const REFUSAL_REASONS = ['concurrency', 'queue_full', 'wal_backlog', 'unavailable'] as const;
/** Normalized span types (`lookspan_spans_by_type_total{type}`), as in SpanRecord. */
export const SPAN_TYPES = ['llm_call', 'tool_call', 'agent', 'chain', 'retriever', 'embedding', 'mcp', 'other'] as const;
/** The gRPC method the OTLP receiver serves (`lookspan_grpc_request_duration_seconds{method}`). */
export const GRPC_EXPORT_METHOD = 'opentelemetry.proto.collector.trace.v1.TraceService/Export';
/** Status codes the Export handler answers with (src/errors.ts), exposed from the start. */
export const GRPC_EXPORT_CODES = ['OK', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL'] as const;

const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FSYNC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const LOAD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LLM_CALL_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];
const TOOL_CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const HEALTH_CHECK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * prom-client's default metrics that are gauges named like counters
 * (`promtool check metrics`: non-counter metrics should not have "_total");
 * each is the sum over `type` of the gauge without the suffix, which stays.
 */
const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** State the gauges read at scrape time; until `bind` is called they read 0. */
export interface RuntimeSources {
  /** Spans admitted and waiting for their WAL fsync. */
  queuedSpans(): number;
  walLag(): { bytes: number; spans: number; oldestAgeSeconds: number };
  loader(): { insertedSpans: number; quarantinedSpans: number; quarantineFiles: number };
  /** Items cut by the span limits so far, by limit. */
  spanLimits(): ReadonlyMap<string, number>;
  /** Span rows in the store (may be cached); null when unknown (store closed). */
  storedSpans(): Promise<number | null>;
  /** Each writing stage's disk-fault state (src/store/disk-fault.ts); absent: none reported. */
  diskFaults?(): ReadonlyArray<{ stage: string; current: unknown; failuresTotal: number }>;
  /** The lake's object-storage mirror (src/store/lake/mirror.ts); null or absent: off. */
  lakeMirror?(): MirrorCounters | null;
  /** The live streams (src/live/hub.ts `stats`); absent: none. */
  live?(): LiveCounters;
  /** Alerting and prevention (src/alerts/index.ts `stats`); absent: none. */
  alerts?(): AlertCounters;
}

/** What the alert metrics read (src/alerts/index.ts `AlertStats`). */
export interface AlertCounters {
  triggered: number;
  resolved: number;
  deliveries: { delivered: number; failed: number; retried: number; dropped: number; blocked: number };
  pendingDeliveries: number;
  violations: number;
  skippedSpans: number;
}

/** What the live-stream metrics read (src/live/hub.ts `LiveStats`). */
export interface LiveCounters {
  wsClients: number;
  sseClients: number;
  published: Record<string, number>;
  droppedPending: number;
  sseDropped: number;
  clientsDropped: { websocket_slow: number; websocket_heartbeat: number };
  refused: { websocket: number; sse: number };
}

/** The `type` label values of `lookspan_live_events_total` (src/live/events.ts LIVE_EVENT_TYPES). */
export const LIVE_EVENT_TYPE_LABELS = ['span.ingested', 'trace.updated', 'alert.triggered', 'health.check'] as const;

/** What the mirror metrics read (src/store/lake/mirror.ts `counters`). */
export interface MirrorCounters {
  pendingFiles: number;
  failing: number;
  uploadedFiles: number;
  uploadedBytes: number;
  deletedObjects: number;
  failures: number;
}

/** The `stage` label values of the disk-fault metrics (src/store/disk-fault.ts FAULT_STAGES). */
export const DISK_FAULT_STAGES = ['wal', 'load', 'seal', 'logs_wal', 'logs_load'] as const;

/** Ingest counters by receiver, fed by the pipeline (src/pipeline/counters.ts). */
export interface IngestMetrics {
  received: Counter<'receiver'>;
  accepted: Counter<'receiver'>;
  rejected: Counter<'receiver' | 'reason'>;
  /** Requests refused by admission before they were read or decoded (src/pipeline/admission.ts). */
  refused: Counter<'receiver' | 'reason'>;
  /** The reference's `spans_ingested_total`: accepted spans, all receivers. */
  ingested: Counter;
  ackLatency: Histogram;
}

/** Defines the ingest metrics on `registers` with every receiver × reason series at 0. */
export function defineIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  const m: IngestMetrics = {
    received: new Counter({ name: 'lookspan_spans_received_total', help: 'Spans decoded from requests, before admission, by receiver.', labelNames: ['receiver'], registers }),
    accepted: new Counter({ name: 'lookspan_spans_accepted_total', help: 'Spans acknowledged after their WAL fsync, by receiver.', labelNames: ['receiver'], registers }),
    rejected: new Counter({ name: 'lookspan_spans_rejected_total', help: 'Decoded spans not accepted, by receiver and reason.', labelNames: ['receiver', 'reason'], registers }),
    refused: new Counter({ name: 'lookspan_ingest_requests_refused_total', help: 'Requests refused before they were read or decoded (admission), by receiver and reason.', labelNames: ['receiver', 'reason'], registers }),
    ingested: new Counter({ name: 'lookspan_spans_ingested_total', help: 'Spans ingested (acknowledged after fsync), all receivers.', registers }),
    ackLatency: new Histogram({ name: 'lookspan_ingest_ack_latency_seconds', help: 'Time from handing a request to the WAL until its fsync completed (the ack point).', buckets: ACK_BUCKETS, registers }),
  };
  for (const receiver of RECEIVERS) {
    m.received.inc({ receiver }, 0);
    m.accepted.inc({ receiver }, 0);
    for (const reason of REJECT_REASONS) m.rejected.inc({ receiver, reason }, 0);
    for (const reason of REFUSAL_REASONS) m.refused.inc({ receiver, reason }, 0);
  }
  return m;
}

export interface HttpMetricSet {
  requests: Counter<'method' | 'path' | 'status'>;
  duration: Histogram<'method' | 'path'>;
}

/** GenAI- and MCP-derived metrics, fed from accepted spans (src/metrics/genai.ts). */
export interface GenAiMetricSet {
  spansByType: Counter<'type'>;
  tokens: Counter<'provider' | 'model' | 'direction'>;
  tokenDetails: Counter<'provider' | 'model' | 'type'>;
  cost: Counter<'provider' | 'model' | 'project'>;
  llmCallDuration: Histogram<'provider' | 'model'>;
  toolCalls: Counter<'server' | 'tool' | 'status'>;
  toolCallDuration: Histogram<'server' | 'tool'>;
}

/** A counter that mirrors a monotonic value kept elsewhere (read at scrape time). */
function mirror(c: Counter<string>, labels: Record<string, string> | null, value: number): void {
  if (labels) c.inc(labels, value);
  else c.inc(value);
}

export class LookspanMetrics {
  readonly registry = new Registry();
  readonly ingest: IngestMetrics;
  readonly http: HttpMetricSet;
  readonly genai: GenAiMetricSet;
  /** The OTLP logs signal's counters and gauges (src/metrics/logs.ts). */
  readonly logs: LogMetrics;
  readonly grpcRequestDuration: Histogram<'method' | 'code'>;
  readonly walFsyncs: Counter;
  readonly walFsyncDuration: Histogram;
  readonly storeLoadDuration: Histogram;
  /** Active MCP server health checks (src/mcp), by configured server and result (up, degraded, down). */
  readonly healthChecks: Counter<'server' | 'status'>;
  /** Duration of one MCP health check (start to its last protocol step), by server. */
  readonly healthCheckDuration: Histogram<'server'>;
  private sources: RuntimeSources | null = null;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const self = this;
    if (opts.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'lookspan_' });
      for (const name of DROPPED_DEFAULT_METRICS) this.registry.removeSingleMetric(`lookspan_${name}`);
    }
    new Gauge({ name: 'lookspan_build_info', help: 'Always 1; the labels say which Lookspan and Node.js versions run.', labelNames: ['version', 'node_version'], registers })
      .set({ version: VERSION, node_version: process.version }, 1);

    this.ingest = defineIngestMetrics(this.registry);
    this.logs = defineLogMetrics(this.registry);
    new Counter({
      name: 'lookspan_span_limits_applied_total',
      help: 'Attributes, string values, events and links cut from stored spans by the span limits, by limit.',
      labelNames: ['limit'],
      registers,
      collect() {
        this.reset();
        for (const [limit, n] of self.sources?.spanLimits() ?? []) mirror(this, { limit }, n);
      },
    });
    new Gauge({ name: 'lookspan_ingest_queue_spans', help: 'Spans admitted and waiting for their WAL fsync.', registers,
      collect() { this.set(self.sources?.queuedSpans() ?? 0); } });

    // WAL and loader
    new Gauge({ name: 'lookspan_wal_unloaded_bytes', help: 'WAL bytes durable but not yet loaded into DuckDB.', registers,
      collect() { this.set(self.sources?.walLag().bytes ?? 0); } });
    new Gauge({ name: 'lookspan_wal_unloaded_spans', help: 'Spans durable in the WAL but not yet loaded into DuckDB.', registers,
      collect() { this.set(self.sources?.walLag().spans ?? 0); } });
    new Gauge({ name: 'lookspan_wal_oldest_unloaded_age_seconds', help: 'Age of the oldest WAL segment not yet loaded; 0 when none is pending.', registers,
      collect() { this.set(self.sources?.walLag().oldestAgeSeconds ?? 0); } });
    this.walFsyncs = new Counter({ name: 'lookspan_wal_fsyncs_total', help: 'WAL fdatasync calls (each covers a group of requests).', registers });
    this.walFsyncDuration = new Histogram({ name: 'lookspan_wal_fsync_duration_seconds', help: 'Duration of one WAL group-commit fdatasync.', buckets: FSYNC_BUCKETS, registers });
    new Gauge({ name: 'lookspan_wal_quarantined_spans', help: 'WAL lines (spans) the loader set aside in wal/quarantine.', registers,
      collect() { this.set(self.sources?.loader().quarantinedSpans ?? 0); } });
    new Gauge({ name: 'lookspan_wal_quarantine_files', help: 'Files in wal/quarantine.', registers,
      collect() { this.set(self.sources?.loader().quarantineFiles ?? 0); } });
    new Counter({ name: 'lookspan_spans_loaded_total', help: 'Span rows the loader inserted into DuckDB from sealed WAL segments.', registers,
      collect() { this.reset(); mirror(this, null, self.sources?.loader().insertedSpans ?? 0); } });
    new Gauge({ name: 'lookspan_store_disk_fault', help: 'Whether the disk refuses the writes of a stage now (1) or not (0): wal (ingest refused with 503/UNAVAILABLE), load, seal.', labelNames: ['stage'], registers,
      collect() {
        const by = new Map((self.sources?.diskFaults?.() ?? []).map((f) => [f.stage, f.current !== null ? 1 : 0]));
        for (const stage of DISK_FAULT_STAGES) this.set({ stage }, by.get(stage) ?? 0);
      } });
    new Counter({ name: 'lookspan_store_disk_write_failures_total', help: 'Write attempts the disk refused (full, size limit, read-only, permission, I/O error), retries and probes included, by stage.', labelNames: ['stage'], registers,
      collect() {
        this.reset();
        const by = new Map((self.sources?.diskFaults?.() ?? []).map((f) => [f.stage, f.failuresTotal]));
        for (const stage of DISK_FAULT_STAGES) mirror(this, { stage }, by.get(stage) ?? 0);
      } });
    // The lake's object-storage mirror: 0 while it is off.
    const lm = () => self.sources?.lakeMirror?.() ?? null;
    new Gauge({ name: 'lookspan_lake_mirror_pending_files', help: "Committed lake files not yet in the mirror's bucket, as of the mirror's last scan (at most 30 s old).", registers,
      collect() { this.set(lm()?.pendingFiles ?? 0); } });
    new Gauge({ name: 'lookspan_lake_mirror_failing_files', help: 'Lake files whose last upload to the mirror failed; each is retried with backoff.', registers,
      collect() { this.set(lm()?.failing ?? 0); } });
    new Counter({ name: 'lookspan_lake_mirror_uploaded_files_total', help: 'Lake files uploaded to the mirror bucket by this process.', registers,
      collect() { this.reset(); mirror(this, null, lm()?.uploadedFiles ?? 0); } });
    new Counter({ name: 'lookspan_lake_mirror_uploaded_bytes_total', help: 'Bytes of the lake files uploaded to the mirror bucket by this process.', registers,
      collect() { this.reset(); mirror(this, null, lm()?.uploadedBytes ?? 0); } });
    new Counter({ name: 'lookspan_lake_mirror_deleted_objects_total', help: 'Objects of compacted or retention-dropped lake files deleted from the mirror bucket by this process.', registers,
      collect() { this.reset(); mirror(this, null, lm()?.deletedObjects ?? 0); } });
    new Counter({ name: 'lookspan_lake_mirror_failures_total', help: "Mirror uploads and deletes that failed after the AWS SDK's own retries (each is tried again later).", registers,
      collect() { this.reset(); mirror(this, null, lm()?.failures ?? 0); } });
    this.storeLoadDuration = new Histogram({ name: 'lookspan_store_load_duration_seconds', help: 'Duration of one successful load of WAL segments into DuckDB (one transaction).', buckets: LOAD_BUCKETS, registers });
    new Gauge({ name: 'lookspan_store_spans', help: 'Span rows in the DuckDB store (counted at most every few seconds).', registers,
      async collect() {
        const n = self.sources ? await self.sources.storedSpans() : 0;
        if (n !== null) this.set(n);
      } });

    // HTTP and gRPC
    this.http = {
      requests: new Counter({ name: 'lookspan_http_requests_total', help: 'HTTP requests answered, by method, route template and status.', labelNames: ['method', 'path', 'status'], registers }),
      duration: new Histogram({ name: 'lookspan_http_request_duration_seconds', help: 'HTTP request duration, by method and route template.', labelNames: ['method', 'path'], buckets: REQUEST_BUCKETS, registers }),
    };
    this.grpcRequestDuration = new Histogram({ name: 'lookspan_grpc_request_duration_seconds', help: 'gRPC request duration, by method and status code.', labelNames: ['method', 'code'], buckets: REQUEST_BUCKETS, registers });
    for (const code of GRPC_EXPORT_CODES) this.grpcRequestDuration.zero({ method: GRPC_EXPORT_METHOD, code });

    // Live streams (src/live/)
    const live = () => self.sources?.live?.() ?? null;
    new Gauge({ name: 'lookspan_active_sse_connections', help: 'Open server-sent-event streams (/api/stream and /api/live/events).', registers,
      collect() { this.set(live()?.sseClients ?? 0); } });
    new Gauge({ name: 'lookspan_live_websocket_connections', help: 'Open WebSocket connections at /api/live.', registers,
      collect() { this.set(live()?.wsClients ?? 0); } });
    new Counter({ name: 'lookspan_live_events_total', help: 'Events the live broadcaster fanned out, by type.', labelNames: ['type'], registers,
      collect() {
        this.reset();
        const l = live();
        for (const type of LIVE_EVENT_TYPE_LABELS) mirror(this, { type }, l?.published[type] ?? 0);
      } });
    new Counter({ name: 'lookspan_live_events_dropped_total', help: 'Live events dropped: the oldest of a full SSE client buffer, or before fan-out when the broadcaster fell behind.', labelNames: ['reason'], registers,
      collect() {
        this.reset();
        mirror(this, { reason: 'sse_buffer_full' }, live()?.sseDropped ?? 0);
        mirror(this, { reason: 'broadcaster_behind' }, live()?.droppedPending ?? 0);
      } });
    new Counter({ name: 'lookspan_live_clients_closed_total', help: 'Live clients the server closed, by reason: slow (WebSocket queue full, code 4008) or heartbeat (no pong).', labelNames: ['transport', 'reason'], registers,
      collect() {
        this.reset();
        mirror(this, { transport: 'websocket', reason: 'slow' }, live()?.clientsDropped.websocket_slow ?? 0);
        mirror(this, { transport: 'websocket', reason: 'heartbeat' }, live()?.clientsDropped.websocket_heartbeat ?? 0);
      } });
    new Counter({ name: 'lookspan_live_clients_refused_total', help: 'Live connections refused with 503 at the client cap, by transport.', labelNames: ['transport'], registers,
      collect() {
        this.reset();
        mirror(this, { transport: 'websocket' }, live()?.refused.websocket ?? 0);
        mirror(this, { transport: 'sse' }, live()?.refused.sse ?? 0);
      } });

    // Alerts and prevention (src/alerts/)
    const al = () => self.sources?.alerts?.() ?? null;
    new Counter({ name: 'lookspan_alerts_total', help: 'Alerts recorded, by status: triggered (a breach or one-off event) or resolved (its recovery).', labelNames: ['status'], registers,
      collect() {
        this.reset();
        mirror(this, { status: 'triggered' }, al()?.triggered ?? 0);
        mirror(this, { status: 'resolved' }, al()?.resolved ?? 0);
      } });
    new Counter({ name: 'lookspan_alert_deliveries_total', help: 'Alert delivery outcomes (Slack and webhook): delivered, failed (after the last attempt), retried (an attempt to be repeated), dropped (queue full), blocked (outbound policy).', labelNames: ['result'], registers,
      collect() {
        this.reset();
        const d = al()?.deliveries;
        for (const result of ['delivered', 'failed', 'retried', 'dropped', 'blocked'] as const) mirror(this, { result }, d?.[result] ?? 0);
      } });
    new Gauge({ name: 'lookspan_alert_deliveries_pending', help: 'Alert deliveries waiting, in flight or waiting for a retry.', registers,
      collect() { this.set(al()?.pendingDeliveries ?? 0); } });
    new Counter({ name: 'lookspan_prevention_violations_total', help: 'Prevention rule violations found in received spans (loops, budgets, calls while a circuit breaker was open).', registers,
      collect() { this.reset(); mirror(this, null, al()?.violations ?? 0); } });
    new Counter({ name: 'lookspan_prevention_skipped_spans_total', help: 'Spans the prevention engine skipped because more than its bound waited for evaluation.', registers,
      collect() { this.reset(); mirror(this, null, al()?.skippedSpans ?? 0); } });

    // Active MCP server health checks (src/mcp): the server label takes configured names only, so it is bounded by the config.
    this.healthChecks = new Counter({ name: 'lookspan_health_checks_total', help: 'MCP server health checks run, by configured server and status (up, degraded, down).', labelNames: ['server', 'status'], registers });
    this.healthCheckDuration = new Histogram({ name: 'lookspan_health_check_duration_seconds', help: 'Duration of one MCP server health check (initialize through its last protocol step), by server.', labelNames: ['server'], buckets: HEALTH_CHECK_BUCKETS, registers });

    // GenAI and MCP, from accepted spans
    this.genai = {
      spansByType: new Counter({ name: 'lookspan_spans_by_type_total', help: 'Accepted spans by normalized type.', labelNames: ['type'], registers }),
      tokens: new Counter({ name: 'lookspan_llm_tokens_total', help: 'LLM tokens by provider, model and direction (input includes cached, output includes reasoning).', labelNames: ['provider', 'model', 'direction'], registers }),
      tokenDetails: new Counter({ name: 'lookspan_llm_token_details_total', help: 'Cache-read, cache-write and reasoning tokens by provider and model (already part of lookspan_llm_tokens_total).', labelNames: ['provider', 'model', 'type'], registers }),
      cost: new Counter({ name: 'lookspan_llm_cost_usd_total', help: 'LLM cost in US dollars by provider, model and project.', labelNames: ['provider', 'model', 'project'], registers }),
      llmCallDuration: new Histogram({ name: 'lookspan_llm_call_duration_seconds', help: 'Duration of llm_call spans by provider and model.', labelNames: ['provider', 'model'], buckets: LLM_CALL_BUCKETS, registers }),
      toolCalls: new Counter({ name: 'lookspan_mcp_tool_calls_total', help: 'MCP tool calls (tools/call spans) by server, tool and status.', labelNames: ['server', 'tool', 'status'], registers }),
      toolCallDuration: new Histogram({ name: 'lookspan_mcp_tool_call_duration_seconds', help: 'Duration of MCP tool calls by server and tool.', labelNames: ['server', 'tool'], buckets: TOOL_CALL_BUCKETS, registers }),
    };
    for (const type of SPAN_TYPES) this.genai.spansByType.inc({ type }, 0);
  }

  /** Connects the scrape-time gauges to the running pipeline and store. */
  bind(sources: RuntimeSources): void {
    this.sources = sources;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition (Prometheus text format). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
