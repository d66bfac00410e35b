/**
 * Live fan-out benchmark: OTLP/HTTP protobuf ingest into a Lookspan child
 * process, paced at BENCH_LIVE_RATE spans/s (default 10,000, requests of
 * 1000 spans) for BENCH_LIVE_SECONDS (default 10), then unpaced (4 requests
 * in flight) for the same number of spans, each with
 *   - no live clients,
 *   - 200 SSE + 50 WebSocket clients each following one session (`filtered`),
 *   - 200 SSE + 50 WebSocket clients following everything (`firehose`).
 * Prints per scenario the ingest rate achieved, the request (ack) latency
 * p50/p99, the events the clients received per second, and what the server
 * dropped or closed. Clients run in their own process (bench/live-clients.ts).
 * Figures only, no assertions.
 *
 *   npx tsx bench/live.ts      (in npm run bench)
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rm } from 'node:fs/promises';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { buildSpans } from './spans.js';
import { startChildServer, tempDir, type ChildServer } from '../test/helpers/server.js';

const RATE = Number(process.env.BENCH_LIVE_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const PER_REQUEST = 1000;
const HERE = path.dirname(fileURLToPath(import.meta.url));

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function buildRequests(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(ProtobufTraceSerializer.serializeRequest(buildSpans(PER_REQUEST / 10, 5000 + i))!));
}

async function post(server: ChildServer, body: Buffer): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
  return performance.now() - t0;
}

/** Sends every request, paced (one every 1000 / (rate / PER_REQUEST) ms) or 4 in flight; returns spans/s and latencies. */
async function load(server: ChildServer, requests: Buffer[], paced: boolean): Promise<{ rate: number; p50: number; p99: number; seconds: number }> {
  const lat: number[] = [];
  const t0 = performance.now();
  if (paced) {
    const every = 1000 / (RATE / PER_REQUEST);
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < requests.length; i++) {
      const due = t0 + i * every;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inflight.push(post(server, requests[i]).then((ms) => { lat.push(ms); }));
    }
    await Promise.all(inflight);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < requests.length) lat.push(await post(server, requests[next++]));
    }));
  }
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { rate: (requests.length * PER_REQUEST) / seconds, p50: pct(lat, 50), p99: pct(lat, 99), seconds };
}

async function metric(server: ChildServer, re: RegExp): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(re)) sum += Number(m[1]);
  return sum;
}

interface ClientCounts { sse: number; ws: number; wsClosed: number; wsCloseCodes: Record<string, number>; sseOpen: number; wsOpen: number }

async function withClients<T>(server: ChildServer, mode: 'filtered' | 'firehose', fn: (counts: () => ClientCounts) => Promise<T>): Promise<T> {
  const child = fork(path.join(HERE, 'live-clients.ts'), [server.httpUrl, '200', '50', mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let last: ClientCounts = { sse: 0, ws: 0, wsClosed: 0, wsCloseCodes: {}, sseOpen: 0, wsOpen: 0 };
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: any) => {
      if (m.error) reject(new Error(m.error));
      last = m;
      if (m.ready) resolve();
    });
    child.on('exit', (code) => reject(new Error(`clients exited with ${code}`)));
  });
  try {
    return await fn(() => last);
  } finally {
    child.removeAllListeners('exit');
    child.send({ stop: true });
    await new Promise((r) => child.once('exit', r));
  }
}

async function main(): Promise<void> {
  const count = Math.max(1, Math.round((RATE * SECONDS) / PER_REQUEST));
  console.log(`live fan-out: building ${count} requests of ${PER_REQUEST} spans…`);
  const requests = buildRequests(count);
  const dir = await tempDir('lookspan-bench-live-');
  const server = await startChildServer(dir);
  const rows: string[] = [];
  try {
    // Warm-up: JIT and the first segment loads.
    await load(server, requests.slice(0, Math.min(10, count)), false);
    for (const paced of [true, false]) {
      for (const scenario of ['none', 'filtered', 'firehose'] as const) {
        const dropped0 = await metric(server, /^lookspan_live_events_dropped_total\{[^}]*\} (\d+)/gm);
        const closed0 = await metric(server, /^lookspan_live_clients_closed_total\{[^}]*\} (\d+)/gm);
        const run = async (counts: () => ClientCounts) => {
          const before = { ...counts() };
          const r = await load(server, requests, paced);
          // The clients' counters arrive every 500 ms: wait for one more report.
          await new Promise((res) => setTimeout(res, 700));
          const after = counts();
          return { ...r, events: (after.sse - before.sse + after.ws - before.ws) / r.seconds, closed: after.wsClosed - before.wsClosed };
        };
        const r = scenario === 'none' ? { ...(await load(server, requests, paced)), events: 0, closed: 0 } : await withClients(server, scenario, run);
        const dropped = (await metric(server, /^lookspan_live_events_dropped_total\{[^}]*\} (\d+)/gm)) - dropped0;
        const closed = (await metric(server, /^lookspan_live_clients_closed_total\{[^}]*\} (\d+)/gm)) - closed0;
        rows.push(`| ${paced ? `paced ${RATE}/s` : 'unpaced, 4 in flight'} | ${scenario === 'none' ? 'none' : `200 SSE + 50 WS, ${scenario}`} | ${Math.round(r.rate)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${Math.round(r.events)} | ${dropped} | ${closed} |`);
        console.log(rows[rows.length - 1]);
      }
    }
  } catch (err) {
    console.error(server.output().split('\n').filter((l) => !l.includes('"level":30')).slice(-20).join('\n'));
    throw err;
  } finally {
    server.proc.kill('SIGTERM');
    await server.exited;
    await rm(dir, { recursive: true, force: true });
  }
  console.log('\n| load | clients | ingest spans/s | ack p50 ms | ack p99 ms | events delivered/s | events dropped | WS clients closed |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
