import { createHash } from 'node:crypto';
import { conflict } from '../errors.js';
import { iso, nowUs, ts, type EvalConnection } from './connection.js';

export type ScoreDataType = 'numeric' | 'boolean' | 'categorical';

/** A score as the API shows it: `value` numeric (booleans 1/0, categories null), `label` the category (or "true"/"false"). */
export interface Score {
  id: string;
  traceId: string;
  spanId: string | null;
  name: string;
  source: string;
  dataType: ScoreDataType;
  value: number | null;
  label: string | null;
  comment: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ScoreInput {
  projectId: string;
  traceId: string;
  spanId: string | null;
  name: string;
  source: string;
  value: number | boolean | string;
  comment: string | null;
  /** When the scored trace started (µs): scores leave with their trace's data at retention. */
  traceStartedUs: number;
}

/** Scores one trace may hold: names are free, so a client looping over new names is stopped here. */
export const MAX_SCORES_PER_TRACE = 1000;

/** A score's id follows from what it is about, so the same (trace, span, name, source) is the same row. */
export function scoreId(projectId: string, traceId: string, spanId: string | null, name: string, source: string): string {
  return `sc_${createHash('sha256').update([projectId, traceId, spanId ?? '', name, source].join('\u0000')).digest('hex').slice(0, 24)}`;
}

/** A value's type and its stored columns. */
export function typedValue(v: number | boolean | string): { dataType: ScoreDataType; value: number | null; label: string | null } {
  if (typeof v === 'boolean') return { dataType: 'boolean', value: v ? 1 : 0, label: v ? 'true' : 'false' };
  if (typeof v === 'number') return { dataType: 'numeric', value: v, label: null };
  return { dataType: 'categorical', value: null, label: v };
}

const COLUMNS = `id, trace_id, span_id, name, source, data_type, value, label, comment, ${iso('created_at')} AS created_at, ${iso('updated_at')} AS updated_at`;

function toScore(r: Record<string, unknown>): Score {
  return {
    id: String(r.id), traceId: String(r.trace_id), spanId: (r.span_id as string) ?? null, name: String(r.name), source: String(r.source),
    dataType: r.data_type as ScoreDataType, value: r.value === null ? null : Number(r.value), label: (r.label as string) ?? null,
    comment: (r.comment as string) ?? null, createdAt: String(r.created_at), updatedAt: String(r.updated_at),
  };
}

/**
 * The `scores` table (migration 12): a native DuckDB table, not the lake,
 * because a score is updated in place. It grows with what people and
 * judges score, not with ingest, is keyed by its id (one index lookup per
 * write), and leaves with its trace at retention (retention.ts).
 */
export class ScoreTable {
  constructor(private readonly conn: EvalConnection) {}

  /** Creates or updates the one score of (trace, span, name, source); `created` says which. */
  upsert(s: ScoreInput): Promise<{ score: Score; created: boolean }> {
    return this.conn.serial(async () => {
      const id = scoreId(s.projectId, s.traceId, s.spanId, s.name, s.source);
      const [had] = await this.conn.plain(
        'SELECT bool_or(id = $1) AS exists, count(*) AS n FROM scores WHERE project_id = $2 AND trace_id = $3', [id, s.projectId, s.traceId],
      );
      const existed = had.exists === true;
      if (!existed && Number(had.n) >= MAX_SCORES_PER_TRACE) {
        throw conflict(`trace ${s.traceId} holds ${MAX_SCORES_PER_TRACE} scores already; update an existing one (same name, source and span) instead`);
      }
      const t = typedValue(s.value);
      await this.conn.run(
        `INSERT INTO scores VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ${ts(11)}, ${ts(12)}, ${ts(12)})
         ON CONFLICT (id) DO UPDATE SET data_type = excluded.data_type, value = excluded.value, label = excluded.label,
           comment = excluded.comment, updated_at = excluded.updated_at`,
        [id, s.projectId, s.traceId, s.spanId, s.name, s.source, t.dataType, t.value, t.label, s.comment, s.traceStartedUs, nowUs()],
      );
      const row = (await this.conn.plain(`SELECT ${COLUMNS} FROM scores WHERE id = $1`, [id]))[0];
      return { score: toScore(row), created: !existed };
    });
  }

  /** A trace's scores, oldest first. */
  async ofTrace(projectId: string, traceId: string): Promise<Score[]> {
    const rows = await this.conn.plain(`SELECT ${COLUMNS} FROM scores WHERE project_id = $1 AND trace_id = $2 ORDER BY created_at, id`, [projectId, traceId]);
    return rows.map(toScore);
  }
}
