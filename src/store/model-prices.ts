import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import type { ModelPriceOverride } from '../enrich/cost.js';

/** A local price as stored in `model_prices`; USD per million tokens. */
export interface ModelPriceRecord extends ModelPriceOverride {
  cache_read_per_mtok: number | null;
  cache_write_per_mtok: number | null;
  reasoning_per_mtok: number | null;
  created_at: string;
  updated_at: string;
}

/** The fields a create or update may set. */
export type ModelPriceFields = Partial<Omit<ModelPriceOverride, 'model_id'>>;

const PRICE_FIELDS = [
  'provider', 'input_per_mtok', 'output_per_mtok', 'cache_read_per_mtok', 'cache_write_per_mtok', 'reasoning_per_mtok',
] as const;

const ISO = '%Y-%m-%dT%H:%M:%S.%fZ';
const SELECT = `SELECT model_id, provider, input_per_mtok, output_per_mtok, cache_read_per_mtok, cache_write_per_mtok,
  reasoning_per_mtok, strftime(created_at, '${ISO}') AS created_at, strftime(updated_at, '${ISO}') AS updated_at
  FROM model_prices`;

/**
 * The `model_prices` table (local price overrides). The loader owns the
 * database's writer connection, so this table writes through a connection
 * of its own, opened once; changes are serialized so a check-then-write
 * (409 on create, 404 on update) cannot interleave with another change.
 * Model ids are unique case-insensitively, as the cost model matches them.
 */
export class ModelPriceTable {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<ModelPriceTable> {
    return new ModelPriceTable(await instance.connect());
  }

  /** Every override, ordered by model id. */
  async list(): Promise<ModelPriceRecord[]> {
    return (await queryRows(this.conn, `${SELECT} ORDER BY lower(model_id)`)).map(toRecord);
  }

  async get(modelId: string): Promise<ModelPriceRecord | null> {
    const rows = await queryRows(this.conn, `${SELECT} WHERE lower(model_id) = lower($1)`, [modelId]);
    return rows.length > 0 ? toRecord(rows[0]) : null;
  }

  /** Inserts a new override; null when one with that id exists already. */
  create(modelId: string, fields: ModelPriceFields & Pick<ModelPriceOverride, 'input_per_mtok' | 'output_per_mtok'>): Promise<ModelPriceRecord | null> {
    return this.serial(async () => {
      if ((await this.get(modelId)) !== null) return null;
      const now = Date.now() * 1000;
      await this.conn.run(
        `INSERT INTO model_prices (model_id, provider, input_per_mtok, output_per_mtok, cache_read_per_mtok,
           cache_write_per_mtok, reasoning_per_mtok, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, make_timestamp($8::BIGINT), make_timestamp($8::BIGINT))`,
        [
          modelId, fields.provider ?? null, fields.input_per_mtok, fields.output_per_mtok,
          fields.cache_read_per_mtok ?? null, fields.cache_write_per_mtok ?? null, fields.reasoning_per_mtok ?? null, now,
        ],
      );
      return this.get(modelId);
    });
  }

  /** Sets the given fields (undefined leaves a field as it is, null clears it); null when unknown. */
  update(modelId: string, fields: ModelPriceFields): Promise<ModelPriceRecord | null> {
    return this.serial(async () => {
      const current = await this.get(modelId);
      if (current === null) return null;
      const sets: string[] = [];
      const params: DuckDBValue[] = [current.model_id];
      for (const f of PRICE_FIELDS) {
        const v = fields[f];
        if (v === undefined) continue;
        params.push(v);
        sets.push(`${f} = $${params.length}`);
      }
      params.push(Date.now() * 1000);
      sets.push(`updated_at = make_timestamp($${params.length}::BIGINT)`);
      await this.conn.run(`UPDATE model_prices SET ${sets.join(', ')} WHERE model_id = $1`, params);
      return this.get(current.model_id);
    });
  }

  /** Deletes an override; false when unknown. */
  remove(modelId: string): Promise<boolean> {
    return this.serial(async () => {
      const current = await this.get(modelId);
      if (current === null) return false;
      await this.conn.run('DELETE FROM model_prices WHERE model_id = $1', [current.model_id]);
      return true;
    });
  }

  /** Closes the connection; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.closeSync();
  }

  private closed = false;

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

async function queryRows(conn: DuckDBConnection, sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql, params)).getRowObjects() as Record<string, unknown>[];
}

function toRecord(r: Record<string, unknown>): ModelPriceRecord {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    model_id: r.model_id as string,
    provider: (r.provider as string | null) ?? null,
    input_per_mtok: Number(r.input_per_mtok),
    output_per_mtok: Number(r.output_per_mtok),
    cache_read_per_mtok: num(r.cache_read_per_mtok),
    cache_write_per_mtok: num(r.cache_write_per_mtok),
    reasoning_per_mtok: num(r.reasoning_per_mtok),
    created_at: r.created_at as string,
    updated_at: r.updated_at as string,
  };
}
