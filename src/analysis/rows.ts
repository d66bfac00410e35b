import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/** Runs a parameterized query and returns plain rows (BIGINT → number, JSON text kept as text). */
export async function queryRows(conn: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql, params);
  return plainRows(reader.getRowObjects());
}

/** DuckDB row objects with BIGINT as number and lists as arrays, in place. */
export function plainRows(rows: Record<string, DuckDBValue>[]): Record<string, unknown>[] {
  for (const row of rows) {
    for (const k of Object.keys(row)) {
      const v = row[k];
      if (typeof v === 'bigint') (row as Record<string, unknown>)[k] = Number(v);
      else if (v !== null && typeof v === 'object' && 'items' in (v as object)) {
        (row as Record<string, unknown>)[k] = (v as { items: unknown[] }).items.map((x) => (typeof x === 'bigint' ? Number(x) : x));
      }
    }
  }
  return rows as Record<string, unknown>[];
}

/** ISO 8601 UTC with microseconds, computed in SQL so no timestamp objects cross into JS. */
export const isoSql = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%fZ')`;

export function parseJsonColumn(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * A WHERE clause built from optional filters with positional parameters
 * only: `add('x = ?', v)` appends a condition when `v` is defined.
 */
export class Where {
  private readonly clauses: string[] = [];
  readonly params: DuckDBValue[] = [];

  constructor(first: string, value: DuckDBValue) {
    this.add(first, value);
  }

  add(clause: string, value: DuckDBValue | undefined): this {
    if (value === undefined || value === '') return this;
    this.params.push(value);
    this.clauses.push(clause.replace('?', `$${this.params.length}`));
    return this;
  }

  /** A condition without a parameter (a constant written by us). */
  raw(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  get sql(): string {
    return this.clauses.join(' AND ');
  }
}
