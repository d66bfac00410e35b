import { randomBytes } from 'node:crypto';
import { DuckDBBlobValue, DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { buildTraceFilter, mayHoldSql, traceIdHashes } from '../../src/store/lake/trace-filter.js';

const ids = (n: number) => Array.from({ length: n }, () => randomBytes(16).toString('hex'));

describe('the per-file trace-id filter', () => {
  it('holds every id it was built from and rejects about 99 % of others', () => {
    const inside = ids(20_000);
    const f = buildTraceFilter(inside);
    const has = (id: string) => {
      const [h1, h2] = traceIdHashes(id);
      for (let i = 0; i < f.hashes; i++) {
        const pos = (h1 + i * h2) % f.bits;
        if ((f.bytes[pos >> 3] & (0x80 >> (pos & 7))) === 0) return false;
      }
      return true;
    };
    expect(inside.every(has)).toBe(true);
    const outside = ids(20_000).filter(has).length / 20_000;
    expect(outside).toBeLessThan(0.02);
  });

  it('answers the same in SQL (inside a DuckDB snapshot) as it was built in JS', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const inside = ids(500);
      const f = buildTraceFilter(inside);
      await conn.run('CREATE TABLE f (m BIGINT, k INTEGER, bits BIT)');
      await conn.run('INSERT INTO f VALUES ($1, $2, $3::BLOB::BIT)', [f.bits, f.hashes, new DuckDBBlobValue(f.bytes)]);
      const sqlHas = async (id: string) => {
        const [h1, h2] = traceIdHashes(id);
        return (await conn.runAndReadAll(`SELECT ${mayHoldSql('$1', '$2')} FROM f`, [h1, h2])).getRows()[0][0] === true;
      };
      for (const id of inside.slice(0, 100)) expect(await sqlHas(id)).toBe(true);
      let hits = 0;
      for (const id of ids(300)) if (await sqlHas(id)) hits++;
      expect(hits).toBeLessThan(15);
      // No filter row (a file written before filters existed) always may hold the trace.
      await conn.run('DELETE FROM f');
      await conn.run('INSERT INTO f VALUES (NULL, NULL, NULL)');
      expect(await sqlHas(ids(1)[0])).toBe(true);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });
});
