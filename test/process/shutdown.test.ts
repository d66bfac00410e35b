import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ROOT, startChildServer, tempDir, waitFor, waitLoaded, type ChildServer } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { rawTraceClient } from '../helpers/grpc.js';

const SPANS_PER_TRACE = 5;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const d = await tempDir('lookspan-shutdown-');
  dirs.push(d);
  return d;
}

/** trace id → the span ids of one acknowledged request. */
type Acked = Map<string, string[]>;

/** Sends one OTLP/JSON trace per request from `workers` loops until stopped, recording what was acknowledged. */
function sustainedIngest(url: string, workers = 4) {
  const acked: Acked = new Map();
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const traceId = hexId(16);
      const body = otlpJsonTrace(traceId, SPANS_PER_TRACE);
      try {
        const res = await postJson(`${url}/v1/traces`, body);
        const json = (await res.json().catch(() => null)) as any;
        if (res.status === 200 && !json?.partialSuccess?.rejectedSpans) {
          acked.set(traceId, body.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId));
        }
      } catch {
        // Refused or cut once the server closes its port: never acknowledged.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return { acked, stop: async () => { running = false; await Promise.all(loops); } };
}

/** Every acknowledged span is returned by GET /api/traces/:traceId. */
async function expectAcked(url: string, acked: Acked): Promise<void> {
  const entries = [...acked];
  for (let i = 0; i < entries.length; i += 16) {
    await Promise.all(entries.slice(i, i + 16).map(async ([traceId, spanIds]) => {
      const res = await fetch(`${url}/api/traces/${traceId}`);
      expect(res.status, `acknowledged trace ${traceId}`).toBe(200);
      const ids = new Set(((await res.json()) as any).spans.map((s: any) => s.id));
      for (const id of spanIds) expect(ids.has(id), `acknowledged span ${id} of ${traceId}`).toBe(true);
    }));
  }
}

/**
 * An OTLP/HTTP request whose body never completes: headers, `Expect:
 * 100-continue` (so the server has parsed them before we go on), then part of
 * the body. The drain cannot close this connection gracefully.
 */
async function stalledUpload(httpUrl: string): Promise<net.Socket> {
  const { hostname, port } = new URL(httpUrl);
  const sock = net.connect(Number(port), hostname);
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  sock.write(`POST /v1/traces HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\n`
    + 'Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n');
  await new Promise<void>((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.includes('100 Continue')) {
        sock.off('data', onData);
        resolve();
      }
    };
    sock.on('data', onData);
    sock.once('close', () => reject(new Error(`stalled upload closed early: ${got}`)));
  });
  sock.write('{"resourceSpans":[');
  return sock;
}

const lines = (child: ChildServer, re: RegExp) => child.output().split('\n').filter((l) => re.test(l));

async function restartAndExpect(dir: string, check: (url: string) => Promise<void>): Promise<void> {
  const again = await startChildServer(dir);
  try {
    await waitLoaded(again, 60_000);
    await check(again.httpUrl);
  } finally {
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }
}

describe('shutdown', () => {
  it.each([
    ['SIGTERM', ['SIGTERM', 'SIGINT']],
    ['SIGINT', ['SIGINT', 'SIGTERM']],
  ] as const)('%s, then %j again during the drain under load: ignored, exits 0, nothing acknowledged lost', async (first, again) => {
    const dir = await newDir();
    const child = await startChildServer(dir);
    const load = sustainedIngest(child.httpUrl);
    // Holds the drain in its first step until the grace cuts it, so the later signals land mid-drain.
    const stalled = await stalledUpload(child.httpUrl);
    await waitFor(async () => load.acked.size >= 30, 30_000);
    child.proc.kill(first);
    await waitFor(async () => lines(child, /"msg":"shutting down"/).length > 0);
    for (const sig of again) child.proc.kill(sig);
    const code = await child.exited;
    await load.stop();
    stalled.destroy();

    expect(code, child.output()).toBe(0);
    const out = child.output();
    expect(out).toContain('Lookspan stopped');
    for (const sig of again) expect(out).toContain(`already shutting down; ignoring ${sig}`);
    expect(lines(child, /"msg":"shutting down"/)).toHaveLength(1);
    expect(out).not.toContain('shutdown did not finish');
    expect(load.acked.size).toBeGreaterThan(0);

    await restartAndExpect(dir, (url) => expectAcked(url, load.acked));
  });

  it('exits 1 at the deadline with the pending line when the drain cannot finish, and loses nothing acknowledged', async () => {
    const dir = await newDir();
    // A WAL backlog of one large segment: the loader starts on it at start-up and is
    // mid-load (a single DuckDB transaction) when the 1 s deadline passes.
    const backlog = 160_000;
    await writeBacklogSegment(path.join(dir, 'wal'), 1, backlog);
    // One DuckDB thread: the load takes as long on a many-core machine as here.
    const child = await startChildServer(dir, { LOOKSPAN_SHUTDOWN_TIMEOUT_SECONDS: '1', LOOKSPAN_DUCKDB_THREADS: '1' });
    const acked: Acked = new Map();
    await Promise.all(Array.from({ length: 4 }, async () => {
      const traceId = hexId(16);
      const body = otlpJsonTrace(traceId, SPANS_PER_TRACE);
      const res = await postJson(`${child.httpUrl}/v1/traces`, body);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      acked.set(traceId, body.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId));
    }));
    child.proc.kill('SIGTERM');
    const code = await child.exited;

    expect(code, child.output()).toBe(1);
    const out = child.output();
    expect(out).not.toContain('Lookspan stopped');
    const deadline = lines(child, /shutdown did not finish within 1 s/);
    expect(deadline, out).toHaveLength(1);
    const entry = JSON.parse(deadline[0]);
    expect(entry.msg).toMatch(/exiting with code 1; still pending: step: .+; \d+ HTTP request\(s\) in flight; \d+ span\(s\) waiting for the WAL fsync/);
    expect(entry.msg).toMatch(/WAL segment\(s\) with \d+ span\(s\) \(\d+ bytes\) not yet loaded into DuckDB/);
    // The backlog (and the acknowledged requests, sealed by the drain) are still waiting for the loader.
    expect(entry.pending.walSpans).toBeGreaterThanOrEqual(backlog);
    expect(entry.pending.step).not.toBe('stopped');

    await restartAndExpect(dir, async (url) => {
      await expectAcked(url, acked);
      const list = (await (await fetch(`${url}/api/traces?total=1&service=backlog&limit=1`)).json()) as any;
      expect(list.total).toBe(backlog);
    });
  });

  it('closes every handle: after stop() the process exits on its own with clients still connected', async () => {
    const dir = await newDir();
    // startLookspan + stop() without main.ts's process.exit: only an empty event loop ends it.
    const script = path.join(dir, 'stop-and-idle.mjs');
    await writeFile(script, `
      const { loadConfig } = await import(${JSON.stringify(path.join(ROOT, 'src/config/index.ts'))});
      const { startLookspan } = await import(${JSON.stringify(path.join(ROOT, 'src/server.ts'))});
      const s = await startLookspan(loadConfig());
      process.once('SIGTERM', async () => {
        await s.stop();
        // Unreferenced: it only fires if something else still keeps the process alive.
        setTimeout(() => {
          console.log('still alive after stop: ' + JSON.stringify(process.getActiveResourcesInfo()));
          process.exit(7);
        }, 5000).unref();
      });
    `);
    const proc = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
        LOOKSPAN_HOST: '127.0.0.1', LOOKSPAN_HTTP_PORT: '0', LOOKSPAN_GRPC_PORT: '0',
        LOOKSPAN_DATA_DIR: path.join(dir, 'data'), LOOKSPAN_SEGMENT_MAX_AGE_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    const m = await waitFor(async () => /Lookspan listening: HTTP ([^\s"]+)\s+gRPC ([^\s"]+)/.exec(out), 30_000);
    const [httpUrl, grpcAddress] = [m[1], m[2]];

    // Clients that would keep the servers open: an idle keep-alive connection, a body
    // that never completes, a gRPC channel with an open session and a health Watch stream.
    const keepAlive = net.connect(Number(new URL(httpUrl).port), '127.0.0.1');
    keepAlive.on('error', () => {});
    keepAlive.write('GET /api/liveness HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => keepAlive.once('data', r));
    const stalled = await stalledUpload(httpUrl);
    const traces = rawTraceClient(grpcAddress);
    expect((await traces.export(Buffer.alloc(0))).err).toBeNull();
    const identity = (b: Buffer) => b;
    const Health = grpc.makeGenericClientConstructor({
      Watch: {
        path: '/grpc.health.v1.Health/Watch', requestStream: false, responseStream: true,
        requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
      },
    }, 'Health');
    const health = new Health(grpcAddress, grpc.credentials.createInsecure());
    const watch = (health as any).Watch(Buffer.alloc(0));
    watch.on('error', () => {});
    await new Promise((r) => watch.once('data', r));

    try {
      proc.kill('SIGTERM');
      const code = await exited;
      expect(out).toContain('Lookspan stopped');
      expect(out).not.toContain('still alive after stop');
      expect(code, out).toBe(0);
    } finally {
      keepAlive.destroy();
      stalled.destroy();
      watch.cancel();
      health.close();
      traces.close();
      proc.kill('SIGKILL');
    }
  });
});

/** Writes a sealed WAL segment of `spans` one-span traces (service "backlog") in the loader's line format. */
async function writeBacklogSegment(walDir: string, seq: number, spans: number): Promise<void> {
  await mkdir(walDir, { recursive: true });
  const T = 'T'.repeat(32);
  const S = 'S'.repeat(16);
  const line = JSON.stringify({
    project_id: 'default', trace_id: T, span_id: S, parent_span_id: null,
    started_us: 1_700_000_000_000_000, ended_us: 1_700_000_000_500_000, duration_ms: 500,
    name: 'chat', span_kind: 'client', type: 'llm_call', status: 'ok', status_message: null, error_type: null,
    service_name: 'backlog', scope_name: null, framework: 'custom', session_id: null, user_id: null, agent_name: null,
    provider: 'openai', operation: 'chat', request_model: 'gpt-4o', response_model: null,
    input_tokens: 10, output_tokens: 5, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null,
    cost_usd: null, cost_source: 'unknown', finish_reason: null, tool_name: null, tool_call_id: null, server_name: null,
    mcp_method: null, mcp_session_id: null, mcp_resource_uri: null, input: null, output: null,
    attributes: {}, resource: {}, events: [], links: [],
  });
  const [pre, rest] = [line.slice(0, line.indexOf(T)), line.slice(line.indexOf(T) + T.length)];
  const [mid, post] = [rest.slice(0, rest.indexOf(S)), rest.slice(rest.indexOf(S) + S.length)];
  const ids = randomBytes(spans * 24).toString('hex');
  const parts = new Array<string>(spans);
  for (let i = 0; i < spans; i++) parts[i] = pre + ids.slice(i * 48, i * 48 + 32) + mid + ids.slice(i * 48 + 32, i * 48 + 48) + post + '\n';
  await writeFile(path.join(walDir, String(seq).padStart(12, '0') + '.sealed'), parts.join(''));
}
