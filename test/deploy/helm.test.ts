// Static checks of the Helm chart in helm/lookspan/: the values schema, the
// templates' structure and value paths, the variables the chart sets, the
// README's value table and the dashboard copies. `helm lint` and
// `helm template` run as well when a helm binary is on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chartDir = join(repoRoot, 'helm', 'lookspan');
const rel = (path: string): string => relative(repoRoot, path);

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

/** Helm's coalescing: user values over chart defaults, maps merged, null deletes a key. */
function coalesce(base: Mapping, over: Mapping): Mapping {
  const out: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else if (isMapping(value) && isMapping(out[key])) out[key] = coalesce(out[key] as Mapping, value);
    else out[key] = value;
  }
  return out;
}

const chart = loadYaml(join(chartDir, 'Chart.yaml')) as Mapping;
const values = loadYaml(join(chartDir, 'values.yaml')) as Mapping;
const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Mapping;
const templateFiles = filesUnder(join(chartDir, 'templates'), ['.yaml', '.tpl', '.txt']);
const templates = templateFiles.map((file) => ({ file: rel(file), text: readFileSync(file, 'utf8') }));
const templateText = (name: string): string => {
  const found = templates.find((t) => t.file === `helm/lookspan/templates/${name}`);
  if (!found) throw new Error(`no template ${name}`);
  return found.text;
};

/** Example values files that belong to another chart (checked on their own below). */
const FOREIGN_EXAMPLES = new Set(['collector-sidecar.yaml']);
const exampleFiles = readdirSync(join(chartDir, 'examples')).filter((name) => name.endsWith('.yaml')).sort();
const ownExamples = exampleFiles.filter((name) => !FOREIGN_EXAMPLES.has(name));

/** Environment variables the service reads: the ENV_KEYS table and direct env.X reads in src/config/load.ts. */
const loadTs = readFileSync(join(repoRoot, 'src', 'config', 'load.ts'), 'utf8');
const SERVICE_ENV = new Set([
  ...[...loadTs.matchAll(/\['(LOOKSPAN_[A-Z0-9_]+)'/g)].map((m) => m[1]),
  ...[...loadTs.matchAll(/env\.(LOOKSPAN_[A-Z0-9_]+)/g)].map((m) => m[1]),
]);

function compileSchema(): ValidateFunction {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
  return ajv.compile(schema);
}

function problems(validate: ValidateFunction, data: unknown): string[] {
  return validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

describe('Chart.yaml', () => {
  it('is a v2 application chart with versions', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('lookspan');
    expect(chart.type).toBe('application');
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+(?:[-+].*)?$/);
    expect(typeof chart.appVersion).toBe('string');
  });
});

describe('values.schema.json', () => {
  const validate = compileSchema();

  it('is draft-07 and compiles in ajv strict mode', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(typeof validate).toBe('function');
  });

  it('closes every object level it defines', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${path}/${i}`));
      if (!isMapping(node)) return;
      const types = ([] as unknown[]).concat(node.type ?? []);
      if (types.includes('object')) {
        const closed = node.additionalProperties === false;
        const map = isMapping(node.additionalProperties); // a map of typed values (labels, annotations)
        const passThrough = typeof node.description === 'string' && node.description.includes('validated by the Kubernetes API');
        if (!closed && !map && !passThrough) open.push(path);
        if (closed && !isMapping(node.properties)) open.push(`${path} (closed but lists no properties)`);
      }
      for (const [key, child] of Object.entries(node)) walk(child, `${path}/${key}`);
    };
    walk(schema, '#');
    expect(open).toEqual([]);
  });

  it('accepts values.yaml', () => {
    expect(problems(validate, values)).toEqual([]);
  });

  it.each(ownExamples)('accepts examples/%s, alone and merged over values.yaml', (name) => {
    const example = loadYaml(join(chartDir, 'examples', name)) as Mapping;
    expect(problems(validate, example)).toEqual([]);
    expect(problems(validate, coalesce(values, example))).toEqual([]);
  });

  it.each([
    ['a top-level key', { replicas: 1 }],
    ['a nested key', { image: { repo: 'lookspan' } }],
    ['a key two levels down', { service: { nodePorts: { https: 30443 } } }],
    ['a key inside a list item', { networkPolicy: { grpc: { from: [{ podSelecter: { matchLabels: { a: 'b' } } }] } } }],
    ['a key in a Kubernetes object', { securityContext: { readOnlyRootFS: true } }],
    ['a probe key', { livenessProbe: { httpGet: { path: '/api/liveness', port: 'http' }, periodSecond: 10 } }],
    ['a config section the chart sets through variables', { config: { server: { httpPort: 4000 } } }],
    ['an unknown config key', { config: { pipeline: { segmentMaxAge: 500 } } }],
  ])('rejects %s', (_what, override) => {
    const found = problems(validate, coalesce(values, override as Mapping));
    expect(found.join('\n')).toMatch(/must NOT have additional properties/);
  });

  it.each([
    ['replicaCount as a string', { replicaCount: '1' }],
    ['a negative replicaCount', { replicaCount: -1 }],
    ['an unknown service type', { service: { type: 'ExternalName' } }],
    ['a port out of range', { lookspan: { grpcPort: 70000 } }],
    ['an unknown log level', { lookspan: { logLevel: 'verbose' } }],
    ['a memory limit the chart cannot read', { resources: { limits: { memory: '4GB' } } }],
    ['a DuckDB share above 90%', { duckdb: { memoryLimitPercent: 95 } }],
    ['a malformed DuckDB memory limit', { duckdb: { memoryLimit: 'lots' } }],
    ['a fractional thread count', { duckdb: { threads: 1.5 } }],
    ['a bad pull policy', { image: { pullPolicy: 'Sometimes' } }],
    ['a config value of the wrong type', { config: { pipeline: { segmentMaxAgeMs: 'soon' } } }],
    ['a config value below its minimum', { config: { limits: { maxJsonDepth: 2 } } }],
  ])('rejects %s', (_what, override) => {
    expect(problems(validate, coalesce(values, override as Mapping)).length).toBeGreaterThan(0);
  });

  it('types config the way src/config/schema.ts does, leaving out what the chart sets itself', () => {
    // lookspan.yaml keys the chart sets through variables (which win over the file).
    const chartOwned: Record<string, string> = {
      'server.host': 'LOOKSPAN_HOST',
      'server.httpPort': 'LOOKSPAN_HTTP_PORT',
      'server.grpcPort': 'LOOKSPAN_GRPC_PORT',
      'server.shutdownTimeoutSeconds': 'LOOKSPAN_SHUTDOWN_TIMEOUT_SECONDS',
      'storage.dataDir': 'LOOKSPAN_DATA_DIR',
      'storage.duckdbMemoryLimit': 'LOOKSPAN_DUCKDB_MEMORY_LIMIT',
      'storage.duckdbThreads': 'LOOKSPAN_DUCKDB_THREADS',
      'limits.maxBodyBytes': 'LOOKSPAN_MAX_BODY_BYTES',
      'limits.maxDecompressedBytes': 'LOOKSPAN_MAX_DECOMPRESSED_BYTES',
      'limits.grpcMaxReceiveBytes': 'LOOKSPAN_GRPC_MAX_RECEIVE_BYTES',
      'limits.payloadMaxBytes': 'LOOKSPAN_PAYLOAD_MAX_BYTES',
      'pipeline.queueMaxSpans': 'LOOKSPAN_QUEUE_MAX_SPANS',
      'pipeline.walMaxUnloadedBytes': 'LOOKSPAN_WAL_MAX_UNLOADED_BYTES',
      'log.level': 'LOOKSPAN_LOG_LEVEL',
      'auth.apiKeys': 'LOOKSPAN_API_KEYS',
      'auth.allowOpen': 'LOOKSPAN_AUTH_ALLOW_OPEN',
      'auth.ticketSecret': 'LOOKSPAN_TICKET_SECRET',
    };
    const service = z.toJSONSchema(configSchema, { io: 'input' }) as { properties: Record<string, { properties: Record<string, Mapping> }> };
    const chartConfig = (schema.properties as Record<string, { properties: Record<string, { properties: Record<string, Mapping> }> }>).config;
    const statefulset = templateText('statefulset.yaml');
    const mismatches: string[] = [];
    for (const [sectionName, section] of Object.entries(service.properties)) {
      for (const [key, leaf] of Object.entries(section.properties)) {
        const path = `${sectionName}.${key}`;
        const mine = chartConfig.properties[sectionName]?.properties[key];
        if (chartOwned[path]) {
          if (mine) mismatches.push(`${path}: set by the chart through ${chartOwned[path]}, so config must not accept it`);
          if (!statefulset.includes(`name: ${chartOwned[path]}\n`)) mismatches.push(`${path}: the StatefulSet does not set ${chartOwned[path]}`);
          if (!SERVICE_ENV.has(chartOwned[path])) mismatches.push(`${path}: the service does not read ${chartOwned[path]}`);
          continue;
        }
        if (!mine) {
          mismatches.push(`${path}: neither in the chart's config schema nor set by the chart`);
          continue;
        }
        if (mine.type !== leaf.type) mismatches.push(`${path}: type ${String(mine.type)}, service ${String(leaf.type)}`);
        const serviceMin = typeof leaf.exclusiveMinimum === 'number' ? leaf.exclusiveMinimum + 1 : (leaf.minimum as number | undefined);
        if (serviceMin !== undefined && (typeof mine.minimum !== 'number' || mine.minimum < serviceMin)) {
          mismatches.push(`${path}: minimum ${String(mine.minimum)}, service ${serviceMin}`);
        }
        if (typeof leaf.maximum === 'number' && leaf.maximum < Number.MAX_SAFE_INTEGER && mine.maximum !== leaf.maximum) {
          mismatches.push(`${path}: maximum ${String(mine.maximum)}, service ${leaf.maximum}`);
        }
        if (leaf.enum !== undefined && JSON.stringify(mine.enum) !== JSON.stringify(leaf.enum)) mismatches.push(`${path}: enum differs`);
      }
    }
    for (const [sectionName, section] of Object.entries(chartConfig.properties)) {
      for (const key of Object.keys(section.properties)) {
        if (!service.properties[sectionName]?.properties[key]) mismatches.push(`config.${sectionName}.${key}: unknown to the service`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('values.yaml', () => {
  it('comments every value', () => {
    // Each key line is preceded by a comment line, or sits in a block whose
    // parent key is commented and whose children are a plain Kubernetes object.
    const lines = readFileSync(join(chartDir, 'values.yaml'), 'utf8').split('\n');
    const uncommented: string[] = [];
    const stack: Array<{ indent: number; commented: boolean }> = [];
    lines.forEach((line, index) => {
      const key = /^(\s*)([A-Za-z_][A-Za-z0-9_-]*):/.exec(line);
      if (!key) return;
      const indent = key[1].length;
      while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
      let prev = index - 1;
      while (prev >= 0 && lines[prev].trim() === '') prev--;
      const commented = prev >= 0 && lines[prev].trim().startsWith('#');
      const parentCommented = stack.some((entry) => entry.commented);
      if (!commented && !parentCommented) uncommented.push(`line ${index + 1}: ${line.trim()}`);
      stack.push({ indent, commented });
    });
    expect(uncommented).toEqual([]);
  });

  it('runs non-root on a read-only root filesystem with writable /data and /tmp', () => {
    const pod = values.podSecurityContext as Mapping;
    const container = values.securityContext as Mapping;
    expect(pod).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect((values.lookspan as Mapping).dataDir).toBe('/data');
    const statefulset = templateText('statefulset.yaml');
    expect(statefulset).toMatch(/- name: data\n\s+mountPath: \{\{ \.Values\.lookspan\.dataDir \}\}/);
    expect(statefulset).toMatch(/- name: tmp\n\s+mountPath: \/tmp/);
    expect(statefulset).toMatch(/- name: tmp\n(?:.*\n){0,2}\s+emptyDir:/);
    expect(statefulset).toMatch(/volumeClaimTemplates:/);
  });

  it('keeps exposure off by default', () => {
    expect((values.networkPolicy as Mapping).enabled).toBe(false);
    expect((values.ingress as Mapping).enabled).toBe(false);
    expect((values.service as Mapping).type).toBe('ClusterIP');
    expect((values.serviceMonitor as Mapping).enabled).toBe(false);
    expect((values.dashboards as Mapping).enabled).toBe(false);
    expect(values.replicaCount).toBe(1);
  });

  it('probes liveness and readiness on the service routes', () => {
    const probe = (name: string) => ((values[name] as Mapping).httpGet as Mapping).path;
    expect(probe('startupProbe')).toBe('/api/liveness');
    expect(probe('livenessProbe')).toBe('/api/liveness');
    expect(probe('readinessProbe')).toBe('/api/readiness');
  });
});

/** Template actions, `{{ … }}`, with comments dropped. */
function actionsOf(text: string): string[] {
  return [...text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)].map((m) => m[1]).filter((body) => !body.startsWith('/*'));
}

describe('templates', () => {
  it('include the resources the deployment needs', () => {
    expect(templates.map((t) => t.file)).toEqual(
      expect.arrayContaining(
        [
          '_helpers.tpl', 'NOTES.txt', 'statefulset.yaml', 'service.yaml', 'service-headless.yaml', 'configmap.yaml',
          'serviceaccount.yaml', 'servicemonitor.yaml', 'networkpolicy.yaml', 'ingress.yaml', 'dashboards.yaml',
        ].map((name) => `helm/lookspan/templates/${name}`),
      ),
    );
  });

  it('balance their {{ and }} delimiters', () => {
    for (const { file, text } of templates) {
      expect(text.split('{{').length, file).toBe(text.split('}}').length);
      expect(text.match(/\{\{-?\s*\/\*/g)?.length ?? 0, `${file}: comments`).toBe(text.match(/\*\/\s*-?\}\}/g)?.length ?? 0);
    }
  });

  it('close every if, range, with and define with an end', () => {
    const unbalanced: string[] = [];
    for (const { file, text } of templates) {
      const stack: string[] = [];
      for (const body of actionsOf(text)) {
        const word = /^(\w+)/.exec(body)?.[1];
        if (word === 'if' || word === 'range' || word === 'with' || word === 'define' || word === 'block') stack.push(word);
        else if (word === 'else') {
          if (stack.length === 0) unbalanced.push(`${file}: else outside a block`);
        } else if (word === 'end') {
          if (stack.pop() === undefined) unbalanced.push(`${file}: end without a block`);
        }
      }
      if (stack.length > 0) unbalanced.push(`${file}: unclosed ${stack.join(', ')}`);
    }
    expect(unbalanced).toEqual([]);
  });

  it('reference only values that values.yaml defines', () => {
    const missing: string[] = [];
    for (const { file, text } of templates) {
      for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const path = match[1].slice(1).split('.');
        let node: unknown = values;
        for (const key of path) {
          if (!isMapping(node) || !Object.prototype.hasOwnProperty.call(node, key)) {
            missing.push(`${file}: .Values.${path.join('.')}`);
            break;
          }
          node = node[key];
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('use every top-level value', () => {
    const used = new Set(templates.flatMap(({ text }) => [...text.matchAll(/\.Values\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1])));
    expect(Object.keys(values).filter((key) => !used.has(key))).toEqual([]);
  });

  it('include only templates they define', () => {
    const defined = new Set(templates.flatMap(({ text }) => [...text.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1])));
    const missing = templates.flatMap(({ file, text }) =>
      [...text.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)].filter((m) => !defined.has(m[1])).map((m) => `${file}: ${m[1]}`),
    );
    expect(missing).toEqual([]);
  });

  it('set only environment variables the service reads', () => {
    const set = new Set(templates.flatMap(({ text }) => [...text.matchAll(/name:\s*(LOOKSPAN_[A-Z0-9_]+)/g)].map((m) => m[1])));
    expect(set.size).toBeGreaterThan(5);
    expect([...set].filter((name) => !SERVICE_ENV.has(name))).toEqual([]);
    expect(set.has('LOOKSPAN_DUCKDB_MEMORY_LIMIT') && set.has('LOOKSPAN_DUCKDB_THREADS')).toBe(true);
  });

  it('render the ServiceMonitor only where the Prometheus Operator API exists', () => {
    expect(templateText('servicemonitor.yaml')).toMatch(
      /^\{\{-? if and \.Values\.serviceMonitor\.enabled \(\.Capabilities\.APIVersions\.Has "monitoring\.coreos\.com\/v1"\) -?\}\}/,
    );
  });

  it('label the dashboard ConfigMaps for the Grafana sidecar from the chart copies', () => {
    const dashboards = templateText('dashboards.yaml');
    expect(dashboards).toMatch(/^\{\{-? if \.Values\.dashboards\.enabled -?\}\}/);
    expect(dashboards).toContain('.Files.Glob "dashboards/*.json"');
    expect(dashboards).toContain('{{ $.Values.dashboards.label }}: {{ $.Values.dashboards.labelValue | quote }}');
    expect(values.dashboards).toMatchObject({ label: 'grafana_dashboard', labelValue: '1' });
  });

  it('pass the API keys from a Secret, never as a literal value', () => {
    const statefulset = templateText('statefulset.yaml');
    expect(statefulset).toMatch(/- name: LOOKSPAN_API_KEYS\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: \{\{ include "lookspan.authSecretName" \. \}\}\n\s+key: \{\{ include "lookspan.authSecretKey" \. \}\}/);
    expect(statefulset).toMatch(/- name: LOOKSPAN_TICKET_SECRET\n\s+valueFrom:\n\s+secretKeyRef:(?:\n.*){2}\n\s+optional: true/);
    expect(statefulset).toContain('checksum/auth:');
    for (const { file, text } of templates) {
      if (file.endsWith('/secret.yaml')) continue;
      expect(text, file).not.toMatch(/\.Values\.auth\.apiKeys\s*\|\s*(quote|join)/);
    }
    const secret = templateText('secret.yaml');
    expect(secret).toMatch(/^\{\{- if and \(not \.Values\.auth\.existingSecret\) \.Values\.auth\.apiKeys \}\}/);
    expect(secret).toMatch(/kind: Secret/);
    expect(secret).toContain('api-keys: {{ join "," .Values.auth.apiKeys | quote }}');
  });

  it('refuse to render a server that would refuse to start: no key and not allowOpen', () => {
    const helpers = templateText('_helpers.tpl');
    expect(helpers).toMatch(/if and \(not \.Values\.auth\.existingSecret\) \(not \.Values\.auth\.apiKeys\) \(not \.Values\.auth\.allowOpen\)/);
    expect(helpers).toContain('fail "auth: the service refuses to start');
    expect(templateText('NOTES.txt')).toContain('Authorization: Bearer $ADMIN_KEY');
    // The chart's key check is the service's (src/config/schema.ts STATIC_KEY) and the schema's.
    const entry = (schema.properties as Record<string, Mapping>).auth as { properties: { apiKeys: { items: { pattern: string } } } };
    expect(helpers).toContain(`regexMatch "${entry.properties.apiKeys.items.pattern.replaceAll('\\', '\\\\')}"`);
  });
});

describe('chart README', () => {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  const tableRows = readme.split('\n').filter((line) => line.startsWith('|'));

  it('lists every top-level value in a table', () => {
    const missing = Object.keys(values).filter((key) => !tableRows.some((row) => row.includes(`\`${key}\``) || row.includes(`\`${key}.`)));
    expect(missing).toEqual([]);
  });

  it('lists only keys values.yaml has', () => {
    const unknown: string[] = [];
    for (const row of tableRows) {
      const first = /^\|\s*([^|]+)\|/.exec(row)?.[1] ?? '';
      for (const m of first.matchAll(/`([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)`/g)) {
        let node: unknown = values;
        for (const key of m[1].split('.')) node = isMapping(node) ? node[key] : undefined;
        const top = m[1].split('.')[0];
        if (node === undefined && Object.prototype.hasOwnProperty.call(values, top)) unknown.push(m[1]);
      }
    }
    expect(unknown).toEqual([]);
  });
});

describe('dashboards in the chart', () => {
  const source = join(repoRoot, 'dashboards');
  const copies = join(chartDir, 'dashboards');
  const jsonIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.json')).sort();

  it('are byte-identical copies of dashboards/*.json (node scripts/sync-dashboards.mjs)', () => {
    expect(jsonIn(copies)).toEqual(jsonIn(source));
    for (const name of jsonIn(source)) {
      expect(readFileSync(join(copies, name)).equals(readFileSync(join(source, name))), `${name} differs; run node scripts/sync-dashboards.mjs`).toBe(true);
    }
  });
});

describe('examples/collector-sidecar.yaml (values for the OpenTelemetry Collector chart)', () => {
  const example = loadYaml(join(chartDir, 'examples', 'collector-sidecar.yaml')) as Mapping;
  const containers = (example.extraContainers ?? []) as Mapping[];
  const lookspan = containers.find((c) => c.name === 'lookspan') as Mapping;

  it('says it belongs to the collector chart and is not valid for this one', () => {
    expect(readFileSync(join(chartDir, 'examples', 'collector-sidecar.yaml'), 'utf8')).toMatch(/open-telemetry\/opentelemetry-collector/);
    expect(problems(compileSchema(), example).length).toBeGreaterThan(0);
    expect(example.mode).toBe('statefulset');
    expect(lookspan).toBeDefined();
  });

  it('sets only variables the service reads, including DuckDB resources', () => {
    const env = ((lookspan.env ?? []) as Mapping[]).map((e) => String(e.name)).filter((name) => name.startsWith('LOOKSPAN_'));
    expect(env.filter((name) => !SERVICE_ENV.has(name))).toEqual([]);
    expect(env).toEqual(expect.arrayContaining(['LOOKSPAN_HOST', 'LOOKSPAN_DATA_DIR', 'LOOKSPAN_DUCKDB_THREADS', 'LOOKSPAN_DUCKDB_MEMORY_LIMIT']));
  });

  it('mounts a persistent /data and a /tmp emptyDir under a read-only root filesystem', () => {
    const claims = (((example.statefulset as Mapping).volumeClaimTemplates ?? []) as Mapping[]).map((t) => (t.metadata as Mapping).name);
    const volumes = ((example.extraVolumes ?? []) as Mapping[]).map((v) => v.name);
    const mounts = (lookspan.volumeMounts ?? []) as Mapping[];
    for (const mount of mounts) expect([...claims, ...volumes], String(mount.name)).toContain(mount.name);
    expect(mounts.map((m) => m.mountPath).sort()).toEqual(['/data', '/tmp']);
    expect(lookspan.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect((example.podSecurityContext as Mapping).fsGroup).toBe((lookspan.securityContext as Mapping).runAsUser);
  });

  it('exports traces to Lookspan over localhost:3317', () => {
    const config = example.config as Mapping;
    const exporters = config.exporters as Mapping;
    const traces = ((config.service as Mapping).pipelines as Mapping).traces as Mapping;
    const ids = traces.exporters as string[];
    const toLookspan = ids.filter((id) => ['otlp', 'otlp_grpc'].includes(id.split('/')[0]) && isMapping(exporters[id]));
    expect(toLookspan.length).toBe(1);
    expect((exporters[toLookspan[0]] as Mapping).endpoint).toBe(`localhost:${configSchema.parse({}).server.grpcPort}`);
    expect(((lookspan.ports ?? []) as Mapping[]).map((p) => p.containerPort)).toEqual(expect.arrayContaining([3100, 3317]));
  });
});

const helm = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' });
const haveHelm = helm.status === 0;

describe.skipIf(!haveHelm)('helm binary', () => {
  it('lints the chart with every example of this chart', () => {
    for (const name of [undefined, ...ownExamples]) {
      const args = ['lint', chartDir, ...(name ? ['-f', join(chartDir, 'examples', name)] : [])];
      const out = spawnSync('helm', args, { encoding: 'utf8' });
      expect(out.status, `${args.join(' ')}\n${out.stdout}${out.stderr}`).toBe(0);
    }
  });

  it('renders valid YAML, wires DuckDB to the limits and gates the optional resources', () => {
    const render = (extra: string[]) =>
      parseAllDocuments(execFileSync('helm', ['template', 'lookspan', chartDir, '--namespace', 'observability', ...extra], { encoding: 'utf8' }))
        .map((doc) => doc.toJS() as Mapping | null)
        .filter((doc): doc is Mapping => doc !== null);
    const kinds = (docs: Mapping[]) => docs.map((d) => d.kind);

    const plain = render([]);
    expect(kinds(plain)).toEqual(expect.arrayContaining(['StatefulSet', 'Service', 'ConfigMap', 'ServiceAccount']));
    expect(kinds(plain)).not.toContain('NetworkPolicy');
    expect(kinds(plain)).not.toContain('Ingress');
    const env = (docs: Mapping[]) => {
      const sts = docs.find((d) => d.kind === 'StatefulSet') as any;
      return Object.fromEntries((sts.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
    };
    expect(env(plain)).toMatchObject({ LOOKSPAN_DUCKDB_MEMORY_LIMIT: '2048MiB', LOOKSPAN_DUCKDB_THREADS: '2' });

    const dir = mkdtempSync(join(tmpdir(), 'lookspan-helm-'));
    try {
      const file = join(dir, 'v.yaml');
      writeFileSync(file, 'resources:\n  limits:\n    cpu: 1500m\n    memory: 8Gi\nduckdb:\n  memoryLimitPercent: 25\n');
      expect(env(render(['-f', file]))).toMatchObject({ LOOKSPAN_DUCKDB_MEMORY_LIMIT: '2048MiB', LOOKSPAN_DUCKDB_THREADS: '2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const all = render([
      '--api-versions', 'monitoring.coreos.com/v1',
      '--set', 'serviceMonitor.enabled=true,networkPolicy.enabled=true,ingress.enabled=true,dashboards.enabled=true',
    ]);
    expect(kinds(all)).toEqual(expect.arrayContaining(['ServiceMonitor', 'NetworkPolicy', 'Ingress']));
    const dashboards = all.filter((d) => d.kind === 'ConfigMap' && (d.metadata as any).labels?.grafana_dashboard === '1');
    expect(dashboards.length).toBe(readdirSync(join(repoRoot, 'dashboards')).filter((n) => n.endsWith('.json')).length);
    expect(kinds(render(['--set', 'serviceMonitor.enabled=true']))).not.toContain('ServiceMonitor');
  });

  it('refuses unknown values', () => {
    const out = spawnSync('helm', ['template', 'lookspan', chartDir, '--set', 'image.repo=x'], { encoding: 'utf8' });
    expect(out.status).not.toBe(0);
  });
});
