/**
 * What every conformance test needs: a running Lookspan, the fake providers,
 * a way to run one instrumented client in a child Node process, and the
 * trace read back through the REST API once every span of it has arrived.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { calcPrice } from '@pydantic/genai-prices';
import { ROOT, startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { startFakeProviders, type FakeProviders } from './fake-providers.js';

const CLIENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'clients');

/** What a client printed for one step (clients/tracing.cts; CommonJS there, so the type is repeated here). */
export interface StepResult {
  traceIds: string[];
  spans: Array<{ name: string; traceId: string; spanId: string; parentSpanId: string | null; scope: string }>;
  error?: { name: string; status?: number };
}

export interface ClientOutput {
  steps: Record<string, StepResult>;
  [key: string]: unknown;
}

export interface Conformance {
  server: TestServer;
  fake: FakeProviders;
  /** Runs `clients/<script>` in a child Node process and returns what it printed. */
  runClient(script: string, env?: Record<string, string>): Promise<ClientOutput>;
  /** GET /api/traces/:id once the trace (its spans and its summary) holds at least `spanCount` spans. */
  readTrace(traceId: string, spanCount: number): Promise<any>;
  stop(): Promise<void>;
}

export async function startConformance(): Promise<Conformance> {
  const [server, fake] = await Promise.all([startTestServer(), startFakeProviders()]);
  return {
    server,
    fake,
    runClient: (script, env = {}) => runClient(script, {
      LOOKSPAN_URL: server.httpUrl,
      LOOKSPAN_GRPC: server.grpcAddress,
      FAKE_PROVIDER_URL: fake.url,
      ...env,
    }),
    async readTrace(traceId, spanCount) {
      return waitFor(async () => {
        const res = await fetch(`${server.httpUrl}/api/traces/${traceId}`);
        if (res.status !== 200) return null;
        const body = (await res.json()) as any;
        // The summary and the spans are read by two statements; a load committed between them
        // leaves the summary a batch behind, so both must show every span.
        return body.spans.length >= spanCount && body.spanCount === body.spans.length ? body : null;
      }, 20_000);
    },
    async stop() {
      await Promise.all([server.dispose(), fake.close()]);
    },
  };
}

/**
 * Node arguments that run a `.cts` client through the classic CommonJS
 * loader. `node --import tsx client.cts` would load it through the ESM
 * loader, whose `require` bypasses `Module.prototype.require`, so the
 * instrumentations' require hooks would never see the SDKs load.
 */
export function clientArgs(script: string): string[] {
  return ['--require', 'tsx/cjs', '--eval', 'require(process.argv[1])', path.join(CLIENTS, script)];
}

async function runClient(script: string, env: Record<string, string>): Promise<ClientOutput> {
  const proc = spawn(process.execPath, clientArgs(script), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`client ${script} exited with ${code}\n--- stderr ---\n${err}\n--- stdout ---\n${out}`);
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ClientOutput;
  } catch {
    throw new Error(`client ${script} printed no JSON result\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
  }
}

/** The one trace a step produced. */
export function onlyTrace(step: StepResult | undefined): string {
  if (!step) throw new Error('step missing from the client output');
  if (step.traceIds.length !== 1) throw new Error(`expected one trace, got ${JSON.stringify(step.traceIds)}`);
  return step.traceIds[0];
}

export type PriceUsage = {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
};

/**
 * The price the maintained table itself gives for a usage: an oracle that
 * does not go through Lookspan's name normalization or token accounting.
 */
export function tablePrice(model: string, provider: string, usage: PriceUsage): number {
  const price = calcPrice(usage, model, { providerId: provider });
  if (!price) throw new Error(`no table price for ${provider}/${model}`);
  return price.total_price;
}

/** A payload column (`input` / `output`) as a value: the API serves it as the JSON text it stores. */
export function payload(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** Spans of a trace read back from the API, by name. */
export function spanNamed(trace: any, name: string): any {
  const hits = trace.spans.filter((s: any) => s.name === name);
  if (hits.length !== 1) throw new Error(`expected one span named "${name}", got ${hits.length}: ${trace.spans.map((s: any) => s.name).join(', ')}`);
  return hits[0];
}
