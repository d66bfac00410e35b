/**
 * Ingest benchmark (issue 13). A load generator in its own process
 * (bench/ingest-loadgen.ts) sends pre-encoded realistic 1,000-span requests
 * (bench/ingest-payload.ts: agent, chat with ~2 KB of messages, tool and MCP
 * spans; new ids on every send) over several connections, OTLP/HTTP
 * protobuf+gzip and OTLP/gRPC gzip, to a Lookspan child process. Measured in
 * the same run, and printed beside each other:
 *
 * - floors: a bare node:http and a bare grpc-js server that gunzip and decode
 *   the same requests (bench/ingest-bare.ts); WAL append + fsync only and
 *   DuckDB load only (bench/ingest-stages.ts);
 * - per protocol: ack p50/p99 at 1k and 10k spans/s offered; sustained
 *   throughput at saturation (spans acknowledged in the window divided by
 *   the window plus the time the loader then needs to catch up: a loader
 *   that falls behind is not sustained throughput)
 *   with the server's CPU, peak RSS and WAL lag; goodput at twice the
 *   acknowledged rate over 32 connections (the rest refused with 429 /
 *   RESOURCE_EXHAUSTED) and, after the loader caught up, that every
 *   acknowledged span was stored.
 *
 * PASS/FAIL beside each target; figures go to bench/results/<date>-<time>.json.
 * The machine's two cores are shared by the server, the load generator and
 * whatever else runs: figures are noisy, and the client's CPU is reported.
 *
 *   npm run bench:ingest [-- --quick] [--seconds N] [--results DIR]
 *   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:ingest   (flags on the server's command line)
 *   BENCH_SERVER_NODE_OPTIONS="--max-semi-space-size=32" npm run bench:ingest       (the server's NODE_OPTIONS)
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { execSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer, tempDir, type ChildServer } from '../test/helpers/server.js';
import type { LoadGenReply, LoadGenRequest, RunResult, RunSpec } from './ingest-loadgen.js';
import { ProcWindow } from './ingest-proc.js';
import { k, mib, ms, pct, printTargets, target, writeResults, type Target } from './ingest-report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SECONDS = Number(opt('--seconds') ?? (QUICK ? 2 : 30));
const RESULTS_DIR = opt('--results') ?? path.join(ROOT, 'bench', 'results');
const IN_FLIGHT = Number(process.env.BENCH_INFLIGHT ?? 4);
const PHASE = QUICK ? { floor: 1, latency: 1, overload: 1.5, loadSpans: 10_000, templates: 1 }
  : { floor: 10, latency: 10, overload: 15, loadSpans: 200_000, templates: 4 };
const GiB = 1024 * 1024 * 1024;

/** The forked load generator, one request at a time. */
class LoadGen {
  private proc: ChildProcess;
  private nextId = 1;
  private waiting = new Map<number, (r: RunResult) => void>();
  ready: Promise<Extract<LoadGenReply, { type: 'ready' }>>;

  constructor(templates: number) {
    this.proc = fork(path.join(ROOT, 'bench', 'ingest-loadgen.ts'), [], { execArgv: ['--import', 'tsx'], cwd: ROOT });
    this.ready = new Promise((resolve, reject) => {
      this.proc.on('message', (m: LoadGenReply) => {
        if (m.type === 'ready') resolve(m);
        else this.waiting.get(m.id)?.(m.result);
      });
      this.proc.on('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    });
    this.send({ type: 'init', templates });
  }

  private send(m: LoadGenRequest) {
    this.proc.send(m);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  run(spec: RunSpec): Promise<RunResult> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.send({ type: 'run', id, spec });
    });
  }

  close() {
    this.send({ type: 'exit' });
  }
}

/** Starts a bare receive-only server and resolves with its port. */
async function startBare(kind: 'http' | 'grpc'): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'ingest-bare.ts'), kind], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`bare ${kind} server exited with ${code}`)));
  });
  return { proc, port };
}

async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

function stageFloor(kind: 'wal' | 'load', arg: number): any {
  const out = execSync(`${JSON.stringify(process.execPath)} --import tsx bench/ingest-stages.ts ${kind} ${arg}`, { cwd: ROOT, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

interface Health { lag: { bytes: number; spans: number; oldestAgeSeconds: number }; queued: number; loaded: number; inserted: number; accepted: number }

async function health(url: string): Promise<Health> {
  const h = (await (await fetch(`${url}/api/health`)).json()) as any;
  return {
    lag: h.store.wal.lag, queued: h.store.wal.queuedSpans, loaded: h.store.loader.loadedSpans,
    inserted: h.store.loader.insertedSpans, accepted: h.ingest.acceptedSpans,
  };
}

/** Polls the WAL lag until `stop`; the largest seen and the last. */
function lagWatch(url: string) {
  const max = { bytes: 0, spans: 0, oldestAgeSeconds: 0 };
  let last = { bytes: 0, spans: 0, oldestAgeSeconds: 0 };
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        last = (await health(url)).lag;
        max.bytes = Math.max(max.bytes, last.bytes);
        max.spans = Math.max(max.spans, last.spans);
        max.oldestAgeSeconds = Math.max(max.oldestAgeSeconds, last.oldestAgeSeconds);
      } catch { /* busy */ }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { stop: async () => { stopped = true; await done; return { max, last }; } };
}

/** Waits until every acknowledged span is loaded; seconds it took (NaN after 120 s). */
async function caughtUp(url: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const h = await health(url);
    if (h.lag.spans === 0 && h.queued === 0 && h.loaded >= h.accepted) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 120_000) return NaN;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function summarize(r: RunResult) {
  return {
    seconds: r.seconds, sent: r.sent, acked: r.acked, ackedSpans: r.ackedSpans, ackedSpansPerSecond: r.ackedSpans / r.seconds,
    refused: r.refused, refusedSpans: r.refusedSpans, failed: r.failed, failures: r.failures, unsent: r.unsent,
    ackP50Ms: pct(r.latencies, 50), ackP99Ms: pct(r.latencies, 99), refusalP50Ms: pct(r.refusedLatencies, 50),
    refusalP99Ms: pct(r.refusedLatencies, 99), clientCpuCores: r.clientCpuSeconds / r.seconds,
  };
}

const label = (p: 'http' | 'grpc') => (p === 'http' ? 'OTLP/HTTP protobuf+gzip' : 'OTLP/gRPC gzip');

async function receiveFloor(lg: LoadGen, kind: 'http' | 'grpc') {
  const bare = await startBare(kind);
  try {
    const target = kind === 'http' ? `http://127.0.0.1:${bare.port}` : `127.0.0.1:${bare.port}`;
    await lg.run({ protocol: kind, target, mode: 'closed', connections: IN_FLIGHT, seconds: 0.5 });
    const w = new ProcWindow(bare.proc.pid!).start();
    const r = summarize(await lg.run({ protocol: kind, target, mode: 'closed', connections: IN_FLIGHT, seconds: PHASE.floor }));
    const p = w.stop();
    console.log(`floor  ${`${kind} receive-only (bare server, decode)`.padEnd(40)} ${k(r.ackedSpansPerSecond).padStart(7)} spans/s  server ${p.cpuCores.toFixed(2)} cores  client ${r.clientCpuCores.toFixed(2)} cores  ack p50 ${ms(r.ackP50Ms)}`);
    return { ...r, serverCpuCores: p.cpuCores, serverPeakRssBytes: p.peakRssBytes };
  } finally {
    await stopProc(bare.proc);
  }
}

async function protocolRun(lg: LoadGen, server: ChildServer, protocol: 'http' | 'grpc', pid: number) {
  const target = protocol === 'http' ? server.httpUrl : server.grpcAddress;
  const whole = new ProcWindow(pid).start();
  const open = (perSecond: number, seconds: number, connections = 8): RunSpec =>
    ({ protocol, target, mode: 'open', rate: perSecond / 1000, connections, seconds });
  const warm = await lg.run({ protocol, target, mode: 'closed', connections: IN_FLIGHT, seconds: QUICK ? 0.5 : 2 });
  const ack1k = summarize(await lg.run(open(1000, PHASE.latency)));
  const ack10k = summarize(await lg.run(open(10_000, PHASE.latency)));
  await caughtUp(server.httpUrl);

  const h0 = await health(server.httpUrl);
  const lag = lagWatch(server.httpUrl);
  const w = new ProcWindow(pid).start();
  const withCatchUp = new ProcWindow(pid).start();
  const sat = summarize(await lg.run({ protocol, target, mode: 'closed', connections: IN_FLIGHT, seconds: SECONDS }));
  const proc = w.stop();
  const h1 = await health(server.httpUrl);
  const lagSeen = await lag.stop();
  const loadedPerSecond = (h1.loaded - h0.loaded) / sat.seconds;
  const catchUpSeconds = await caughtUp(server.httpUrl);
  // CPU per acknowledged span, the loader's catch-up included: less sensitive than spans/s to what else the shared cores run.
  const catchUpCpu = withCatchUp.stop();
  const cpuUsPerSpan = (catchUpCpu.cpuSeconds * 1e6) / Math.max(1, sat.ackedSpans);
  // The split that explains the limit: the event loop's share, and DuckDB's threads with libuv's pool.
  const mainThreadUsPerSpan = (catchUpCpu.mainThreadCpuSeconds * 1e6) / Math.max(1, sat.ackedSpans);
  // What was acknowledged, over the window plus the time the loader needed to catch up after it.
  const sustained = sat.ackedSpans / (sat.seconds + catchUpSeconds);

  // Twice what the receiver acknowledged at saturation, over more connections than the
  // concurrency cap: what is not taken must be refused, quickly, and what is taken stored.
  const overRate = 2 * Math.max(sat.ackedSpansPerSecond, sustained, 1000);
  const ow = new ProcWindow(pid).start();
  const overload = summarize(await lg.run(open(overRate, PHASE.overload, 32)));
  const op = ow.stop();
  const overCatchUp = await caughtUp(server.httpUrl);
  const saturation = {
    ...sat, loadedSpansPerSecond: loadedPerSecond, sustainedSpansPerSecond: sustained,
    serverCpuCores: proc.cpuCores, serverPeakRssBytes: proc.peakRssBytes,
    serverCpuUsPerSpan: cpuUsPerSpan, serverMainThreadCpuUsPerSpan: mainThreadUsPerSpan,
    serverOtherThreadsCpuUsPerSpan: cpuUsPerSpan - mainThreadUsPerSpan,
    walLagMax: lagSeen.max, walLagAtEnd: lagSeen.last, catchUpSeconds,
  };
  const over = { ...overload, offeredSpansPerSecond: overRate, serverCpuCores: op.cpuCores, catchUpSeconds: overCatchUp };
  const peakRss = whole.stop().peakRssBytes;
  console.log(`${label(protocol)}`);
  console.log(`  ack at 1k spans/s offered      p50 ${ms(ack1k.ackP50Ms)}  p99 ${ms(ack1k.ackP99Ms)}  (${ack1k.acked} requests)`);
  console.log(`  ack at 10k spans/s offered     p50 ${ms(ack10k.ackP50Ms)}  p99 ${ms(ack10k.ackP99Ms)}  (${ack10k.acked} requests, ${ack10k.unsent} unsent)`);
  console.log(`  saturation, ${IN_FLIGHT} in flight, ${sat.seconds.toFixed(0)} s: acked ${k(sat.ackedSpansPerSecond)} spans/s, loaded ${k(loadedPerSecond)} spans/s during the window → sustained ${k(sustained)} spans/s (acked over window + catch-up)`);
  console.log(`    ack p50 ${ms(sat.ackP50Ms)} p99 ${ms(sat.ackP99Ms)}; server ${proc.cpuCores.toFixed(2)} cores (${cpuUsPerSpan.toFixed(0)} µs CPU per acked span incl. catch-up: main thread ${mainThreadUsPerSpan.toFixed(0)}, DuckDB and libuv threads ${(cpuUsPerSpan - mainThreadUsPerSpan).toFixed(0)}), peak RSS ${mib(proc.peakRssBytes)}; client ${sat.clientCpuCores.toFixed(2)} cores; refused ${sat.refused}`);
  console.log(`    WAL lag max ${(lagSeen.max.bytes / 1e6).toFixed(0)} MB / ${lagSeen.max.spans} spans / ${lagSeen.max.oldestAgeSeconds.toFixed(1)} s, at end ${lagSeen.last.oldestAgeSeconds.toFixed(1)} s; loader caught up ${catchUpSeconds.toFixed(1)} s after`);
  console.log(`  overload, ${k(overRate)} spans/s offered over 32 connections: acked ${k(over.ackedSpansPerSecond)} spans/s, refused ${over.refused} requests (p50 ${ms(over.refusalP50Ms)}), failed ${over.failed}, unsent ${over.unsent}; server ${op.cpuCores.toFixed(2)} cores`);
  if (sat.failed + over.failed + ack1k.failed + ack10k.failed > 0) console.log(`  failures: ${[...sat.failures, ...over.failures].join(' | ')}`);
  return { ack1k, ack10k, saturation, overload: over, peakRssBytes: peakRss, ackedSpans: warm.ackedSpans + ack1k.ackedSpans + ack10k.ackedSpans + sat.ackedSpans + over.ackedSpans };
}

async function main() {
  const lg = new LoadGen(PHASE.templates);
  const ready = await lg.ready;
  const commit = (() => { try { return execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; } })();
  console.log(`ingest benchmark${QUICK ? ' (--quick)' : ''}: ${os.cpus().length} cores "${os.cpus()[0]?.model}", load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with other sessions: figures are noisy)`);
  console.log(`request: ${ready.spans} spans, ${(ready.rawBytes / 1024).toFixed(0)} KiB protobuf, gzip ${(ready.gzipBytes / 1024).toFixed(0)} KiB as sent (a whole-body gzip: ${(ready.plainGzipBytes / 1024).toFixed(0)} KiB); ${PHASE.templates} template(s) built in ${ready.buildSeconds.toFixed(1)} s`);

  const floors = {
    httpReceive: await receiveFloor(lg, 'http'),
    grpcReceive: await receiveFloor(lg, 'grpc'),
    walAppend: stageFloor('wal', PHASE.floor),
    load: stageFloor('load', PHASE.loadSpans),
  };
  console.log(`floor  ${'WAL append + fsync only'.padEnd(40)} ${k(floors.walAppend.spansPerSecond).padStart(7)} spans/s  ${floors.walAppend.mbPerSecond.toFixed(0)} MB/s, ${floors.walAppend.fsyncs} fsyncs; rows ${floors.walAppend.bytesPerSpan.toFixed(0)} B/span`);
  console.log(`floor  ${'request → WAL rows (decode, semconv, encode)'.padEnd(40)} ${k(floors.walAppend.normalizeSpansPerSecondPerCore).padStart(7)} spans/s per core (${floors.walAppend.normalizeUsPerSpan.toFixed(1)} µs/span)`);
  console.log(`floor  ${'DuckDB load only (loader, replay)'.padEnd(40)} ${k(floors.load.spansPerSecond).padStart(7)} spans/s  ${floors.load.cpuCores.toFixed(2)} cores, ${floors.load.cpuUsPerSpan.toFixed(0)} µs CPU/span, ${floors.load.segments} segments`);

  const protocols: Record<string, Awaited<ReturnType<typeof protocolRun>> & { lostSpans: number }> = {};
  // --quick runs both protocols against one server to save a start-up.
  const groups: Array<Array<'http' | 'grpc'>> = QUICK ? [['http', 'grpc']] : [['http'], ['grpc']];
  for (const group of groups) {
    const dir = await tempDir('lookspan-bench-');
    const passthrough = Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith('LOOKSPAN_')) as [string, string][]);
    const nodeOptions: Record<string, string> = process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {};
    // Node refuses --cpu-prof in NODE_OPTIONS: flags like it go on the server's command line.
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const server = await startChildServer(dir, { LOOKSPAN_SEGMENT_MAX_AGE_MS: '500', ...nodeOptions, ...passthrough }, nodeArgs);
    try {
      const runs: Array<Awaited<ReturnType<typeof protocolRun>>> = [];
      for (const protocol of group) runs.push(await protocolRun(lg, server, protocol, server.proc.pid!));
      const h = await health(server.httpUrl);
      const acked = runs.reduce((n, r) => n + r.ackedSpans, 0);
      // Ids are new on every send, so every span the client saw acknowledged must have been inserted.
      const lostSpans = Math.max(0, acked - h.inserted);
      group.forEach((protocol, i) => { protocols[protocol] = { ...runs[i], lostSpans }; });
      console.log(`stored: ${h.inserted} spans inserted for ${acked} acknowledged (${group.join(' + ')}) → ${lostSpans} lost`);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
      await rm(dir, { recursive: true, force: true });
    }
  }
  lg.close();

  const targets: Target[] = [];
  for (const protocol of ['http', 'grpc'] as const) {
    const r = protocols[protocol];
    const floor = protocol === 'http' ? floors.httpReceive : floors.grpcReceive;
    const name = protocol === 'http' ? 'OTLP/HTTP' : 'OTLP/gRPC';
    const sustained = r.saturation.sustainedSpansPerSecond;
    targets.push(target(`${name} sustained`, sustained, '>=', 50_000, 'spans/s'));
    targets.push(target(`${name} sustained as a share of its receive-only floor`, (100 * sustained) / floor.ackedSpansPerSecond, '>=', 50, '%'));
    targets.push(target(`${name} ack p99 at 10k spans/s offered`, r.ack10k.ackP99Ms, '<', 50, 'ms'));
    targets.push(target(`${name} server peak RSS over the run`, r.peakRssBytes, '<', GiB, 'bytes'));
    targets.push(target(`${name} goodput at 2x overload as a share of sustained`, (100 * r.overload.ackedSpansPerSecond) / Math.max(1, sustained), '>=', 80, '%'));
    targets.push(target(`${name} overload: requests failed other than 429/RESOURCE_EXHAUSTED`, r.overload.failed + r.saturation.failed, '==', 0, ''));
    targets.push(target(`${name} acknowledged spans not stored`, r.lostSpans, '==', 0, ''));
  }
  printTargets(targets);
  const file = await writeResults(RESULTS_DIR, {
    date: new Date().toISOString(), commit, quick: QUICK,
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memBytes: os.totalmem(), node: process.version, loadavgAtStart: os.loadavg() },
    note: 'client, server and other sessions share the cores; figures are noisy',
    settings: { inFlight: IN_FLIGHT, saturationSeconds: SECONDS, phases: PHASE },
    request: ready, floors, protocols, targets,
  }, QUICK);
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
