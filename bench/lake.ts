/**
 * Load cost against history: the cost of loading one 10k-span WAL segment
 * (realistic ~2 KB rows) when 0.1M and 1M spans are already stored, with
 * everything older sealed into the Parquet lake, next to the same load into
 * an empty store (the floor measured in the same run).
 *
 *   npx tsx bench/lake.ts            (BENCH_LAKE_SPANS=1000000 by default)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Store } from '../src/store/index.js';

const TOTAL = Number(process.env.BENCH_LAKE_SPANS ?? 1_000_000);
const SEGMENT = 10_000;
const CHECKPOINTS = [100_000, TOTAL].filter((n, i, a) => n <= TOTAL && a.indexOf(n) === i);
// Prompts drawn from a small vocabulary: compressible like text, unlike repeated characters or random bytes.
const WORDS = 'the a to of and in is for on with that this be you it are as can your tool call result user agent model error retry order ticket refund search docs weather price'.split(' ');
function prose(n: number): string {
  let s = '';
  while (s.length < n) s += WORDS[Math.floor(Math.random() * WORDS.length)] + ' ';
  return s;
}

let clockUs = 1_780_000_000_000_000;
function segment(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    clockUs += 10;
    const trace = (Math.floor(clockUs / 100)).toString(16).padStart(32, '0');
    lines.push(JSON.stringify({
      project_id: 'default', trace_id: trace, span_id: clockUs.toString(16).padStart(16, '0'), parent_span_id: null,
      started_us: clockUs, ended_us: clockUs + 500_000, duration_ms: 500, name: 'chat gpt-4o', span_kind: 'client', type: 'llm_call',
      status: 'ok', status_message: null, error_type: null, service_name: 'bench', scope_name: 'bench', framework: 'custom',
      session_id: `s${trace.slice(-4)}`, user_id: null, agent_name: 'agent', provider: 'openai', operation: 'chat',
      request_model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06', input_tokens: 1000, output_tokens: 200,
      cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null, cost_usd: 0.0045, cost_source: 'computed',
      finish_reason: 'stop', tool_name: null, tool_call_id: null, server_name: null, mcp_method: null, mcp_session_id: null,
      mcp_resource_uri: null, input: JSON.stringify([{ role: 'user', content: prose(900) }]), output: JSON.stringify([{ role: 'assistant', content: prose(900) }]), attributes: { 'gen_ai.request.temperature': 0.2 }, resource: { 'service.name': 'bench' },
      events: [], links: [],
    }));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

async function loadOne(store: Store): Promise<{ ms: number; cpuUsPerRow: number }> {
  const buf = segment(SEGMENT);
  await store.wal.append(buf, SEGMENT);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await store.wal.sealNow();
  await store.loader.drain();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuUsPerRow: (cpu.user + cpu.system) / SEGMENT };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookspan-bench-lake-'));
  const store = await Store.open({
    dataDir: dir, duckdbMemoryLimit: '', duckdbThreads: 0, replica: 'bench', sealIdleSeconds: 3600, sealIntervalSeconds: 3600,
    commitDelayMs: 0, segmentMaxBytes: 1 << 30, segmentMaxAgeMs: 3_600_000,
  }, pino({ level: 'warn' }));
  try {
    await store.waitReplayed();
    const floor = [await loadOne(store), await loadOne(store), await loadOne(store)];
    let stored = 3 * SEGMENT;
    await store.sealAll();
    const report = (label: string, runs: Array<{ ms: number; cpuUsPerRow: number }>) => {
      const ms = runs.reduce((a, r) => a + r.ms, 0) / runs.length;
      const cpu = runs.reduce((a, r) => a + r.cpuUsPerRow, 0) / runs.length;
      console.log(`${label.padEnd(34)} load ${ms.toFixed(0).padStart(5)} ms per 10k rows  ${(SEGMENT / (ms / 1000)).toFixed(0).padStart(6)} rows/s  CPU ${cpu.toFixed(0)} µs/row  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
    };
    report('floor: ~0 spans stored', floor);
    for (const target of CHECKPOINTS) {
      const tSeal = performance.now();
      let seals = 0;
      let sealMs = 0;
      while (stored < target) {
        await loadOne(store);
        stored += SEGMENT;
        if (stored % 100_000 === 0 || stored >= target) {
          const s0 = performance.now();
          await store.sealAll();
          sealMs += performance.now() - s0;
          seals++;
        }
      }
      const runs = [await loadOne(store), await loadOne(store), await loadOne(store)];
      stored += 3 * SEGMENT;
      report(`${(target / 1e6).toFixed(1)}M spans stored (lake)`, runs);
      const stats = await store.db.withSnapshot((c) => store.lake.stats(c));
      const spanBytes = stats.partitions.filter((p) => p.kind === 'spans').reduce((a, p) => a + p.bytes, 0);
      const spanRows = stats.partitions.filter((p) => p.kind === 'spans').reduce((a, p) => a + p.rows, 0);
      console.log(`  lake: ${spanRows} span rows, ${(spanBytes / spanRows).toFixed(0)} bytes/span (zstd, ~1.8 KB of prose payload per span), ${seals} seals avg ${(sealMs / Math.max(1, seals)).toFixed(0)} ms (${((performance.now() - tSeal) / 1000).toFixed(0)} s to build)`);
      await store.sealAll();
    }
  } finally {
    await store.close(Date.now() + 30_000);
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
