import type { DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { SerialConnection as StoreSerialConnection } from '../store/duckdb/serial-connection.js';
import { queryRows } from '../analysis/rows.js';

/** The alerting tables' serial connection (store/duckdb/serial-connection.ts), rows with BIGINT as numbers. */
export class SerialConnection extends StoreSerialConnection {
  static async open(instance: DuckDBInstance): Promise<SerialConnection> {
    return new SerialConnection(await instance.connect());
  }

  override rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return queryRows(this.conn, sql, params);
  }
}

/** ISO 8601 UTC with milliseconds, in SQL. */
export const isoMs = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

/** A JSON column read back as an object (DuckDB returns JSON as text). */
export function jsonColumn<T>(v: unknown, fallback: T): T {
  if (typeof v !== 'string') return (v as T) ?? fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
