import { Counter, Gauge, type Registry } from 'prom-client';
import { LOG_EVENT_KINDS } from '../model/log-record.js';

/** The receivers of the logs signal (the OTLP ones of registry.ts RECEIVERS). */
const LOG_RECEIVERS = ['otlp_grpc', 'otlp_http_protobuf', 'otlp_http_json'] as const;

/** Why a log record was acknowledged without being stored (`lookspan_log_records_ignored_total{reason}`). */
export const LOG_IGNORE_REASONS = ['not_an_event', 'other_event'] as const;
export type LogIgnoreReason = (typeof LOG_IGNORE_REASONS)[number];
/** Why decoded log records were not accepted (`lookspan_log_records_rejected_total{reason}`). */
export const LOG_REJECT_REASONS = ['invalid', 'queue_full', 'unavailable'] as const;
/** Why a whole logs request was refused before it was decoded (`lookspan_log_requests_refused_total{reason}`). */
export const LOG_REFUSE_REASONS = ['concurrency', 'queue_full', 'wal_backlog', 'unavailable'] as const;

/** What the log gauges read at scrape time; until `bind` is called they read 0. */
export interface LogRuntimeSources {
  /** Log records admitted and waiting for their WAL fsync. */
  queuedRecords(): number;
  /** The log WAL: durable, not yet loaded. */
  walLag(): { bytes: number; records: number };
  /** Records the log loader inserted into DuckDB so far. */
  insertedRecords(): number;
}

/** The OTLP logs signal's metrics (docs/metrics.md "Log records"), fed by src/pipeline/logs.ts. */
export interface LogMetrics {
  received: Counter<'receiver'>;
  stored: Counter<'receiver' | 'kind'>;
  ignored: Counter<'receiver' | 'reason'>;
  rejected: Counter<'receiver' | 'reason'>;
  refused: Counter<'receiver' | 'reason'>;
  bind(sources: LogRuntimeSources): void;
}

/** Defines the log metrics on `registry`, every label combination at 0. */
export function defineLogMetrics(registry: Registry): LogMetrics {
  const registers = [registry];
  let sources: LogRuntimeSources | null = null;
  const m: LogMetrics = {
    received: new Counter({ name: 'lookspan_log_records_received_total', help: 'OTLP log records decoded from requests, by receiver.', labelNames: ['receiver'], registers }),
    stored: new Counter({ name: 'lookspan_log_records_stored_total', help: 'Log records acknowledged after their WAL fsync and stored, by receiver and event kind.', labelNames: ['receiver', 'kind'], registers }),
    ignored: new Counter({ name: 'lookspan_log_records_ignored_total', help: 'Log records acknowledged but not stored (no GenAI or MCP event; logs.storeOtherEvents off), by receiver and reason.', labelNames: ['receiver', 'reason'], registers }),
    rejected: new Counter({ name: 'lookspan_log_records_rejected_total', help: 'Decoded log records not accepted, by receiver and reason (invalid ones through partial success).', labelNames: ['receiver', 'reason'], registers }),
    refused: new Counter({ name: 'lookspan_log_requests_refused_total', help: 'Logs requests refused before decoding (429/503, RESOURCE_EXHAUSTED/UNAVAILABLE), by receiver and reason.', labelNames: ['receiver', 'reason'], registers }),
    bind(s) {
      sources = s;
    },
  };
  for (const receiver of LOG_RECEIVERS) {
    m.received.inc({ receiver }, 0);
    for (const kind of LOG_EVENT_KINDS) m.stored.inc({ receiver, kind }, 0);
    for (const reason of LOG_IGNORE_REASONS) m.ignored.inc({ receiver, reason }, 0);
    for (const reason of LOG_REJECT_REASONS) m.rejected.inc({ receiver, reason }, 0);
    for (const reason of LOG_REFUSE_REASONS) m.refused.inc({ receiver, reason }, 0);
  }
  new Gauge({ name: 'lookspan_log_ingest_queue_records', help: 'Log records admitted and waiting for their WAL fsync.', registers,
    collect() { this.set(sources?.queuedRecords() ?? 0); } });
  new Gauge({ name: 'lookspan_log_wal_unloaded_bytes', help: 'Log WAL bytes durable but not yet loaded into DuckDB.', registers,
    collect() { this.set(sources?.walLag().bytes ?? 0); } });
  new Gauge({ name: 'lookspan_log_wal_unloaded_records', help: 'Log records durable in the log WAL but not yet loaded into DuckDB.', registers,
    collect() { this.set(sources?.walLag().records ?? 0); } });
  new Counter({ name: 'lookspan_log_records_loaded_total', help: 'Log record rows the log loader inserted into DuckDB from sealed log WAL segments.', registers,
    collect() { this.reset(); this.inc(sources?.insertedRecords() ?? 0); } });
  return m;
}
