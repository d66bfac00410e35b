import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { OtlpLogInput } from '../../../src/model/otlp-log.js';
import { toLogEvent } from '../../../src/semconv/log-events/index.js';

const DIR = fileURLToPath(new URL('../../fixtures/semconv/log-events/', import.meta.url));

/**
 * A fixture: `input` a partial OtlpLogInput (ids, times and empty maps
 * default), `expected` the event fields that must come out (toMatchObject,
 * so unlisted fields are free), `opts` when the default 64 KiB cap is not wanted.
 */
interface LogEventFixture {
  description?: string;
  input: Partial<OtlpLogInput>;
  expected: Record<string, unknown>;
  opts?: { payloadMaxBytes: number };
}

export function logRecord(partial: Partial<OtlpLogInput>): OtlpLogInput {
  return {
    resource: { 'service.name': 'svc' },
    scope: { name: '', version: '', attributes: {} },
    timeUs: 1_700_000_000_100_000,
    observedUs: 1_700_000_000_100_000,
    severityNumber: 9,
    severityText: '',
    body: null,
    attributes: {},
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    eventName: '',
    position: 0,
    ...partial,
  };
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
describe('log-events fixtures', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const fx = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as LogEventFixture;
    it(`${file}${fx.description ? `: ${fx.description}` : ''}`, () => {
      expect(toLogEvent(logRecord(fx.input), fx.opts ?? { payloadMaxBytes: 65536 })).toMatchObject(fx.expected);
    });
  }
});
