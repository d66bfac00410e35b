import { describe, expect, it } from 'vitest';
import { wellFormedJson } from '../../src/pipeline/well-formed.js';

describe('wellFormedJson', () => {
  it('replaces lone surrogates and keeps pairs, escaped backslashes and plain text', () => {
    const cases: Array<[string, string]> = [
      ['\ud800', '\ufffd'],
      ['a\udfffb', 'a\ufffdb'],
      ['😀', '😀'],
      ['\\ud800', '\\ud800'], // a literal backslash followed by text, not a surrogate
      ['\\\ud800', '\\\ufffd'],
      ['plain', 'plain'],
    ];
    for (const [input, expected] of cases) {
      const out = wellFormedJson(JSON.stringify({ s: input }));
      expect(JSON.parse(out).s).toBe(expected);
    }
  });
});
