/** Normalization throughput over every semconv fixture shape (figures only). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OtlpSpanInput } from '../src/model/otlp-span.js';
import { toSemanticSpan } from '../src/semconv/index.js';
import { createCostModel } from '../src/enrich/cost.js';
import { type SemconvFixture, span } from '../test/semconv/fixture-runner.js';

const FIXTURES = fileURLToPath(new URL('../test/fixtures/semconv/', import.meta.url));
const spans: OtlpSpanInput[] = [];
for (const dir of readdirSync(FIXTURES)) {
  for (const f of readdirSync(join(FIXTURES, dir))) {
    if (f.endsWith('.json')) spans.push(span((JSON.parse(readFileSync(join(FIXTURES, dir, f), 'utf8')) as SemconvFixture).input));
  }
}
const opts = { payloadMaxBytes: 65536 };
const costs = createCostModel();
for (let i = 0; i < 20_000; i++) costs.price(toSemanticSpan(spans[i % spans.length], opts));
const n = 200_000;
let t0 = performance.now();
for (let i = 0; i < n; i++) toSemanticSpan(spans[i % spans.length], opts);
const semPerSec = n / ((performance.now() - t0) / 1000);
const sem = spans.map((s) => toSemanticSpan(s, opts));
t0 = performance.now();
for (let i = 0; i < n; i++) costs.price(sem[i % sem.length]);
const costPerSec = n / ((performance.now() - t0) / 1000);
console.log(`toSemanticSpan ${Math.round(semPerSec)} spans/s, price ${Math.round(costPerSec)} spans/s over ${spans.length} fixture shapes`);
