/**
 * The lake at scale: BENCH_LAKE_READ_SPANS (default 10M) spans generated
 * straight into the hot tables a million at a time (one date partition per
 * million, sealed every 200k spans as the default hot bound would) and sealed through the real seal path (auto-compaction
 * included), then real WAL loads, trace detail and trace list measured
 * through the same functions the API calls. Figures are printed beside the
 * floors measured in the same run (the same load into an empty store, the
 * same lookups at 0.1M spans).
 *
 *   npx tsx bench/lake-read.ts             (BENCH_LAKE_READ_SPANS=10000000)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Store } from '../src/store/index.js';
import { WORDS, segmentMaker } from './llm-segment.js';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from '../src/config/schema.js';
import { getTrace, listTraces } from '../src/analysis/traces.js';
import { closeBenchStore } from './bench-store.js';

const TOTAL = Number(process.env.BENCH_LAKE_READ_SPANS ?? 10_000_000);
const CHUNK = 1_000_000;
/** Spans generated per seal: the server's default hot bound (storage.hotMaxRows). */
const BATCH = 200_000;
const SPANS_PER_TRACE = 10;
const SEGMENT = 10_000;
const PROSE = 20_000;
const DAY_US = 86_400_000_000;
const BASE_US = 1_760_000_000_000_000; // 2025-10-09: generated history starts here, one day per million spans

/**
 * Generates spans [from, from + n) of day `day` into the hot tables, as the loader would have
 * stored them (n a multiple of SPANS_PER_TRACE, so no trace straddles two batches).
 */
async function generateSpans(store: Store, day: number, from: number, n: number): Promise<void> {
  const traces = CHUNK / SPANS_PER_TRACE;
  const t0 = BASE_US + day * DAY_US;
  await store.db.writer.run(`
    INSERT INTO spans SELECT
      'default' AS project_id,
      lpad(printf('%x', ${day} * ${traces} + (i // ${SPANS_PER_TRACE})), 32, '0') AS trace_id,
      lpad(printf('%x', ${day} * ${CHUNK} + i), 16, '0') AS span_id,
      CASE WHEN i % ${SPANS_PER_TRACE} = 0 THEN NULL ELSE lpad(printf('%x', ${day} * ${CHUNK} + i - i % ${SPANS_PER_TRACE}), 16, '0') END,
      make_timestamp(${t0} + (i // ${SPANS_PER_TRACE}) * 800000 + (i % ${SPANS_PER_TRACE}) * 1000) AS started_at,
      make_timestamp(${t0} + (i // ${SPANS_PER_TRACE}) * 800000 + (i % ${SPANS_PER_TRACE}) * 1000 + 500000) AS ended_at,
      500, CASE WHEN i % ${SPANS_PER_TRACE} = 0 THEN 'agent run' ELSE 'chat gpt-4o' END, 'client',
      CASE WHEN i % ${SPANS_PER_TRACE} = 0 THEN 'agent' WHEN i % 3 = 0 THEN 'tool_call' ELSE 'llm_call' END,
      CASE WHEN i % 97 = 0 THEN 'error' ELSE 'ok' END, NULL, NULL,
      'bench', 'bench', 'custom', 's' || ((i // ${SPANS_PER_TRACE}) % 5000), NULL, 'agent',
      'openai', 'chat', 'gpt-4o', 'gpt-4o-2024-08-06', 1000, 200, NULL, NULL, NULL, 0.0045, 'computed', 'stop',
      NULL, NULL, NULL, NULL, NULL, NULL,
      p.input, p.output, '{"gen_ai.request.temperature":0.2}', '{"service.name":"bench"}', '[]', '[]'
    FROM range(${from}, ${from + n}) r(i) JOIN bench_prose p ON p.k = (i * 7919) % ${PROSE}`);
  await store.db.writer.run(`
    INSERT INTO traces SELECT project_id, trace_id, min(started_at), max(ended_at),
      any_value(span_id) FILTER (WHERE parent_span_id IS NULL), any_value(name) FILTER (WHERE parent_span_id IS NULL),
      arg_min(name, started_at), CASE WHEN bool_or(status = 'error') THEN 'error' ELSE 'ok' END,
      'bench', 'custom', any_value(session_id), NULL, 'agent', count(*), count(*) FILTER (WHERE status = 'error'),
      count(*) FILTER (WHERE type = 'llm_call'), count(*) FILTER (WHERE type = 'tool_call'),
      sum(input_tokens), sum(output_tokens), sum(cost_usd), ['gpt-4o-2024-08-06'], now() - INTERVAL 1 HOUR
    FROM spans GROUP BY project_id, trace_id`);
}

const segment = segmentMaker(Date.now() * 1000, 'f');

/** CPU per row of loading one real 10k-span WAL segment (three runs, averaged). */
async function loadCost(store: Store): Promise<number> {
  let cpuTotal = 0;
  for (let r = 0; r < 3; r++) {
    await store.wal.append(segment(SEGMENT), SEGMENT);
    const cpu0 = process.cpuUsage();
    await store.wal.sealNow();
    await store.loader.drain();
    const cpu = process.cpuUsage(cpu0);
    cpuTotal += (cpu.user + cpu.system) / SEGMENT;
  }
  return cpuTotal / 3;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** p50/p95 of trace detail (random stored traces) and of the first page of the trace list. */
async function readLatency(store: Store, randomTrace: () => number): Promise<string> {
  const detail: number[] = [];
  const list: number[] = [];
  const filtered: number[] = [];
  for (let i = 0; i < 60; i++) {
    const n = randomTrace();
    const id = n.toString(16).padStart(32, '0');
    let t = performance.now();
    const trace = await store.db.withSnapshot((c) => getTrace(c, 'default', id));
    if (i >= 10) detail.push(performance.now() - t);
    if (!trace || trace.spans.length !== SPANS_PER_TRACE) throw new Error(`trace ${id}: expected ${SPANS_PER_TRACE} spans, got ${trace?.spans.length}`);
    t = performance.now();
    await store.db.withSnapshot((c) => listTraces(c, { projectId: 'default', limit: 50, offset: 0 }));
    if (i >= 10) list.push(performance.now() - t);
    t = performance.now();
    await store.db.withSnapshot((c) => listTraces(c, { projectId: 'default', status: 'error', limit: 50, offset: 0 }));
    if (i >= 10) filtered.push(performance.now() - t);
  }
  const f = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(1)} p95 ${pct(xs, 0.95).toFixed(1)} ms`;
  return `trace detail ${f(detail)} · list ${f(list)} · list status=error ${f(filtered)}`;
}

async function main(): Promise<void> {
  // BENCH_KEEP_DIR=1 leaves the data dir in place for a look afterwards.
  const dir = await mkdtemp(path.join(tmpdir(), 'lookspan-bench-lake-read-'));
  const store = await Store.open({
    dataDir: dir, duckdbMemoryLimit: process.env.BENCH_DUCKDB_MEMORY ?? DEFAULT_DUCKDB_MEMORY_LIMIT, duckdbThreads: 0, replica: 'bench',
    sealIdleSeconds: 3600, sealIntervalSeconds: 3600, commitDelayMs: 0, segmentMaxBytes: 1 << 30, segmentMaxAgeMs: 3_600_000,
  }, pino({ level: 'warn' }));
  let peakRss = 0;
  const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 200);
  try {
    await store.waitReplayed();
    // 20,000 distinct payload pairs of prose drawn from a small vocabulary, generated in SQL: too
    // many for dictionary encoding, so files compress (and decompress) like real prompts.
    const words = WORDS.map((w) => `'${w}'`).join(', ');
    const text = (role: string) => `to_json([{role: '${role}', content: array_to_string(list_transform(range(150 + k % 7), x -> ([${words}])[1 + floor(random() * ${WORDS.length})::INTEGER]), ' ')}])::VARCHAR`;
    await store.db.writer.run(`CREATE TEMP TABLE bench_prose AS SELECT k::INTEGER AS k, ${text('user')} AS input, ${text('assistant')} AS output FROM range(${PROSE}) t(k)`);
    const floor = await loadCost(store);
    await store.sealAll();
    console.log(`floor: load into an empty store          CPU ${floor.toFixed(0)} µs/row`);
    const checkpoints = [100_000, 1_000_000, TOTAL].filter((n, i, a) => n <= TOTAL && a.indexOf(n) === i);
    let stored = 0;
    let day = 0;
    let sealMs = 0;
    let seals = 0;
    // Trace numbers generated so far, per day: [first, count).
    const ranges: Array<[number, number]> = [];
    for (const target of checkpoints) {
      while (stored < target) {
        const n = Math.min(CHUNK, target - stored);
        for (let off = 0; off < n; off += BATCH) {
          await generateSpans(store, day, off, Math.min(BATCH, n - off));
          const t0 = performance.now();
          await store.sealAll();
          sealMs += performance.now() - t0;
          seals++;
        }
        ranges.push([day * (CHUNK / SPANS_PER_TRACE), n / SPANS_PER_TRACE]);
        stored += n;
        day++;
      }
      const cost = await loadCost(store);
      await store.sealAll();
      const stats = await store.db.withSnapshot((c) => store.lake.stats(c));
      const spanParts = stats.partitions.filter((p) => p.kind === 'spans');
      const bytes = spanParts.reduce((a, p) => a + p.bytes, 0);
      const rows = spanParts.reduce((a, p) => a + p.rows, 0);
      const files = stats.partitions.reduce((a, p) => a + p.files, 0);
      const randomTrace = () => {
        const [first, count] = ranges[Math.floor(Math.random() * ranges.length)];
        return first + Math.floor(Math.random() * count);
      };
      console.log(`${(stored / 1e6).toFixed(1).padStart(5)}M spans  load CPU ${cost.toFixed(0)} µs/row (${((cost / floor - 1) * 100).toFixed(0)} % vs floor)  ` +
        `${files} files, ${(bytes / rows).toFixed(0)} bytes/span (20k distinct payloads)  seal avg ${(sealMs / seals / 1000).toFixed(2)} s per ≤200k spans  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      console.log(`        ${await readLatency(store, randomTrace)}`);
    }
    const t0 = performance.now();
    const c = await store.compact();
    console.log(`compaction of the whole lake: ${((performance.now() - t0) / 1000).toFixed(1)} s, ${c.partitions} partitions; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    clearInterval(rssTimer);
    await closeBenchStore(store, dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
