/**
 * The ingest benchmark's load generator: its own process (forked by
 * bench/ingest.ts, driven over IPC), so its CPU is not the server's. It
 * builds the request templates once (bench/ingest-payload.ts) and then runs
 * what it is told: closed loop (N requests in flight, each connection
 * sending its next request when the last one is answered) or open loop (a
 * fixed rate of requests over a pool of connections; a send that finds no
 * free connection is counted as unsent, never queued, so latency is the
 * server's and not the generator's).
 */
import http from 'node:http';
import { buildTemplate, randomSalt, RequestWriter, type RequestTemplate } from './ingest-payload.js';
import { RawGrpcConnection } from './ingest-grpc-client.js';

export interface RunSpec {
  protocol: 'http' | 'grpc';
  /** `http://host:port` for HTTP, `host:port` for gRPC. */
  target: string;
  mode: 'closed' | 'open';
  /** Closed: requests in flight. Open: connections in the pool. */
  connections: number;
  /** Open loop: requests per second. */
  rate?: number;
  seconds: number;
}

export interface RunResult {
  seconds: number;
  sent: number;
  acked: number;
  ackedSpans: number;
  /** 429 / RESOURCE_EXHAUSTED (and 503 / UNAVAILABLE): refused with a retry hint. */
  refused: number;
  refusedSpans: number;
  /** Anything else (a bug or a broken connection). */
  failed: number;
  failures: string[];
  /** Open loop: sends due while every connection was busy. */
  unsent: number;
  /** Ack latencies of acknowledged requests, ms. */
  latencies: number[];
  refusedLatencies: number[];
  clientCpuSeconds: number;
}

export type LoadGenRequest =
  | { type: 'init'; templates: number }
  | { type: 'run'; id: number; spec: RunSpec }
  | { type: 'exit' };

export type LoadGenReply =
  | { type: 'ready'; rawBytes: number; gzipBytes: number; plainGzipBytes: number; spans: number; buildSeconds: number }
  | { type: 'result'; id: number; result: RunResult };

let templates: RequestTemplate[] = [];
const salt = randomSalt();
let sends = 0;

type Outcome = { kind: 'ack' | 'refused' | 'failed'; detail?: string };

/** One connection and its own patched copy of the templates. */
interface Slot {
  send(): Promise<{ outcome: Outcome; spans: number }>;
  close(): void;
}

function httpSlot(base: string, index: number): Slot {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const writer = new RequestWriter(templates, salt, index);
  const url = new URL('/v1/traces', base);
  return {
    send: () => new Promise((resolve) => {
      const { body, spans } = writer.take(++sends, true);
      const req = http.request(url, {
        method: 'POST', agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', 'content-length': body.length },
      }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          const s = res.statusCode ?? 0;
          const kind = s === 200 ? 'ack' : s === 429 || s === 503 ? 'refused' : 'failed';
          resolve({ outcome: { kind, detail: `HTTP ${s}` }, spans });
        });
      });
      req.on('error', (err) => resolve({ outcome: { kind: 'failed', detail: err.message }, spans }));
      req.end(body);
    }),
    close: () => agent.destroy(),
  };
}

function grpcSlot(address: string, index: number, conn: RawGrpcConnection): Slot {
  const writer = new RequestWriter(templates, salt, index);
  return {
    send: async () => {
      const { body, spans } = writer.take(++sends, true);
      const a = await conn.export(body);
      const kind = a.code === 0 ? 'ack' : a.code === 8 || a.code === 14 ? 'refused' : 'failed';
      return { outcome: { kind, detail: `gRPC ${a.code} ${a.message}`.slice(0, 200) }, spans };
    },
    close: () => {},
  };
}

async function run(spec: RunSpec): Promise<RunResult> {
  const grpcConns = spec.protocol === 'grpc'
    ? Array.from({ length: Math.min(spec.connections, 4) }, () => new RawGrpcConnection(spec.target)) : [];
  const slots = Array.from({ length: spec.connections }, (_, i) =>
    spec.protocol === 'http' ? httpSlot(spec.target, i) : grpcSlot(spec.target, i, grpcConns[i % grpcConns.length]));
  const r: RunResult = {
    seconds: 0, sent: 0, acked: 0, ackedSpans: 0, refused: 0, refusedSpans: 0, failed: 0, failures: [],
    unsent: 0, latencies: [], refusedLatencies: [], clientCpuSeconds: 0,
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + spec.seconds * 1000;
  const one = async (slot: Slot) => {
    const s = performance.now();
    r.sent++;
    const { outcome, spans } = await slot.send();
    const ms = performance.now() - s;
    if (outcome.kind === 'ack') {
      r.acked++;
      r.ackedSpans += spans;
      r.latencies.push(ms);
    } else if (outcome.kind === 'refused') {
      r.refused++;
      r.refusedSpans += spans;
      r.refusedLatencies.push(ms);
    } else {
      r.failed++;
      if (r.failures.length < 5) r.failures.push(outcome.detail ?? '');
    }
  };
  if (spec.mode === 'closed') {
    await Promise.all(slots.map(async (slot) => {
      while (performance.now() < end) await one(slot);
    }));
  } else {
    const free = [...slots];
    const busy: Promise<void>[] = [];
    const interval = 1000 / (spec.rate ?? 1);
    for (let k = 0; ; k++) {
      const due = t0 + k * interval;
      if (due >= end) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      const slot = free.pop();
      if (!slot) {
        r.unsent++;
        continue;
      }
      const p = one(slot).then(() => { free.push(slot); });
      busy.push(p);
    }
    await Promise.all(busy);
  }
  r.seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  r.clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
  for (const s of slots) s.close();
  for (const c of grpcConns) c.close();
  return r;
}

process.on('message', (msg: LoadGenRequest) => {
  if (msg.type === 'init') {
    const t0 = performance.now();
    templates = Array.from({ length: msg.templates }, (_, i) => buildTemplate(1000 + i));
    const t = templates[0];
    process.send!({
      type: 'ready', rawBytes: t.raw.length, gzipBytes: t.gzip.length, plainGzipBytes: t.plainGzipBytes, spans: t.spans,
      buildSeconds: (performance.now() - t0) / 1000,
    } satisfies LoadGenReply);
  } else if (msg.type === 'run') {
    run(msg.spec).then((result) => process.send!({ type: 'result', id: msg.id, result } satisfies LoadGenReply));
  } else if (msg.type === 'exit') {
    process.disconnect();
  }
});
