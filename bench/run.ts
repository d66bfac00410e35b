/**
 * `npm run bench`: the normalization and ingest benchmarks, one after the
 * other (`tsx bench/semconv.ts`, `tsx bench/ingest.ts`, `tsx bench/lake.ts`, `tsx bench/lake-read.ts`: the lake at 10M spans, then `tsx bench/live.ts`: live fan-out while ingesting, then `tsx bench/live-fanout.ts`: the fan-out's CPU per span in process, then `tsx bench/agent-reads.ts`: sessions, lineage and the catalog at 1M spans, then `tsx bench/read-aggregates.ts`: costs, stats, anomalies, SLOs and a 10k-trace CSV export at 1M spans), output passed
 * through. With `--fuzz`, the long ingest fuzz run instead (bench/fuzz.ts;
 * `--fuzz-seconds N`, default 120, and the other `--fuzz-*` options are
 * passed on). With `--quick`, only the ingest benchmark, a few seconds per
 * phase (the CI smoke run; its other options, `--results DIR`, passed on).
 *
 *   npm run bench
 *   npm run bench -- --quick
 *   npm run bench -- --fuzz --fuzz-seconds 60
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

function run(script: string, args: string[] = []): number {
  const r = spawnSync(TSX, [path.join('bench', script), ...args], { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (r.error) throw r.error;
  return r.status ?? (r.signal ? 128 : 1);
}

const argv = process.argv.slice(2);
let code: number;
if (argv.includes('--fuzz')) {
  code = run('fuzz.ts', argv.filter((a) => a !== '--fuzz'));
} else if (argv.includes('--quick')) {
  // The CI smoke run: the ingest benchmark for a few seconds per phase (bench/ingest.ts --quick).
  code = run('ingest.ts', argv);
} else {
  code = run('semconv.ts');
  if (code === 0) code = run('ingest.ts');
  if (code === 0) code = run('lake.ts');
  if (code === 0) code = run('lake-read.ts');
  if (code === 0) code = run('live.ts');
  if (code === 0) code = run('live-fanout.ts');
  if (code === 0) code = run('agent-reads.ts');
  if (code === 0) code = run('read-aggregates.ts');
}
process.exitCode = code;
