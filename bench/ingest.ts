/**
 * Ingest benchmark: a 100k-span export over OTLP/HTTP (protobuf, gzip) and
 * over OTLP/gRPC (gzip) into a Lookspan child process; prints spans/s, ack
 * latency and the WAL lag seen during the load. Figures only, no assertions.
 *
 *   npm run bench            (BENCH_SPANS=100000 BENCH_INFLIGHT=4 by default)
 */
import { gzipSync } from 'node:zlib';
import { rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { buildSpans } from './spans.js';
import { startChildServer, tempDir } from '../test/helpers/server.js';
import { rawTraceClient } from '../test/helpers/grpc.js';

const TOTAL = Number(process.env.BENCH_SPANS ?? 100_000);
const IN_FLIGHT = Number(process.env.BENCH_INFLIGHT ?? 4);
const PER_REQUEST = 1000;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Requests with distinct trace/span ids: the mix is rebuilt per request index so nothing deduplicates. */
function buildRequests(count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const spans = buildSpans(PER_REQUEST / 10, 1000 + i);
    out.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!));
  }
  return out;
}

interface LagSample { bytes: number; spans: number; oldestAgeSeconds: number }

async function sampleLag(url: string, stop: () => boolean): Promise<LagSample> {
  const max: LagSample = { bytes: 0, spans: 0, oldestAgeSeconds: 0 };
  while (!stop()) {
    try {
      const h = (await (await fetch(`${url}/api/health`)).json()) as any;
      const lag = h.store.wal.lag as LagSample;
      max.bytes = Math.max(max.bytes, lag.bytes);
      max.spans = Math.max(max.spans, lag.spans);
      max.oldestAgeSeconds = Math.max(max.oldestAgeSeconds, lag.oldestAgeSeconds);
    } catch { /* server busy */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return max;
}

async function waitCaughtUp(url: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const h = (await (await fetch(`${url}/api/health`)).json()) as any;
    if (h.store.wal.lag.spans === 0) return performance.now() - t0;
    if (performance.now() - t0 > 60_000) return NaN;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(label: string, url: string, requests: Buffer[], send: (body: Buffer) => Promise<void>) {
  let next = 0;
  const latencies: number[] = [];
  let done = false;
  const lagPromise = sampleLag(url, () => done);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < requests.length) {
      const body = requests[next++];
      for (;;) {
        const s = performance.now();
        try {
          await send(body);
          latencies.push(performance.now() - s);
          break;
        } catch (err) {
          if (!/429|RESOURCE_EXHAUSTED|503/.test(String(err))) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  done = true;
  const lag = await lagPromise;
  const catchUpMs = await waitCaughtUp(url);
  latencies.sort((a, b) => a - b);
  const spans = requests.length * PER_REQUEST;
  console.log(`${label.padEnd(28)} ${(spans / seconds).toFixed(0).padStart(7)} spans/s  ` +
    `ack p50 ${pct(latencies, 50).toFixed(1)} ms  p99 ${pct(latencies, 99).toFixed(1)} ms  ` +
    `WAL lag max ${(lag.bytes / 1e6).toFixed(1)} MB / ${lag.spans} spans / ${lag.oldestAgeSeconds.toFixed(2)} s  ` +
    `loader caught up ${(catchUpMs / 1000).toFixed(2)} s after the last ack`);
}

async function main() {
  const count = Math.ceil(TOTAL / PER_REQUEST);
  console.log(`building ${count} requests of ${PER_REQUEST} spans with the OTel SDK…`);
  const http = buildRequests(count);
  const gz = http.map((b) => gzipSync(b));
  const raw = http.reduce((n, b) => n + b.length, 0);
  console.log(`payload: ${(raw / count / 1024).toFixed(0)} KiB protobuf per request, gzip ${(raw / gz.reduce((n, b) => n + b.length, 0)).toFixed(2)}x`);

  const dir = await tempDir('lookspan-bench-');
  const passthrough = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('LOOKSPAN_')) as [string, string][]);
  const server = await startChildServer(dir, { LOOKSPAN_SEGMENT_MAX_AGE_MS: '500', ...passthrough });
  try {
    await run('OTLP/HTTP protobuf+gzip', server.httpUrl, gz, async (body) => {
      const res = await fetch(`${server.httpUrl}/v1/traces`, {
        method: 'POST', body, headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    });

    // Ack latency of an SDK-sized batch (10 spans, one request at a time): decode, fsync, answer.
    const small = Array.from({ length: 200 }, (_, i) => Buffer.from(ProtobufTraceSerializer.serializeRequest(buildSpans(1, 50_000 + i))!));
    const smallLat: number[] = [];
    for (const body of small) {
      const t = performance.now();
      const res = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
      await res.arrayBuffer();
      smallLat.push(performance.now() - t);
    }
    smallLat.sort((a, b) => a - b);
    console.log(`${'ack, 10-span request'.padEnd(28)} p50 ${pct(smallLat, 50).toFixed(1)} ms  p99 ${pct(smallLat, 99).toFixed(1)} ms  (one in flight, includes the fsync)`);

    // Freshness: from the ack until the trace is returned by GET /api/traces/:id.
    const fresh: number[] = [];
    for (let i = 0; i < 20; i++) {
      const spans = buildSpans(1, 70_000 + i);
      const traceId = spans[0].spanContext().traceId;
      const res = await fetch(`${server.httpUrl}/v1/traces`, {
        method: 'POST', body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), headers: { 'content-type': 'application/x-protobuf' },
      });
      await res.arrayBuffer();
      const t = performance.now();
      while ((await fetch(`${server.httpUrl}/api/traces/${traceId}`)).status !== 200) await new Promise((r) => setTimeout(r, 10));
      fresh.push(performance.now() - t);
    }
    fresh.sort((a, b) => a - b);
    console.log(`${'ack → queryable'.padEnd(28)} p50 ${pct(fresh, 50).toFixed(0)} ms  max ${fresh[fresh.length - 1].toFixed(0)} ms  (segment age bound 500 ms)`);

    const client = rawTraceClient(server.grpcAddress, {
      'grpc.default_compression_algorithm': 2, 'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
    // Distinct ids from the HTTP run: rebuild with other seeds.
    const grpcBodies = Array.from({ length: count }, (_, i) => Buffer.from(ProtobufTraceSerializer.serializeRequest(buildSpans(PER_REQUEST / 10, 900_000 + i))!));
    await run('OTLP/gRPC gzip', server.httpUrl, grpcBodies, async (body) => {
      const { err } = await client.export(body);
      if (err) throw new Error(`${grpc.status[err.code]} ${err.details}`);
    });
    client.close();
  } finally {
    server.proc.kill('SIGTERM');
    await server.exited;
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
