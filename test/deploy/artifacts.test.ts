// Static checks of the deployment artifacts: Grafana dashboards, collector
// configs and the Helm chart. Nothing here needs Grafana, a collector or Helm.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Metrics the service exports at /metrics (docs/metrics.md), by type. */
const EXPORTED_METRICS: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  lookspan_spans_received_total: 'counter',
  lookspan_spans_accepted_total: 'counter',
  lookspan_spans_rejected_total: 'counter',
  lookspan_spans_loaded_total: 'counter',
  lookspan_wal_unloaded_bytes: 'gauge',
  lookspan_wal_unloaded_spans: 'gauge',
  lookspan_wal_oldest_unloaded_age_seconds: 'gauge',
  lookspan_ingest_queue_spans: 'gauge',
  lookspan_ingest_ack_latency_seconds: 'histogram',
  lookspan_http_requests_total: 'counter',
  lookspan_http_request_duration_seconds: 'histogram',
  lookspan_llm_tokens_total: 'counter',
  lookspan_llm_cost_usd_total: 'counter',
  lookspan_spans_by_type_total: 'counter',
};

/** Series names a query may select: counters and gauges as is, histograms by their suffixed series. */
const QUERYABLE_SERIES = new Set(
  Object.entries(EXPORTED_METRICS).flatMap(([name, type]) =>
    type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  ),
);

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** Metric names selected by a PromQL expression (Grafana variables allowed). */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?\b/gi, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    if (match[1] !== undefined) continue; // a function or aggregation call
    if (PROMQL_WORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

/** The PromQL inside a Grafana variable query (label_values(expr, label) or a plain expression). */
function variableQueryExpr(query: string): string {
  const labelValues = /^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
  return labelValues ? labelValues[1] : query;
}

function filesUnder(dir: string, suffixes: string[]): string[] {
  return readdirSync(dir)
    .flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(path).isDirectory() ? filesUnder(path, suffixes) : [path];
    })
    .filter((path) => suffixes.some((suffix) => path.endsWith(suffix)))
    .sort();
}

function loadYaml(path: string): unknown {
  const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

const rel = (path: string): string => relative(repoRoot, path);

describe('metricNamesIn', () => {
  it('finds selected series and ignores functions, labels, strings and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(foo_seconds_bucket{job=~"$job", status=~"5.."}[$__rate_interval])))',
      ),
    ).toEqual(['foo_seconds_bucket']);
    expect(metricNamesIn('sum(rate(a_total[5m])) / sum(rate(b_total[5m])) * 3600 or vector(0)')).toEqual(['a_total', 'b_total']);
    expect(metricNamesIn('topk(10, sum without (instance) (increase(c_total[${__range}])))')).toEqual(['c_total']);
    expect(metricNamesIn('x_total offset 5m > bool 1e-9')).toEqual(['x_total']);
  });
});

// ----------------------------------------------------------------- dashboards

interface GrafanaTarget {
  expr?: unknown;
  refId?: unknown;
  datasource?: unknown;
}
interface GrafanaPanel {
  id?: unknown;
  type?: unknown;
  title?: unknown;
  datasource?: unknown;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

function allPanels(panels: GrafanaPanel[]): GrafanaPanel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

const dashboardFiles = filesUnder(join(repoRoot, 'dashboards'), ['.json']);

describe('Grafana dashboards', () => {
  it('exist', () => {
    expect(dashboardFiles.map(rel)).toEqual(expect.arrayContaining(['dashboards/lookspan-ingest.json', 'dashboards/lookspan-llm.json']));
  });

  it('have distinct uids', () => {
    const uids = dashboardFiles.map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { uid?: unknown }).uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  describe.each(dashboardFiles.map((file) => [rel(file), file]))('%s', (_name, file) => {
    const dashboard = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const panels = allPanels((dashboard.panels ?? []) as GrafanaPanel[]);
    const queryPanels = panels.filter((panel) => panel.type !== 'row');

    it('has uid, title, panels and schemaVersion 39', () => {
      expect(typeof dashboard.uid).toBe('string');
      expect((dashboard.uid as string).length).toBeGreaterThan(0);
      expect((dashboard.uid as string).length).toBeLessThanOrEqual(40);
      expect(typeof dashboard.title).toBe('string');
      expect((dashboard.title as string).length).toBeGreaterThan(0);
      expect(Array.isArray(dashboard.panels)).toBe(true);
      expect(queryPanels.length).toBeGreaterThan(0);
      expect(dashboard.schemaVersion).toBe(39);
      expect(dashboard.id).toBeNull();
    });

    it('takes its data source from the DS_PROMETHEUS input', () => {
      const inputs = (dashboard.__inputs ?? []) as Array<{ name?: unknown; type?: unknown; pluginId?: unknown }>;
      expect(inputs).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }));
      for (const panel of queryPanels) {
        expect(panel.datasource, `panel "${String(panel.title)}"`).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      }
    });

    it('has unique panel ids and titled panels with targets', () => {
      const ids = panels.map((panel) => panel.id);
      expect(ids.every((id) => typeof id === 'number')).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of queryPanels) {
        expect(typeof panel.title).toBe('string');
        expect(panel.targets?.length ?? 0, `panel "${String(panel.title)}"`).toBeGreaterThan(0);
        const refIds = (panel.targets ?? []).map((target) => target.refId);
        expect(new Set(refIds).size).toBe(refIds.length);
      }
    });

    it('queries only metrics Lookspan exports', () => {
      const exprs = queryPanels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ panel: String(panel.title), expr: target.expr })),
      );
      const templating = asRecord(dashboard.templating ?? {}, 'templating');
      for (const variable of (templating.list ?? []) as Array<{ name?: unknown; type?: unknown; definition?: unknown }>) {
        if (variable.type === 'query' && typeof variable.definition === 'string') {
          exprs.push({ panel: `variable ${String(variable.name)}`, expr: variableQueryExpr(variable.definition) });
        }
      }
      expect(exprs.length).toBeGreaterThan(0);
      for (const { panel, expr } of exprs) {
        expect(typeof expr, `${panel}: expr`).toBe('string');
        const names = metricNamesIn(expr as string);
        expect(names.length, `${panel}: ${String(expr)}`).toBeGreaterThan(0);
        for (const name of names) {
          expect(QUERYABLE_SERIES.has(name), `${panel}: unknown metric ${name} in ${String(expr)}`).toBe(true);
        }
      }
    });
  });
});

// ------------------------------------------------------------ collector configs

const collectorFiles = filesUnder(join(repoRoot, 'config', 'collector'), ['.yaml', '.yml']);
const LOOKSPAN_EXPORTER_TYPES = new Set(['otlp', 'otlp_grpc', 'otlphttp', 'otlp_http', 'loadbalancing', 'load_balancing']);

describe('OpenTelemetry Collector configs', () => {
  it('exist', () => {
    expect(collectorFiles.map(rel)).toEqual(
      expect.arrayContaining(['config/collector/otlp-grpc.yaml', 'config/collector/otlp-http.yaml', 'config/collector/loadbalancing.yaml']),
    );
  });

  describe.each(collectorFiles.map((file) => [rel(file), file]))('%s', (_name, file) => {
    const config = asRecord(loadYaml(file), file);
    const section = (name: string): Record<string, unknown> => asRecord(config[name] ?? {}, name);
    const pipelines = asRecord(asRecord(config.service, 'service').pipelines, 'service.pipelines');

    it('has a traces pipeline with at least one exporter', () => {
      const traces = asRecord(pipelines.traces, 'service.pipelines.traces');
      expect(Array.isArray(traces.exporters)).toBe(true);
      expect((traces.exporters as unknown[]).length).toBeGreaterThan(0);
      expect((traces.receivers as unknown[]).length).toBeGreaterThan(0);
    });

    it('references only components it defines', () => {
      for (const [pipelineName, pipelineValue] of Object.entries(pipelines)) {
        const pipeline = asRecord(pipelineValue, `pipeline ${pipelineName}`);
        for (const kind of ['receivers', 'processors', 'exporters']) {
          for (const id of (pipeline[kind] ?? []) as unknown[]) {
            expect(typeof id).toBe('string');
            expect(Object.keys(section(kind)), `${pipelineName}.${kind}: ${String(id)}`).toContain(id);
          }
        }
      }
    });

    it('receives OTLP and runs memory_limiter first, then batch', () => {
      const traces = asRecord(pipelines.traces, 'service.pipelines.traces');
      expect(traces.receivers).toContain('otlp');
      expect(Object.keys(asRecord(asRecord(section('receivers').otlp, 'receivers.otlp').protocols, 'otlp.protocols')).sort()).toEqual(['grpc', 'http']);
      const processors = (traces.processors ?? []) as string[];
      expect(processors[0]?.split('/')[0]).toBe('memory_limiter');
      expect(processors.map((id) => id.split('/')[0])).toContain('batch');
    });

    it('exports with gzip, a sending queue and retries', () => {
      const traces = asRecord(pipelines.traces, 'service.pipelines.traces');
      for (const id of traces.exporters as string[]) {
        expect(LOOKSPAN_EXPORTER_TYPES.has(id.split('/')[0] ?? ''), `exporter type of ${id}`).toBe(true);
        const exporter = asRecord(section('exporters')[id], id);
        // The load-balancing exporter queues and retries above its per-replica OTLP exporters.
        const transport = exporter.protocol === undefined ? exporter : asRecord(asRecord(exporter.protocol, 'protocol').otlp, 'protocol.otlp');
        expect(transport.compression, id).toBe('gzip');
        expect(asRecord(exporter.sending_queue, `${id}.sending_queue`).enabled, id).toBe(true);
        expect(asRecord(exporter.retry_on_failure, `${id}.retry_on_failure`).enabled, id).toBe(true);
      }
    });
  });
});

// -------------------------------------------------------------------- helm chart

const chartDir = join(repoRoot, 'helm', 'lookspan');
const templateFiles = filesUnder(join(chartDir, 'templates'), ['.yaml', '.tpl', '.txt']);

describe('Helm chart', () => {
  const chart = asRecord(loadYaml(join(chartDir, 'Chart.yaml')), 'Chart.yaml');
  const values = asRecord(loadYaml(join(chartDir, 'values.yaml')), 'values.yaml');
  const templates = templateFiles.map((file) => ({ file: rel(file), text: readFileSync(file, 'utf8') }));

  it('has a v2 Chart.yaml', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('lookspan');
    expect(chart.type).toBe('application');
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+(?:[-+].*)?$/);
    expect(typeof chart.appVersion).toBe('string');
  });

  it('has the templates the deployment needs', () => {
    expect(templates.map((t) => t.file)).toEqual(
      expect.arrayContaining([
        'helm/lookspan/templates/_helpers.tpl',
        'helm/lookspan/templates/NOTES.txt',
        'helm/lookspan/templates/statefulset.yaml',
        'helm/lookspan/templates/service.yaml',
        'helm/lookspan/templates/configmap.yaml',
        'helm/lookspan/templates/serviceaccount.yaml',
        'helm/lookspan/templates/servicemonitor.yaml',
      ]),
    );
  });

  it('references only values that values.yaml defines', () => {
    const missing: string[] = [];
    for (const { file, text } of templates) {
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const path = match[1].slice(1).split('.');
        let node: unknown = values;
        for (const key of path) {
          if (!isRecord(node) || !Object.prototype.hasOwnProperty.call(node, key)) {
            missing.push(`${file}: .Values.${path.join('.')}`);
            break;
          }
          node = node[key];
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('uses every top-level value', () => {
    const used = new Set(templates.flatMap(({ text }) => [...text.matchAll(/\.Values\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])));
    expect(Object.keys(values).filter((key) => !used.has(key))).toEqual([]);
  });

  it('includes only templates it defines', () => {
    const defined = new Set(templates.flatMap(({ text }) => [...text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1])));
    for (const { file, text } of templates) {
      for (const match of text.matchAll(/\binclude\s+"([^"]+)"/g)) {
        expect(defined.has(match[1]), `${file}: include "${match[1]}"`).toBe(true);
      }
    }
  });

  it('has balanced template delimiters', () => {
    for (const { file, text } of templates) {
      expect(text.split('{{').length, file).toBe(text.split('}}').length);
    }
  });

  it('keeps the data directory single-writer and the ports named', () => {
    const statefulset = templates.find((t) => t.file.endsWith('statefulset.yaml'))?.text ?? '';
    const service = templates.find((t) => t.file.endsWith('/service.yaml'))?.text ?? '';
    expect(statefulset).toMatch(/kind: StatefulSet/);
    expect(statefulset).toMatch(/volumeClaimTemplates:/);
    expect(statefulset).toMatch(/path: \/api\/liveness|livenessProbe/);
    expect(values.replicaCount).toBe(1);
    expect(service).toMatch(/- name: http\b/);
    expect(service).toMatch(/- name: grpc\b[\s\S]*appProtocol: grpc/);
    const probes = values as { livenessProbe?: { httpGet?: { path?: string } }; readinessProbe?: { httpGet?: { path?: string } } };
    expect(probes.livenessProbe?.httpGet?.path).toBe('/api/liveness');
    expect(probes.readinessProbe?.httpGet?.path).toBe('/api/readiness');
  });
});
