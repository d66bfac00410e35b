import type { ComponentChildren } from 'preact';
import type { ApiError } from '../api/client.js';
import { Link } from '../router.js';

/** A failed load, with the way out when the cause is a missing or refused key. */
export function ErrorBox({ error, what }: { error: ApiError; what: string }) {
  const key = error.status === 401 || error.status === 403;
  return (
    <div class="notice error" role="alert">
      <strong>Could not load {what}.</strong> {error.message}
      {key && <> <Link href="/settings">Enter an API key in Settings</Link>.</>}
    </div>
  );
}

/** What a section shows while it loads, fails, or has nothing. */
export function Status<T>({ loading, error, data, what, children }: {
  loading: boolean; error: ApiError | null; data: T | null; what: string; children: (d: T) => ComponentChildren;
}) {
  if (error) return <ErrorBox error={error} what={what} />;
  if (data === null) return <p class="muted" aria-busy={loading}>Loading {what}…</p>;
  return <>{children(data)}</>;
}

export function Card({ title, children, wide }: { title: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <section class={`card${wide ? ' wide' : ''}`} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** One figure with its label; `hint` says what it counts. */
export function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div class="figure">
      <div class="figure-value">{value}</div>
      <div class="figure-label">{label}</div>
      {hint && <div class="figure-hint">{hint}</div>}
    </div>
  );
}

const STATUS_CLASS: Record<string, string> = {
  ok: 'good', success: 'good', resolved: 'good', up: 'good', error: 'bad', triggered: 'bad', down: 'bad', cancelled: 'warn', unset: 'neutral',
  degraded: 'warn', stale: 'warn', critical: 'bad', high: 'bad', medium: 'warn', warning: 'warn', breaking: 'bad', compatible: 'good',
};

/** A status word with its colour; the word itself carries the meaning, so colour is never the only cue. */
export function Badge({ value }: { value: string | null | undefined }) {
  const v = value ?? 'unknown';
  return <span class={`badge ${STATUS_CLASS[v] ?? 'neutral'}`}>{v}</span>;
}

const HEALTH_CLASS: Record<string, string> = { success: 'good', success_with_fallback: 'warn', schema_drift: 'warn' };

export function HealthTag({ tag }: { tag: string }) {
  return <span class={`badge ${HEALTH_CLASS[tag] ?? 'bad'}`}>{tag.replace(/_/g, ' ')}</span>;
}

/** Rows with a proportional bar (a chart that is also a table for screen readers). */
export function BarTable<T>({ caption, rows, label, value, format, extra }: {
  caption: string; rows: readonly T[]; label: (r: T) => ComponentChildren; value: (r: T) => number; format: (n: number) => string;
  extra?: { head: string; cell: (r: T) => ComponentChildren };
}) {
  const max = Math.max(...rows.map(value), 0);
  if (rows.length === 0) return <p class="muted">Nothing in this window.</p>;
  return (
    <table class="bars">
      <caption class="sr-only">{caption}</caption>
      <thead>
        <tr><th scope="col">Name</th><th scope="col" class="num">Value</th>{extra && <th scope="col">{extra.head}</th>}</tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <th scope="row">
              <span class="bar-label">{label(r)}</span>
              <span class="bar" aria-hidden="true"><span style={{ width: `${max > 0 ? (value(r) / max) * 100 : 0}%` }} /></span>
            </th>
            <td class="num">{format(value(r))}</td>
            {extra && <td>{extra.cell(r)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A labelled text input whose value goes to a filter. */
export function TextField({ id, label, value, onInput, placeholder, type = 'text' }: {
  id: string; label: string; value: string; onInput: (v: string) => void; placeholder?: string; type?: 'text' | 'password' | 'url' | 'number';
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type={type as "text"} value={value} placeholder={placeholder} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
    </div>
  );
}

export function SelectField({ id, label, value, options, onChange }: {
  id: string; label: string; value: string; options: ReadonlyArray<readonly [string, string]>; onChange: (v: string) => void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
      </select>
    </div>
  );
}

/** Shown when the store holds no data yet: how to send it some. */
export function SendTraces() {
  const http = `${location.protocol}//${location.host}`;
  const host = location.hostname;
  return (
    <div class="empty">
      <p>No spans yet. Point a collector or an SDK at this Lookspan:</p>
      <h3>OpenTelemetry Collector exporter</h3>
      <pre class="code" tabIndex={0} aria-label="Collector exporter configuration">{`exporters:
  otlp/lookspan:              # otlp_grpc/lookspan on collector >= v0.144
    endpoint: ${host}:3317    # the gRPC port (LOOKSPAN_GRPC_PORT, default 3317)
    compression: gzip
    tls:
      insecure: true
  # or over HTTP:
  otlphttp/lookspan:
    endpoint: ${http}

service:
  pipelines:
    traces:
      exporters: [otlp/lookspan]`}</pre>
      <h3>SDK environment variables</h3>
      <pre class="code" tabIndex={0} aria-label="SDK environment variables">{`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=${http}/v1/traces
OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/protobuf
# with an ingest key:
OTEL_EXPORTER_OTLP_TRACES_HEADERS=authorization=Bearer%20<key>`}</pre>
      <p class="muted">A span shows up here within about a second of its acknowledgement.</p>
    </div>
  );
}

/** A filter form that folds away on a narrow screen (open on a wide one, or while filters are set). */
export function FilterBox({ active, children }: { active: number; children: ComponentChildren }) {
  const narrow = typeof matchMedia === 'function' && matchMedia('(max-width: 600px)').matches;
  return (
    <details class="filter-box" open={!narrow || active > 0}>
      <summary>Filters{active > 0 ? ` (${active} set)` : ''}</summary>
      {children}
    </details>
  );
}
