import type Router from '@koa/router';
import type { Pipeline } from '../../pipeline/ingest.js';
import type { Store } from '../../store/index.js';
import type { SpanDigest } from '../../pipeline/normalize.js';
import type { HttpMetrics } from '../http-metrics.js';
import type { Histogram } from '../../pipeline/histogram.js';

/** LLM usage totals by provider/model, fed by accepted spans. Label sets are bounded by `maxSeries`. */
export class UsageCounters {
  readonly tokens = new Map<string, number>();
  readonly cost = new Map<string, number>();
  readonly byType = new Map<string, number>();
  constructor(private readonly maxSeries = 2000) {}

  observe = (spans: readonly SpanDigest[]): void => {
    for (const r of spans) {
      this.byType.set(r.type, (this.byType.get(r.type) ?? 0) + 1);
      if (r.input_tokens == null && r.output_tokens == null && r.cost_usd == null) continue;
      const model = r.model ?? 'unknown';
      const base = `${r.provider ?? 'unknown'}\u0000${model}`;
      if (this.cost.size >= this.maxSeries && !this.cost.has(base)) continue;
      if (r.input_tokens) this.add(this.tokens, `${base}\u0000input`, r.input_tokens);
      if (r.output_tokens) this.add(this.tokens, `${base}\u0000output`, r.output_tokens);
      this.add(this.cost, base, r.cost_usd ?? 0);
    }
  };

  private add(m: Map<string, number>, k: string, v: number): void {
    m.set(k, (m.get(k) ?? 0) + v);
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (names: string[], key: string) => {
  const vals = key.split('\u0000');
  return '{' + names.map((n, i) => `${n}="${esc(vals[i] ?? '')}"`).join(',') + '}';
};

function histogram(out: string[], name: string, lbl: string, h: Histogram) {
  let cum = 0;
  const sep = lbl ? lbl.slice(0, -1) + ',' : '{';
  for (let i = 0; i < h.bounds.length; i++) {
    cum += h.counts[i];
    out.push(`${name}_bucket${sep}le="${h.bounds[i]}"} ${cum}`);
  }
  out.push(`${name}_bucket${sep}le="+Inf"} ${h.count}`);
  out.push(`${name}_sum${lbl} ${h.sum}`);
  out.push(`${name}_count${lbl} ${h.count}`);
}

/** GET /metrics in the Prometheus text exposition format (docs/metrics.md). */
export function mountMetrics(router: Router, deps: { pipeline: Pipeline; store: Store; http: HttpMetrics; usage: UsageCounters }): void {
  router.get('/metrics', (ctx) => {
    const { pipeline, store, http, usage } = deps;
    const c = pipeline.counters;
    const out: string[] = [];
    const counter = (name: string, help: string, names: string[], map: Map<string, number>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [k, v] of map) out.push(`${name}${labels(names, k)} ${v}`);
    };
    const gauge = (name: string, help: string, v: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    counter('lookspan_spans_received_total', 'Spans received, by receiver.', ['receiver'], c.receivedByReceiver);
    counter('lookspan_spans_accepted_total', 'Spans acknowledged after fsync, by receiver.', ['receiver'], c.acceptedByReceiver);
    counter('lookspan_spans_rejected_total', 'Spans refused, by receiver and reason.', ['receiver', 'reason'], c.rejectedByReason);
    counter('lookspan_span_limits_applied_total', 'Attributes, string values, events and links cut from stored spans by the span limits, by limit.', ['limit'], c.spanLimits.byLimit);
    out.push('# HELP lookspan_spans_loaded_total Spans moved from the WAL into DuckDB.', '# TYPE lookspan_spans_loaded_total counter',
      `lookspan_spans_loaded_total ${store.loader.stats.insertedSpans}`);
    const lag = store.lag();
    gauge('lookspan_wal_unloaded_bytes', 'WAL bytes durable but not yet loaded.', lag.bytes);
    gauge('lookspan_wal_unloaded_spans', 'WAL spans durable but not yet loaded.', lag.spans);
    gauge('lookspan_wal_oldest_unloaded_age_seconds', 'Age of the oldest unloaded WAL segment.', lag.oldestAgeSeconds);
    out.push('# HELP lookspan_wal_fsyncs_total WAL fdatasync calls (each covers a group of requests).', '# TYPE lookspan_wal_fsyncs_total counter',
      `lookspan_wal_fsyncs_total ${store.wal.syncs}`);
    gauge('lookspan_wal_quarantined_spans', 'WAL lines (spans) the loader set aside in wal/quarantine, counted from disk at start-up.', store.loader.stats.quarantinedSpans);
    gauge('lookspan_wal_quarantine_files', 'Files in wal/quarantine.', store.loader.stats.quarantineFiles);
    gauge('lookspan_ingest_queue_spans', 'Spans admitted and waiting for fsync.', pipeline.queuedSpans);
    out.push('# HELP lookspan_ingest_ack_latency_seconds Time from admission to fsync (the ack point).', '# TYPE lookspan_ingest_ack_latency_seconds histogram');
    histogram(out, 'lookspan_ingest_ack_latency_seconds', '', c.ack);
    counter('lookspan_http_requests_total', 'HTTP requests by method, route and status.', ['method', 'route', 'status'], http.requests);
    out.push('# HELP lookspan_http_request_duration_seconds HTTP request latency.', '# TYPE lookspan_http_request_duration_seconds histogram');
    for (const [k, d] of http.durations) histogram(out, 'lookspan_http_request_duration_seconds', labels(['method', 'route'], k), d);
    counter('lookspan_llm_tokens_total', 'LLM tokens by provider, model and direction.', ['provider', 'model', 'direction'], usage.tokens);
    counter('lookspan_llm_cost_usd_total', 'LLM cost in USD by provider and model.', ['provider', 'model'], usage.cost);
    counter('lookspan_spans_by_type_total', 'Accepted spans by normalized type.', ['type'], usage.byType);
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = out.join('\n') + '\n';
  });
}
