/**
 * The stage floors of bench/ingest.ts, each in its own process so its CPU
 * is measured alone. Prints one JSON line.
 *
 *   tsx bench/ingest-stages.ts wal SECONDS     WAL append + fsync only (Lookspan's WalWriter, default group
 *                                              commit, 4 appenders) of the realistic mix's WAL rows; also the
 *                                              CPU of turning a request into those rows (decode, conventions,
 *                                              pricing, WAL encoding)
 *   tsx bench/ingest-stages.ts load SPANS      load only: sealed segments of that many spans (25k spans each, what
 *                                              0.5 s of traffic at 50k spans/s seals) loaded into DuckDB by
 *                                              Lookspan's loader at start-up replay
 */
import { mkdtemp, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildTemplate, randomSalt, RequestWriter } from './ingest-payload.js';
import { normalizeDecoded, type NormalizeContext } from '../src/pipeline/normalize.js';
import { decodeProtobuf } from '../src/receivers/otlp/decode.js';
import { createCostModel } from '../src/enrich/cost.js';
import { WalWriter } from '../src/store/wal/writer.js';
import { segmentName } from '../src/store/wal/segment-files.js';
import { Store } from '../src/store/index.js';
import { loadConfig } from '../src/config/index.js';

const kind = process.argv[2];
const arg = Number(process.argv[3]);
const SEGMENT_SPANS = 25_000;

const templates = [buildTemplate(2000, false), buildTemplate(2001, false)];
const writer = new RequestWriter(templates, randomSalt());
let send = 0;
const ctx: NormalizeContext = {
  semconv: { payloadMaxBytes: 64 * 1024 }, project: 'default', costs: createCostModel(),
};

/** One request's WAL rows with fresh ids, and the CPU its normalization took. */
function walRows(): { wal: Buffer; spans: number; cpuUs: number } {
  const { body } = writer.take(++send, false);
  const c0 = process.cpuUsage();
  const batch = normalizeDecoded(decodeProtobuf(body, { maxAttributeDepth: 16 }), ctx);
  const c = process.cpuUsage(c0);
  return { wal: batch.wal, spans: batch.spans, cpuUs: c.user + c.system };
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

async function walFloor(seconds: number) {
  for (let i = 0; i < 5; i++) walRows(); // warm-up
  const prepared = Array.from({ length: 20 }, walRows);
  const normalizeUsPerSpan = prepared.reduce((n, r) => n + r.cpuUs, 0) / prepared.reduce((n, r) => n + r.spans, 0);
  const bytesPerSpan = prepared[0].wal.length / prepared[0].spans;
  const dir = await mkdtemp(path.join(tmpdir(), 'lookspan-bench-wal-'));
  const wal = new WalWriter({
    dir, nextSeq: 1, commitDelayMs: 2, segmentMaxBytes: 64 * 1024 * 1024, segmentMaxAgeMs: 500,
    onSealed: (seg) => { unlink(seg.path).catch(() => {}); },
  });
  let spans = 0;
  let bytes = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: 4 }, async (_, i) => {
    for (let k = i; performance.now() < end; k += 4) {
      const r = prepared[k % prepared.length];
      await wal.append(r.wal, r.spans);
      spans += r.spans;
      bytes += r.wal.length;
    }
  }));
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  await wal.close();
  await rm(dir, { recursive: true, force: true });
  return {
    stage: 'wal', seconds: s, spansPerSecond: spans / s, mbPerSecond: bytes / s / 1e6, fsyncs: wal.syncs,
    cpuCores: cpu / s, bytesPerSpan, normalizeUsPerSpan, normalizeSpansPerSecondPerCore: 1e6 / normalizeUsPerSpan,
  };
}

async function loadFloor(total: number) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lookspan-bench-load-'));
  const walDir = path.join(dataDir, 'wal');
  await mkdir(walDir, { recursive: true });
  let seq = 1;
  let bytes = 0;
  for (let written = 0; written < total; seq++) {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < Math.min(SEGMENT_SPANS, total - written)) {
      const r = walRows();
      parts.push(r.wal);
      n += r.spans;
    }
    const buf = Buffer.concat(parts);
    bytes += buf.length;
    await writeFile(path.join(walDir, segmentName(seq, true)), buf);
    written += n;
  }
  const config = loadConfig({ env: {}, overrides: { storage: { dataDir } } });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const store = await Store.open({
    dataDir, duckdbMemoryLimit: config.storage.duckdbMemoryLimit, duckdbThreads: config.storage.duckdbThreads,
    replica: 'bench', sealIdleSeconds: config.storage.sealIdleSeconds, sealIntervalSeconds: config.storage.sealIntervalSeconds,
    hotMaxRows: config.storage.hotMaxRows, hotMaxAgeSeconds: config.storage.hotMaxAgeSeconds,
    commitDelayMs: config.pipeline.commitDelayMs, segmentMaxBytes: config.pipeline.segmentMaxBytes, segmentMaxAgeMs: config.pipeline.segmentMaxAgeMs,
  }, pino({ level: 'silent' }));
  await store.waitReplayed();
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  const inserted = store.loader.stats.insertedSpans;
  const rssBytes = process.memoryUsage().rss;
  await store.close(Date.now() + 10_000);
  await rm(dataDir, { recursive: true, force: true });
  return {
    stage: 'load', seconds: s, spans: inserted, segments: seq - 1, mb: bytes / 1e6, spansPerSecond: inserted / s,
    cpuCores: cpu / s, cpuUsPerSpan: (cpu * 1e6) / inserted, rssBytes,
  };
}

const result = kind === 'wal' ? await walFloor(arg || 10) : kind === 'load' ? await loadFloor(arg || 200_000) : null;
if (!result) {
  console.error('usage: tsx bench/ingest-stages.ts wal SECONDS | load SPANS');
  process.exit(2);
}
console.log(JSON.stringify(result));
