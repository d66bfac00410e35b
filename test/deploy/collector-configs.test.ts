// Static checks of the OpenTelemetry Collector configurations in
// config/collector/: each parses, routes its traces pipeline to Lookspan on
// the service's default ports and defines every component it references.
// No collector binary is needed.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { configSchema } from '../../src/config/schema.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const collectorDir = join(repoRoot, 'config', 'collector');
const collectorFiles = readdirSync(collectorDir).filter((name) => /\.ya?ml$/.test(name)).sort();

/** Lookspan's default ports, from the config schema itself. */
const defaults = configSchema.parse({});
const GRPC_PORT = defaults.server.grpcPort;
const HTTP_PORT = defaults.server.httpPort;

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, what: string): Mapping {
  if (!isMapping(value)) throw new Error(`${what} is not a mapping`);
  return value;
}

function loadYaml(path: string): unknown {
  const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

/** Component type of an id such as `otlp/lookspan`. */
const typeOf = (id: string): string => id.split('/')[0] ?? id;

const GRPC_EXPORTERS = new Set(['otlp', 'otlp_grpc']);
const HTTP_EXPORTERS = new Set(['otlphttp', 'otlp_http']);
const LOADBALANCING_EXPORTERS = new Set(['loadbalancing', 'load_balancing']);

/** Where an exporter sends to Lookspan: its protocol and port, or undefined for a non-Lookspan exporter. */
function lookspanTarget(id: string, exporter: Mapping): { protocol: 'grpc' | 'http'; port: number; host: string } | undefined {
  const type = typeOf(id);
  if (GRPC_EXPORTERS.has(type)) {
    const match = /^(?:(?:https?|dns):\/\/\/?)?([^:/]+):(\d+)$/.exec(String(exporter.endpoint));
    if (!match) throw new Error(`${id}: endpoint ${String(exporter.endpoint)} is not host:port`);
    return { protocol: 'grpc', host: match[1], port: Number(match[2]) };
  }
  if (HTTP_EXPORTERS.has(type)) {
    const url = new URL(String(exporter.traces_endpoint ?? exporter.endpoint));
    return { protocol: 'http', host: url.hostname, port: Number(url.port) };
  }
  if (LOADBALANCING_EXPORTERS.has(type)) {
    const protocol = mapping(exporter.protocol, `${id}.protocol`);
    if (!isMapping(protocol.otlp)) throw new Error(`${id}: only protocol.otlp (gRPC) reaches Lookspan`);
    const dns = mapping(mapping(exporter.resolver, `${id}.resolver`).dns, `${id}.resolver.dns`);
    return { protocol: 'grpc', host: String(dns.hostname), port: Number(dns.port) };
  }
  return undefined;
}

describe('OpenTelemetry Collector configs', () => {
  it('exist', () => {
    expect(collectorFiles).toEqual(expect.arrayContaining(['otlp-grpc.yaml', 'otlp-http.yaml', 'loadbalancing.yaml']));
  });

  describe.each(collectorFiles)('%s', (name) => {
    const config = mapping(loadYaml(join(collectorDir, name)), name);
    const section = (kind: string): Mapping => mapping(config[kind] ?? {}, kind);
    const service = mapping(config.service, 'service');
    const pipelines = mapping(service.pipelines, 'service.pipelines');
    const traces = mapping(pipelines.traces, 'service.pipelines.traces');
    const traceExporters = (traces.exporters ?? []) as string[];

    it('has a traces pipeline with receivers and exporters', () => {
      expect(Array.isArray(traces.receivers)).toBe(true);
      expect((traces.receivers as unknown[]).length).toBeGreaterThan(0);
      expect(Array.isArray(traces.exporters)).toBe(true);
      expect(traceExporters.length).toBeGreaterThan(0);
    });

    it('defines every receiver, processor and exporter a pipeline references', () => {
      const missing: string[] = [];
      for (const [pipelineName, pipelineValue] of Object.entries(pipelines)) {
        const pipeline = mapping(pipelineValue, `pipeline ${pipelineName}`);
        for (const kind of ['receivers', 'processors', 'exporters']) {
          const defined = Object.keys(section(kind));
          for (const id of (pipeline[kind] ?? []) as unknown[]) {
            if (typeof id !== 'string' || !defined.includes(id)) missing.push(`${pipelineName}.${kind}: ${String(id)}`);
          }
        }
      }
      for (const id of (service.extensions ?? []) as unknown[]) {
        if (typeof id !== 'string' || !Object.keys(section('extensions')).includes(id)) missing.push(`service.extensions: ${String(id)}`);
      }
      expect(missing).toEqual([]);
    });

    it('routes traces to Lookspan on its default ports (gRPC 3317, HTTP 3100)', () => {
      const targets = traceExporters.flatMap((id) => {
        const target = lookspanTarget(id, mapping(section('exporters')[id], id));
        return target ? [{ id, ...target }] : [];
      });
      expect(targets.length, 'a traces exporter that reaches Lookspan').toBeGreaterThan(0);
      for (const target of targets) {
        expect(target.port, `${target.id} (${target.protocol})`).toBe(target.protocol === 'grpc' ? GRPC_PORT : HTTP_PORT);
        expect(target.host, target.id).toMatch(/lookspan/);
      }
    });

    it('posts OTLP/HTTP to a path Lookspan serves', () => {
      for (const id of traceExporters.filter((id) => HTTP_EXPORTERS.has(typeOf(id)))) {
        const exporter = mapping(section('exporters')[id], id);
        if (exporter.traces_endpoint !== undefined) {
          expect(['/v1/traces', '/api/traces/otlp']).toContain(new URL(String(exporter.traces_endpoint)).pathname);
        } else {
          // The exporter appends /v1/traces to a bare endpoint.
          expect(new URL(String(exporter.endpoint)).pathname, id).toBe('/');
        }
      }
    });

    it('has a logs pipeline for GenAI events, exporting where traces go', () => {
      const logs = mapping(pipelines.logs, 'service.pipelines.logs');
      expect(logs.receivers).toContain('otlp');
      expect(logs.processors).toEqual(traces.processors);
      expect(logs.exporters).toEqual(traces.exporters);
      for (const id of (logs.exporters as string[]).filter((id) => HTTP_EXPORTERS.has(typeOf(id)))) {
        const exporter = mapping(section('exporters')[id], id);
        // The exporter appends /v1/logs to a bare endpoint, the path Lookspan serves.
        if (exporter.logs_endpoint !== undefined) expect(new URL(String(exporter.logs_endpoint)).pathname).toBe('/v1/logs');
        else expect(new URL(String(exporter.endpoint)).pathname, id).toBe('/');
      }
    });

    it('receives OTLP and runs memory_limiter first, then batch', () => {
      expect(traces.receivers).toContain('otlp');
      const protocols = mapping(mapping(section('receivers').otlp, 'receivers.otlp').protocols, 'otlp.protocols');
      expect(Object.keys(protocols).sort()).toEqual(['grpc', 'http']);
      const processors = (traces.processors ?? []) as string[];
      expect(typeOf(processors[0] ?? '')).toBe('memory_limiter');
      expect(processors.map(typeOf)).toContain('batch');
    });

    it('exports with gzip, a sending queue and retries', () => {
      for (const id of traceExporters) {
        const exporter = mapping(section('exporters')[id], id);
        // The load-balancing exporter queues and retries above its per-replica OTLP exporters.
        const transport = exporter.protocol === undefined ? exporter : mapping(mapping(exporter.protocol, 'protocol').otlp, 'protocol.otlp');
        expect(transport.compression, id).toBe('gzip');
        expect(mapping(exporter.sending_queue, `${id}.sending_queue`).enabled, id).toBe(true);
        expect(mapping(exporter.retry_on_failure, `${id}.retry_on_failure`).enabled, id).toBe(true);
      }
    });

    it('keeps batches at most 512 spans (LLM spans are large)', () => {
      for (const id of (traces.processors ?? []) as string[]) {
        if (typeOf(id) !== 'batch') continue;
        const batch = mapping(section('processors')[id] ?? {}, id);
        expect(Number(batch.send_batch_max_size), id).toBeGreaterThan(0);
        expect(Number(batch.send_batch_max_size), id).toBeLessThanOrEqual(512);
      }
    });

    it('sends its key as a Bearer header from an environment variable, never inline', () => {
      const text = readFileSync(join(collectorDir, name), 'utf8');
      const headers = [...text.matchAll(/^\s+headers:\n\s+(\S+): (.*)$/gm)].map((m) => [m[1], m[2]]);
      expect(headers).toEqual([['authorization', '"Bearer ${env:COLLECTOR_API_KEY}"']]);
      expect(text).not.toMatch(/lsk_|Bearer (?!\$\{env:)/);
    });
  });
});
