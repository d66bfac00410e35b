/**
 * A bloom filter over the trace ids of one lake file, as each Tempo block
 * carries one: a trace lookup opens only the files whose filter may hold the
 * trace, so its cost follows the trace, not the number of files. Built in
 * JS when the file is written and stored as a BIT string in
 * `lake_trace_filters`, so membership is tested in SQL inside the reader's
 * own snapshot (a file and its filter appear in the same transaction).
 */

/** Hash functions per id; with 10 bits per id the false-positive rate is about 1 %. */
export const FILTER_HASHES = 7;
const BITS_PER_ID = 10;

/** Two independent 32-bit FNV-1a hashes of the id (double hashing derives the other positions). */
export function traceIdHashes(traceId: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < traceId.length; i++) {
    const c = traceId.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x01000193 + 0x9e3779b1) >>> 0;
  }
  // An odd step visits distinct positions for any filter size.
  return [h1, (h2 | 1) >>> 0];
}

export interface TraceFilter {
  /** Size in bits (a multiple of 8). */
  bits: number;
  hashes: number;
  /** Bit i is byte i >> 3, mask 0x80 >> (i & 7): the order DuckDB's BLOB → BIT cast gives. */
  bytes: Uint8Array;
}

export function buildTraceFilter(traceIds: readonly string[]): TraceFilter {
  const bits = Math.max(64, Math.ceil((traceIds.length * BITS_PER_ID) / 8) * 8);
  const bytes = new Uint8Array(bits / 8);
  for (const id of traceIds) {
    const [h1, h2] = traceIdHashes(id);
    for (let i = 0; i < FILTER_HASHES; i++) {
      const pos = (h1 + i * h2) % bits;
      bytes[pos >> 3] |= 0x80 >> (pos & 7);
    }
  }
  return { bits, hashes: FILTER_HASHES, bytes };
}

/**
 * SQL that is true when the filter in columns `bits`/`m`/`k` may hold the
 * id whose hashes are parameters `$h1` and `$h2` (true without a filter).
 */
export const mayHoldSql = (h1: string, h2: string) =>
  `(f.bits IS NULL OR list_bool_and([get_bit(f.bits, ((${h1}::BIGINT + i * ${h2}::BIGINT) % f.m)::INTEGER) = 1 FOR i IN range(f.k)]))`;
