import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OtlpSpanInput } from '../../src/model/otlp-span.js';
import { toSemanticSpan } from '../../src/semconv/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/semconv/', import.meta.url));

/**
 * A fixture file: `input` is a partial OtlpSpanInput (ids, times and empty
 * lists default), `expected` the normalized fields that must come out
 * (compared with toMatchObject, so unlisted fields are free), and `opts` the
 * semconv options when the default cap (64 KiB) is not wanted.
 */
export interface SemconvFixture {
  description?: string;
  input: Partial<OtlpSpanInput>;
  expected: Record<string, unknown>;
  opts?: { payloadMaxBytes: number };
}

export function span(partial: Partial<OtlpSpanInput>): OtlpSpanInput {
  return {
    resource: { 'service.name': 'svc' },
    scope: { name: '', version: '', attributes: {} },
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: null,
    name: 'span',
    kind: 1,
    startUs: 1_700_000_000_000_000,
    endUs: 1_700_000_000_250_000,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
    ...partial,
  };
}

/** Registers one test per fixture file in test/fixtures/semconv/<dir>/. */
export function runFixtures(dir: string): void {
  const path = join(FIXTURES, dir);
  const files = readdirSync(path).filter((f) => f.endsWith('.json')).sort();
  describe(`${dir} fixtures`, () => {
    it('has fixtures', () => expect(files.length).toBeGreaterThan(0));
    for (const file of files) {
      const fx = JSON.parse(readFileSync(join(path, file), 'utf8')) as SemconvFixture;
      it(`${file}${fx.description ? `: ${fx.description}` : ''}`, () => {
        const out = toSemanticSpan(span(fx.input), fx.opts ?? { payloadMaxBytes: 65536 });
        expect(out).toMatchObject(fx.expected);
      });
    }
  });
}
