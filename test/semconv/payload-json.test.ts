import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toSemanticSpan } from '../../src/semconv/index.js';
import { type SemconvFixture, span } from './fixture-runner.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/semconv/', import.meta.url));

// docs/semconv.md promises that `input` and `output` hold JSON text whatever
// the dialect; consumers (exports, replays, the UI) parse them. Every fixture
// is checked, including with a tiny cap that forces the truncation marker.
describe('payload columns are always valid JSON', () => {
  for (const dir of readdirSync(FIXTURES)) {
    for (const file of readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.json'))) {
      it(`${dir}/${file}`, () => {
        const fx = JSON.parse(readFileSync(join(FIXTURES, dir, file), 'utf8')) as SemconvFixture;
        for (const payloadMaxBytes of [fx.opts?.payloadMaxBytes ?? 65536, 96]) {
          const s = toSemanticSpan(span(fx.input), { payloadMaxBytes });
          for (const text of [s.input, s.output]) {
            if (text !== null) expect(() => JSON.parse(text), text).not.toThrow();
          }
        }
      });
    }
  }
});
