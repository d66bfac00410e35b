import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig, type LookspanConfigInput } from '../../src/config/index.js';
import { startLookspan, type RunningLookspan } from '../../src/server.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function tempDir(prefix = 'lookspan-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export interface TestServer extends RunningLookspan {
  dataDir: string;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

/** Starts Lookspan in this process on 127.0.0.1, ports 0, a fresh (or given) data dir. */
export async function startTestServer(overrides: LookspanConfigInput = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? (await tempDir());
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { host: '127.0.0.1', httpPort: 0, grpcPort: 0, ...(overrides.server ?? {}) },
      storage: { dataDir: dir, ...(overrides.storage ?? {}) },
      pipeline: { segmentMaxAgeMs: 100, ...(overrides.pipeline ?? {}) },
    },
  });
  const running = await startLookspan(config, pino({ level: process.env.LOOKSPAN_TEST_LOG ?? 'silent' }));
  await running.store.waitReplayed();
  return {
    ...running,
    dataDir: dir,
    dispose: async () => {
      await running.stop();
      if (!dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`waitFor timed out${last ? `: ${(last as Error).message}` : ''}`);
}

/** Waits until the loader has caught up (WAL lag zero, every acknowledged span loaded), so what was acknowledged is queryable. */
export async function waitLoaded(s: { httpUrl: string }, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => {
    const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
    return h.store.wal.lag.spans === 0 && h.store.wal.queuedSpans === 0 && h.store.loader.loadedSpans >= h.ingest.acceptedSpans;
  }, timeoutMs);
}

export interface ChildServer {
  proc: ChildProcess;
  httpUrl: string;
  grpcAddress: string;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `src/main.ts` in a child process (for signal and crash tests). */
export async function startChildServer(dataDir: string, env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<ChildServer> {
  // nodeArgs: flags Node refuses in NODE_OPTIONS, such as --cpu-prof (bench/ingest.ts).
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOOKSPAN_HOST: '127.0.0.1',
      LOOKSPAN_HTTP_PORT: '0',
      LOOKSPAN_GRPC_PORT: '0',
      LOOKSPAN_DATA_DIR: dataDir,
      LOOKSPAN_SEGMENT_MAX_AGE_MS: '100',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const line = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    const check = () => {
      const m = /Lookspan listening: HTTP ([^\s"]+)\s+gRPC ([^\s"]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early with code ${code}: ${out}`));
    });
  });
  return { proc, httpUrl: line[1], grpcAddress: line[2], output: () => out, exited };
}
