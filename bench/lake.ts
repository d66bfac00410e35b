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
import { segmentMaker } from './llm-segment.js';

const TOTAL = Number(process.env.BENCH_LAKE_SPANS ?? 1_000_000);
const SEGMENT = 10_000;
const CHECKPOINTS = [100_000, TOTAL].filter((n, i, a) => n <= TOTAL && a.indexOf(n) === i);
const segment = segmentMaker(1_780_000_000_000_000);

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
