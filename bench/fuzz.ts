/**
 * The ingest fuzz suite (test/fuzz) as a long, time-bounded run: every
 * generator in turn against one in-process Lookspan, each distinct
 * violation shrunk once to a small counterexample, then reported with its
 * requests and answers. Prints cases per second and every violation found.
 *
 *   npm run bench -- --fuzz [--fuzz-seconds 120] [--fuzz-seed N] [--fuzz-slice-seconds 10] [--fuzz-shrink-seconds 20]
 *
 * Exits 1 when a violation was found.
 */
import fc from 'fast-check';
import {
  type CaseM, caseOf, ingestRequest, mixedCase, otlpRequest, type QueryM, queryCase, toolRequest,
} from '../test/fuzz/arbitraries.js';
import { describe as describeModel } from '../test/fuzz/encode.js';
import { FuzzHarness, formatViolations, signature, timeBudget, type Violation } from '../test/fuzz/invariants.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name} needs a number`);
  return v;
}

const SECONDS = arg('fuzz-seconds', 120);
const SEED = arg('fuzz-seed', Date.now() % 1_000_000_000);
// Every target gets at least two slices of the run; shrinking a new violation gets up to 15% of it.
const SLICE_MS = arg('fuzz-slice-seconds', Math.max(3, Math.min(10, SECONDS / 14))) * 1000;
const SHRINK_MS = arg('fuzz-shrink-seconds', Math.max(5, Math.min(20, SECONDS * 0.15))) * 1000;

type Target =
  | { name: string; kind: 'case'; arb: fc.Arbitrary<CaseM> }
  | { name: string; kind: 'query'; arb: fc.Arbitrary<QueryM> };

const TARGETS: Target[] = [
  { name: 'otlp-http-protobuf', kind: 'case', arb: caseOf(otlpRequest({ transports: ['http-protobuf'] })) },
  { name: 'otlp-grpc', kind: 'case', arb: caseOf(otlpRequest({ transports: ['grpc'] })) },
  { name: 'otlp-http-json', kind: 'case', arb: caseOf(otlpRequest({ transports: ['http-json'] })) },
  { name: 'native-ingest', kind: 'case', arb: caseOf(ingestRequest()) },
  { name: 'native-tool-spans', kind: 'case', arb: caseOf(toolRequest()) },
  { name: 'mixed', kind: 'case', arb: mixedCase() },
  { name: 'query', kind: 'query', arb: queryCase },
];

interface Found {
  signature: string;
  count: number;
  firstTarget: string;
  /** The smallest counterexample shrinking reached, with what it caused. */
  model: string;
  violations: Violation[];
  seed: number;
}

async function main(): Promise<void> {
  const h = await FuzzHarness.start();
  const found = new Map<string, Found>();
  const counts = new Map<string, number>();
  const perTarget = new Map<string, { cases: number; ms: number }>();
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  let runs = 0;
  let shrinkRuns = 0;
  let slice = 0;
  let lastReport = t0;
  console.log(`fuzz: ${SECONDS} s, seed ${SEED}, targets ${TARGETS.map((t) => t.name).join(', ')}`);

  while (performance.now() < deadline) {
    const target = TARGETS[slice % TARGETS.length];
    const seed = SEED + slice;
    slice++;
    const sliceStart = performance.now();
    const known = new Set(found.keys());
    let inShrink = false;
    let smallest: { model: unknown; violations: Violation[] } | null = null;
    const predicate = async (m: unknown) => {
      runs++;
      if (inShrink) shrinkRuns++;
      const vs = target.kind === 'case' ? await h.runCase(m as CaseM) : await h.runQuery(m as QueryM);
      const t = perTarget.get(target.name) ?? { cases: 0, ms: 0 };
      t.cases++;
      perTarget.set(target.name, t);
      for (const v of vs) counts.set(signature(v), (counts.get(signature(v)) ?? 0) + 1);
      const fresh = vs.filter((v) => !known.has(signature(v)));
      if (fresh.length === 0) return true;
      inShrink = true;
      smallest = { model: m, violations: fresh };
      return false;
    };
    const search = Math.max(1000, Math.min(SLICE_MS, deadline - performance.now()));
    const details = await fc.check(
      target.kind === 'case' ? fc.asyncProperty(target.arb, predicate) : fc.asyncProperty(target.arb, predicate),
      { seed, numRuns: 1_000_000_000, plugins: [timeBudget(search, SHRINK_MS)] },
    );
    await h.quiesce();
    const t = perTarget.get(target.name) ?? { cases: 0, ms: 0 };
    t.ms += performance.now() - sliceStart;
    perTarget.set(target.name, t);
    if (details.failed && smallest) {
      const s = smallest as { model: unknown; violations: Violation[] };
      for (const v of s.violations) {
        const sig = signature(v);
        if (found.has(sig)) continue;
        found.set(sig, { signature: sig, count: 0, firstTarget: target.name, model: describeModel(s.model, 4000), violations: [v], seed });
        console.log(`\nNEW VIOLATION (${target.name}, seed ${seed}, after shrinking): ${sig}\n  ${formatViolations([v]).replace(/\n/g, '\n  ')}\n  model: ${describeModel(s.model, 1500)}`);
      }
    }
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      const secs = (now - t0) / 1000;
      console.log(`[${secs.toFixed(0)} s] ${runs} cases (${(runs / secs).toFixed(1)}/s, ${shrinkRuns} while shrinking), ${found.size} distinct violation(s), ${h.stats.restarts} server restart(s)`);
    }
  }

  const secs = (performance.now() - t0) / 1000;
  await h.dispose();
  console.log('\n=== fuzz summary ===');
  console.log(`ran ${secs.toFixed(1)} s, seed ${SEED}: ${runs} cases, ${(runs / secs).toFixed(1)} cases/s (${shrinkRuns} of them while shrinking)`);
  console.log(`requests ${h.stats.requests}, spans sent ${h.stats.spansSent}, acknowledged ${h.stats.spansAcked}, lookups ${h.stats.lookups}, queries ${h.stats.queries}, server restarts ${h.stats.restarts}`);
  for (const [name, t] of perTarget) console.log(`  ${name.padEnd(20)} ${String(t.cases).padStart(6)} cases  ${(t.cases / (t.ms / 1000 || 1)).toFixed(1).padStart(7)} cases/s`);
  for (const [route, r] of h.byRoute) console.log(`  ${route.padEnd(20)} ${r.requests} requests, ${r.sent} spans sent, ${r.acked} acknowledged, answers ${JSON.stringify(r.statuses)}`);
  if (found.size === 0) {
    console.log('no invariant violations');
    return;
  }
  console.log(`\n${found.size} distinct violation(s):`);
  for (const f of found.values()) {
    console.log(`\n- ${f.signature}   (seen ${counts.get(f.signature) ?? 0}x, first in ${f.firstTarget}, seed ${f.seed})`);
    console.log(`  ${formatViolations(f.violations).replace(/\n/g, '\n  ')}`);
    console.log(`  model: ${f.model}`);
  }
  process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
