import type { DuckDBInstance } from '@duckdb/node-api';
import { SerialConnection } from '../store/duckdb/serial-connection.js';

/**
 * The access-control tables' own DuckDB connection (the loader owns the
 * writer): keys, projects, users, sessions, settings and the audit log are
 * small, config-like tables (they grow with people and keys, not with
 * spans), so they stay native DuckDB tables. Changes run one at a time, so
 * a check-then-write (409 on create, 404 on update) never interleaves
 * (SerialConnection).
 */
export class AccessTables extends SerialConnection {
  static async open(instance: DuckDBInstance): Promise<AccessTables> {
    return new AccessTables(await instance.connect());
  }
}

/** Microseconds since the epoch, as the tables' TIMESTAMP parameters take them (`make_timestamp($n::BIGINT)`). */
export const nowMicros = (nowMs = Date.now()) => Math.round(nowMs * 1000);

/** A TIMESTAMP column read as `epoch_us(col)` → ISO 8601 (null stays null). */
export function isoFromMicros(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return new Date(Number(v) / 1000).toISOString();
}
