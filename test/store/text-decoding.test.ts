import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { keepByteOrderMarks } from '../../src/store/duckdb/text-decoding.js';

describe('DuckDB text decoding', () => {
  it('returns a leading U+FEFF as stored', async () => {
    keepByteOrderMarks();
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT '\ufeffbom' AS a, length('\ufeffbom') AS n`)).getRows();
      expect(rows[0][0]).toBe('\ufeffbom');
      expect(Number(rows[0][1])).toBe(4);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });
});
