// Static checks of the deployment artifacts: the Grafana dashboards and the
// deployment docs. Nothing here needs Grafana. The collector configs and the
// Helm chart have their own files (collector-configs.test.ts, helm.test.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
  lookspan_spans_ingested_total: 'counter',
  lookspan_span_limits_applied_total: 'counter',
  lookspan_wal_fsyncs_total: 'counter',
  lookspan_wal_fsync_duration_seconds: 'histogram',
  lookspan_wal_quarantined_spans: 'gauge',
  lookspan_wal_quarantine_files: 'gauge',
  lookspan_store_load_duration_seconds: 'histogram',
  lookspan_store_spans: 'gauge',
  lookspan_grpc_request_duration_seconds: 'histogram',
  lookspan_build_info: 'gauge',
  lookspan_active_sse_connections: 'gauge',
  lookspan_llm_token_details_total: 'counter',
  lookspan_llm_call_duration_seconds: 'histogram',
  lookspan_mcp_tool_calls_total: 'counter',
  lookspan_mcp_tool_call_duration_seconds: 'histogram',
  // prom-client's default metrics (collectDefaultMetrics, prefix lookspan_), those the dashboards use
  lookspan_process_cpu_seconds_total: 'counter',
  lookspan_process_resident_memory_bytes: 'gauge',
  lookspan_nodejs_heap_size_used_bytes: 'gauge',
  lookspan_nodejs_eventloop_lag_p99_seconds: 'gauge',
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
    expect(dashboardFiles.map(rel)).toEqual(expect.arrayContaining([
      'dashboards/lookspan-ingest.json', 'dashboards/lookspan-llm.json', 'dashboards/lookspan-mcp.json', 'dashboards/lookspan-slo.json',
    ]));
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

    it('takes its data source from the ${datasource} variable', () => {
      const templating = asRecord(dashboard.templating ?? {}, 'templating');
      const variables = (templating.list ?? []) as Array<{ name?: unknown; type?: unknown; query?: unknown; datasource?: unknown }>;
      expect(variables).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
      const ds = { type: 'prometheus', uid: '${datasource}' };
      for (const panel of queryPanels) {
        expect(panel.datasource, `panel "${String(panel.title)}"`).toEqual(ds);
        for (const target of panel.targets ?? []) expect(target.datasource, `panel "${String(panel.title)}" ${String(target.refId)}`).toEqual(ds);
      }
      for (const variable of variables.filter((v) => v.type === 'query')) expect(variable.datasource, `variable ${String(variable.name)}`).toEqual(ds);
      expect(JSON.stringify(dashboard)).not.toContain('DS_PROMETHEUS');
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

// ------------------------------------------------------------ deployment docs

/** Docs that describe running Lookspan, kept to what the code does today. */
const DEPLOY_DOCS = ['README.md', 'docs/deploy.md', 'docs/architecture.md', 'helm/lookspan/README.md', 'config/collector/README.md'];
/** Everything under these is shipped documentation or configuration: none may point outside the repository. */
const SHIPPED = ['README.md', ...['docs', 'helm', 'config', 'dashboards'].flatMap((dir) =>
  filesUnder(join(repoRoot, dir), ['.md', '.yaml', '.yml', '.txt', '.tpl', '.json']).map(rel),
)];

const loadTs = readFileSync(join(repoRoot, 'src', 'config', 'load.ts'), 'utf8');
const SERVICE_ENV = new Set([
  ...[...loadTs.matchAll(/\['(LOOKSPAN_[A-Z0-9_]+)'/g)].map((m) => m[1]),
  ...[...loadTs.matchAll(/env\.(LOOKSPAN_[A-Z0-9_]+)/g)].map((m) => m[1]),
]);

describe('deployment docs', () => {
  it.each(SHIPPED)('%s cites no file outside the repository', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared|\bshared\/|DESIGN\.md|STYLE\.md|\breference\//);
  });

  it.each([...DEPLOY_DOCS, ...SHIPPED.filter((f) => /^(helm|config)\//.test(f) && !f.endsWith('.md'))])(
    '%s names only LOOKSPAN_* variables the service reads',
    (file) => {
      const names = [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/\bLOOKSPAN_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]);
      expect([...new Set(names)].filter((name) => !SERVICE_ENV.has(name))).toEqual([]);
    },
  );

  it.each(DEPLOY_DOCS)('%s links only to files that exist', (file) => {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    const broken: string[] = [];
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1].split('#')[0];
      if (target === '' || /^[a-z]+:/.test(target)) continue;
      try {
        statSync(join(repoRoot, dirname(file), target));
      } catch {
        broken.push(match[1]);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(['docs/deploy.md', 'docs/architecture.md', 'helm/lookspan/README.md', 'config/collector/README.md'])(
    '%s presents no unbuilt feature as available',
    (file) => {
      // Features later work adds. A line may name one only to say it does not exist yet.
      const unbuilt = /Parquet|\blake\b|\bS3\b|object storage|dashboard UI|web UI|redaction in/i;
      const saysNotYet = /not (?:implemented|built|part of|available)|no access control|does not (?:authenticate|redact)|not yet|there is no/i;
      const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
      const offending = lines
        .map((line, i) => ({ line, context: lines.slice(Math.max(0, i - 3), i + 1).join(' ') }))
        .filter(({ line, context }) => unbuilt.test(line) && !saysNotYet.test(context))
        .map(({ line }) => line.trim());
      expect(offending).toEqual([]);
    },
  );

  it('README quick start waits for the span to become queryable', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toMatch(/queryable within about a second/);
    const block = /```sh\n(curl -X POST http:\/\/127\.0\.0\.1:3100\/api\/ingest[\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const ingest = block.indexOf('/api/ingest');
    const wait = block.indexOf('sleep 1');
    const query = block.indexOf('/api/traces?');
    expect(ingest).toBeGreaterThanOrEqual(0);
    expect(wait).toBeGreaterThan(ingest);
    expect(query).toBeGreaterThan(wait);
  });
});
