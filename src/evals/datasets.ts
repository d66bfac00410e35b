import { randomBytes } from 'node:crypto';
import { conflict, invalid, notFound } from '../errors.js';
import { iso, json, nowUs, ts, type EvalConnection } from './connection.js';

/** Config-like bounds: datasets are curated by people, not filled by traffic. */
export const MAX_DATASETS_PER_PROJECT = 1000;
export const MAX_ITEMS_PER_DATASET = 10_000;
/** Largest item input or expected answer, as JSON text. */
export const MAX_ITEM_JSON_BYTES = 128 * 1024;

export interface Dataset {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  itemCount: number;
  runCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DatasetItem {
  id: string;
  position: number;
  input: unknown;
  expected: unknown;
  metadata: Record<string, unknown> | null;
  sourceTraceId: string | null;
  sourceSpanId: string | null;
  createdAt: string;
}

export interface NewItem {
  input: unknown;
  expected?: unknown;
  metadata?: Record<string, unknown>;
  sourceTraceId?: string;
  sourceSpanId?: string;
}

const DATASET_COLUMNS = `d.id, d.project_id, d.name, d.description, ${iso('d.created_at')} AS created_at, ${iso('d.updated_at')} AS updated_at,
  (SELECT count(*) FROM eval_dataset_items i WHERE i.dataset_id = d.id) AS item_count,
  (SELECT count(*) FROM eval_runs r WHERE r.dataset_id = d.id) AS run_count`;
const ITEM_COLUMNS = `id, position, input, expected, metadata, source_trace_id, source_span_id, ${iso('created_at')} AS created_at`;

function toDataset(r: Record<string, unknown>): Dataset {
  return {
    id: String(r.id), projectId: String(r.project_id), name: String(r.name), description: (r.description as string) ?? null,
    itemCount: Number(r.item_count), runCount: Number(r.run_count), createdAt: String(r.created_at), updatedAt: String(r.updated_at),
  };
}

export function toItem(r: Record<string, unknown>): DatasetItem {
  return {
    id: String(r.id), position: Number(r.position), input: json(r.input), expected: json(r.expected), metadata: json(r.metadata),
    sourceTraceId: (r.source_trace_id as string) ?? null, sourceSpanId: (r.source_span_id as string) ?? null, createdAt: String(r.created_at),
  };
}

function jsonText(v: unknown, path: string): string {
  const t = JSON.stringify(v);
  if (Buffer.byteLength(t, 'utf8') > MAX_ITEM_JSON_BYTES) throw invalid(`${path} is larger than ${MAX_ITEM_JSON_BYTES} bytes as JSON`, [{ path, message: 'too large' }]);
  return t;
}

/** The `eval_datasets` and `eval_dataset_items` tables (migration 12): native DuckDB tables, bounded above. */
export class DatasetTable {
  constructor(private readonly conn: EvalConnection) {}

  create(projectId: string, name: string, description: string | null): Promise<Dataset> {
    return this.conn.serial(async () => {
      const taken = await this.conn.plain('SELECT id FROM eval_datasets WHERE project_id = $1 AND name = $2', [projectId, name]);
      if (taken.length > 0) throw conflict(`a dataset named "${name}" exists already in project ${projectId} (id ${String(taken[0].id)})`);
      const n = Number((await this.conn.plain('SELECT count(*) AS n FROM eval_datasets WHERE project_id = $1', [projectId]))[0].n);
      if (n >= MAX_DATASETS_PER_PROJECT) throw conflict(`project ${projectId} holds ${MAX_DATASETS_PER_PROJECT} datasets already`);
      const id = `ds_${randomBytes(8).toString('hex')}`;
      await this.conn.run(`INSERT INTO eval_datasets VALUES ($1, $2, $3, $4, ${ts(5)}, ${ts(5)})`, [id, projectId, name, description, nowUs()]);
      return (await this.get(projectId, id))!;
    });
  }

  async list(projectId: string): Promise<Dataset[]> {
    return (await this.conn.plain(`SELECT ${DATASET_COLUMNS} FROM eval_datasets d WHERE d.project_id = $1 ORDER BY d.created_at, d.id`, [projectId])).map(toDataset);
  }

  async get(projectId: string, id: string): Promise<Dataset | null> {
    const rows = await this.conn.plain(`SELECT ${DATASET_COLUMNS} FROM eval_datasets d WHERE d.project_id = $1 AND d.id = $2`, [projectId, id]);
    return rows.length === 0 ? null : toDataset(rows[0]);
  }

  /** The dataset or a 404 (datasets of other projects are unknown here). */
  async require(projectId: string, id: string): Promise<Dataset> {
    const d = await this.get(projectId, id);
    if (!d) throw notFound(`dataset ${id} not found`);
    return d;
  }

  /** Items in position order, one page. */
  async items(datasetId: string, limit = MAX_ITEMS_PER_DATASET, offset = 0): Promise<DatasetItem[]> {
    return (await this.conn.plain(`SELECT ${ITEM_COLUMNS} FROM eval_dataset_items WHERE dataset_id = $1 ORDER BY position LIMIT $2 OFFSET $3`, [datasetId, limit, offset])).map(toItem);
  }

  /** Every item's id and position, and whether it has an expected answer (what a run needs up front, without the payloads). */
  async keys(datasetId: string): Promise<Array<{ id: string; position: number; hasExpected: boolean }>> {
    const rows = await this.conn.plain('SELECT id, position, expected IS NOT NULL AS has_expected FROM eval_dataset_items WHERE dataset_id = $1 ORDER BY position', [datasetId]);
    return rows.map((r) => ({ id: String(r.id), position: Number(r.position), hasExpected: r.has_expected === true }));
  }

  /** One item, read when a run evaluates it (so a run holds the payloads of the items in flight only). */
  async item(datasetId: string, id: string): Promise<DatasetItem | null> {
    const rows = await this.conn.plain(`SELECT ${ITEM_COLUMNS} FROM eval_dataset_items WHERE dataset_id = $1 AND id = $2`, [datasetId, id]);
    return rows.length === 0 ? null : toItem(rows[0]);
  }

  /** Appends items after the last one, all or none. */
  addItems(datasetId: string, items: readonly NewItem[]): Promise<DatasetItem[]> {
    return this.conn.serial(async () => {
      const r = (await this.conn.plain('SELECT count(*) AS n, coalesce(max(position), -1) AS last FROM eval_dataset_items WHERE dataset_id = $1', [datasetId]))[0];
      if (Number(r.n) + items.length > MAX_ITEMS_PER_DATASET) throw conflict(`a dataset holds at most ${MAX_ITEMS_PER_DATASET} items (it has ${Number(r.n)})`);
      const texts = items.map((it, i) => ({
        input: jsonText(it.input, items.length > 1 ? `items[${i}].input` : 'input'),
        expected: it.expected === undefined ? null : jsonText(it.expected, items.length > 1 ? `items[${i}].expected` : 'expected'),
      }));
      const ids: string[] = [];
      const now = nowUs();
      await this.conn.run('BEGIN TRANSACTION');
      try {
        for (let i = 0; i < items.length; i++) {
          const id = `it_${randomBytes(8).toString('hex')}`;
          ids.push(id);
          await this.conn.run(`INSERT INTO eval_dataset_items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${ts(9)})`, [
            id, datasetId, Number(r.last) + 1 + i, texts[i].input, texts[i].expected,
            items[i].metadata === undefined ? null : JSON.stringify(items[i].metadata), items[i].sourceTraceId ?? null, items[i].sourceSpanId ?? null, now,
          ]);
        }
        await this.conn.run(`UPDATE eval_datasets SET updated_at = ${ts(2)} WHERE id = $1`, [datasetId, now]);
        await this.conn.run('COMMIT');
      } catch (err) {
        await this.conn.run('ROLLBACK').catch(() => {});
        throw err;
      }
      const rows = await this.conn.plain(`SELECT ${ITEM_COLUMNS} FROM eval_dataset_items WHERE dataset_id = $1 AND position > $2 ORDER BY position`, [datasetId, Number(r.last)]);
      return rows.map(toItem);
    });
  }
}
