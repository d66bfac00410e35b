/** Figures, targets and the results file of bench/ingest.ts. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export function pct(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const k = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k` : 'n/a');
export const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'n/a');
export const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

/** One goal of issue 13 with the figure measured for it. */
export interface Target {
  name: string;
  value: number;
  unit: string;
  /** `>=` or `<` the threshold. */
  op: '>=' | '<' | '==';
  threshold: number;
  pass: boolean;
}

export function target(name: string, value: number, op: Target['op'], threshold: number, unit: string): Target {
  const pass = Number.isFinite(value) && (op === '>=' ? value >= threshold : op === '<' ? value < threshold : value === threshold);
  return { name, value, unit, op, threshold, pass };
}

export function printTargets(targets: readonly Target[]): void {
  console.log('\ntargets (issue 13)');
  for (const t of targets) {
    const v = t.unit === 'spans/s' ? k(t.value) : t.unit === 'ms' ? ms(t.value) : t.unit === 'bytes' ? mib(t.value)
      : t.unit === '%' ? `${t.value.toFixed(0)} %` : String(t.value);
    const th = t.unit === 'spans/s' ? k(t.threshold) : t.unit === 'ms' ? ms(t.threshold) : t.unit === 'bytes' ? mib(t.threshold)
      : t.unit === '%' ? `${t.threshold} %` : String(t.threshold);
    console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.name.padEnd(58)} ${v.padStart(10)}  (${t.op} ${th})`);
  }
}

/** Writes the run to `<dir>/<date>-<time>.json` (bench/results by default; `-quick` marks a --quick run). */
export async function writeResults(dir: string, results: object, quick: boolean): Promise<string> {
  await mkdir(dir, { recursive: true });
  const now = new Date();
  const name = `${now.toISOString().slice(0, 10)}${quick ? '-quick' : ''}-${now.toISOString().slice(11, 19).replace(/:/g, '')}.json`;
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}
