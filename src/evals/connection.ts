import type { DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { plainRows } from '../analysis/rows.js';
import { SerialConnection } from '../store/duckdb/serial-connection.js';

/** The evaluation tables' own DuckDB connection (the loader owns the writer); changes run one at a time. */
export class EvalConnection extends SerialConnection {
  static async open(instance: DuckDBInstance): Promise<EvalConnection> {
    return new EvalConnection(await instance.connect());
  }

  /** Rows with BIGINT as number and lists as arrays. */
  async plain(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return plainRows((await this.conn.runAndReadAll(sql, params)).getRowObjects());
  }
}

/** Microseconds since the epoch as a DuckDB timestamp parameter expression. */
export const ts = (n: number) => `make_timestamp($${n}::BIGINT)`;
/** ISO 8601 UTC text of a timestamp column. */
export const iso = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%fZ')`;
export const nowUs = () => Date.now() * 1000;

/** JSON text of a stored JSON column, parsed; null stays null. */
export function json<T = unknown>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    return v as T;
  }
}
