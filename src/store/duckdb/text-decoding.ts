import { createRequire } from 'node:module';

/**
 * @duckdb/node-api decodes every VARCHAR with one shared `new TextDecoder()`,
 * whose default (`ignoreBOM: false`) strips a leading U+FEFF from each
 * value: a span id or name that starts with a byte-order mark came back
 * without it, so the span could not be found under the id it was
 * acknowledged with (found by the fuzz suite). The library reads the decoder
 * through its module exports at every call, so swapping in one that keeps
 * the BOM fixes every read; test/store/text-decoding.test.ts fails if an
 * upgrade moves it.
 */
export function keepByteOrderMarks(): void {
  const require = createRequire(import.meta.url);
  const accessors = require('@duckdb/node-api/lib/vectors/dataAccessors.js') as { textDecoder?: InstanceType<typeof TextDecoder> };
  if (!(accessors.textDecoder instanceof TextDecoder)) {
    throw new Error('@duckdb/node-api no longer exposes dataAccessors.textDecoder; review src/store/duckdb/text-decoding.ts');
  }
  if (accessors.textDecoder.ignoreBOM) return;
  accessors.textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
}
