import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { MERGED_TRACES } from '../store/lake/relations.js';
import { queryRows } from './rows.js';

/**
 * Newest-first searches whose cost follows the page, not the history.
 *
 * A trace's summary is merged from partial rows (one hot, one per seal),
 * each filed under the date its own first span started. A trace whose true
 * start falls on date D or later has every part dated D or later, so the
 * parts dated ≥ D merge into exact summaries for exactly those traces.
 * The search therefore merges only the newest dates first (hive pruning
 * skips every older file unopened) and widens the window, doubling the
 * number of dates, until the page is full or no date is left. A trace that
 * started before D but also has a part dated ≥ D shows up in the window
 * with a too-late start; one probe by trace id into the older dates finds
 * such traces and drops them (they are found, exactly merged, once the
 * window reaches their first date).
 *
 * The same holds one level up for anything that starts with its earliest
 * trace (a session): `windowSearch` is the driver, `newestTraces` and the
 * session list (sessions.ts) its users.
 */
export interface WindowQuery {
  projectId: string;
  /** Columns selected from the merged summaries (no parameters). */
  columns: string;
  /** Condition on the merged summaries, with `$1…` parameters in `params` ($1 must be the project id). */
  where: string;
  params: DuckDBValue[];
  /**
   * Condition on spans (`all_spans` columns, parameters in `params`): only
   * traces with at least one matching span. The semi-join reads spans that
   * started inside the window only (a trace's spans start no earlier than
   * the trace), so it costs what the window costs.
   */
  spanWhere?: string;
  /** Bounds on the trace start (µs), to skip dates that cannot hold a match. */
  fromUs?: number;
  toUs?: number;
  /** Rows wanted after skipping `offset`. */
  limit: number;
  offset: number;
}

const isoDate = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);

/** Dates that hold trace parts of the project, newest first (catalog and hot rows only; no lake file is opened). */
export async function partDates(conn: DuckDBConnection, projectId: string): Promise<string[]> {
  const rows = await queryRows(conn, `
    SELECT DISTINCT date FROM (
      SELECT date FROM lake_files WHERE kind = 'traces' AND project_id = $1
      UNION ALL SELECT strftime(started_at, '%Y-%m-%d') FROM traces WHERE project_id = $1)
    ORDER BY date DESC`, [projectId]);
  return rows.map((r) => String(r.date));
}

/** Trace ids among `ids` with a part dated before `date`. */
export async function startedEarlier(conn: DuckDBConnection, projectId: string, date: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const marks = ids.map((_, i) => `$${i + 3}`).join(', ');
  const rows = await queryRows(conn,
    `SELECT DISTINCT trace_id FROM all_trace_parts WHERE project_id = $1 AND date < $2 AND trace_id IN (${marks})`,
    [projectId, date, ...ids]);
  return new Set(rows.map((r) => String(r.trace_id)));
}

/** What the driver needs from one kind of newest-first search. */
export interface WindowSearch<R> {
  projectId: string;
  fromUs?: number;
  toUs?: number;
  limit: number;
  offset: number;
  /**
   * Up to `limit` rows, newest first, merged from the parts dated ≥ `bound`
   * (every part when `bound` is null: the window reached the oldest date).
   */
  fetch(bound: string | null, limit: number): Promise<R[]>;
  /** Rows among `rows` that started before `bound` (they show up in the window with a too-late start). */
  startedBefore(bound: string, rows: R[]): Promise<Set<R>>;
}

/** Runs a newest-first search over widening date windows; returns the page and whether more rows follow it. */
export async function windowSearch<R>(conn: DuckDBConnection, q: WindowSearch<R>): Promise<{ rows: R[]; hasMore: boolean }> {
  const need = q.offset + q.limit + 1;
  const all = await partDates(conn, q.projectId);
  const oldest = all[all.length - 1];
  // Window bounds worth trying: dates that can hold a start inside [from, to].
  const fromDate = q.fromUs === undefined ? undefined : isoDate(q.fromUs);
  const toDate = q.toUs === undefined ? undefined : isoDate(q.toUs);
  const bounds = all.filter((d) => (toDate === undefined || d <= toDate) && (fromDate === undefined || d >= fromDate));
  // A start inside [from, to] has its first part dated inside it: no such date, no such row.
  if (bounds.length === 0) return { rows: [], hasMore: false };
  for (let width = 1; ; width *= 2) {
    const idx = Math.min(width, bounds.length) - 1;
    // The window reached the oldest date: merge every part, nothing older to probe.
    const bound = bounds[idx] === oldest ? null : bounds[idx];
    let limit = need;
    for (;;) {
      const rows = await q.fetch(bound, limit);
      const early = bound === null ? new Set<R>() : await q.startedBefore(bound, rows);
      const kept = rows.filter((r) => !early.has(r));
      const exhausted = rows.length < limit;
      if (kept.length >= need || bound === null || idx === bounds.length - 1 && exhausted) {
        return { rows: kept.slice(q.offset, q.offset + q.limit), hasMore: kept.length > q.offset + q.limit };
      }
      // Rows dropped as earlier-started: ask the same window for as many more.
      if (!exhausted && early.size > 0) {
        limit += early.size;
        continue;
      }
      break;
    }
  }
}

/** Parameters appended after a query's own: `add(v)` returns the placeholder of `v`. */
export function paramList(base: readonly DuckDBValue[]): { params: DuckDBValue[]; add: (v: DuckDBValue) => string } {
  const params = [...base];
  return { params, add: (v) => { params.push(v); return `$${params.length}`; } };
}

/** The trace parts of a window as a CTE body: parts dated ≥ `bound` (every part when null). */
export const windowParts = (bound: string | null, add: (v: DuckDBValue) => string) => bound === null
  ? `SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1`
  : `SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND date >= ${add(bound)}`;

/**
 * The semi-join of `spanWhere` as a condition on merged traces: spans that
 * started on or after the window's first date (and `fromUs`) only.
 */
export function spanSemiJoin(spanWhere: string, bound: string | null, fromUs: number | undefined, add: (v: DuckDBValue) => string): string {
  const since = [
    bound === null ? null : `started_at >= CAST(${add(bound)} AS TIMESTAMP)`,
    fromUs === undefined ? null : `started_at >= make_timestamp(${add(fromUs)}::BIGINT)`,
  ].filter((x) => x !== null);
  return `trace_id IN (SELECT trace_id FROM all_spans WHERE project_id = $1 AND (${spanWhere})${since.map((x) => ` AND ${x}`).join('')})`;
}

/**
 * The page of merged trace summaries, newest first, and whether more rows follow it.
 * The windows select ids only, so DuckDB computes just the aggregates the filters and
 * the order need; the full summaries are then merged for the page alone (4x cheaper
 * than merging every column of a 6k-part window, bench/lake-read.ts).
 */
export async function newestTraces(conn: DuckDBConnection, q: WindowQuery): Promise<{ rows: Record<string, unknown>[]; hasMore: boolean }> {
  const page = await windowSearch(conn, {
    projectId: q.projectId, fromUs: q.fromUs, toUs: q.toUs, limit: q.limit, offset: q.offset,
    fetch: (bound, limit) => {
      const { params, add } = paramList(q.params);
      const parts = windowParts(bound, add);
      const where = q.spanWhere === undefined ? q.where : `${q.where} AND ${spanSemiJoin(q.spanWhere, bound, q.fromUs, add)}`;
      return queryRows(conn,
        `WITH parts AS (${parts}), merged AS (${MERGED_TRACES})
         SELECT trace_id, strftime(merged.started_at, '%Y-%m-%d') AS first_date FROM merged WHERE ${where}
         ORDER BY merged.started_at DESC, trace_id LIMIT ${add(limit)}`,
        params);
    },
    startedBefore: async (bound, rows) => {
      const early = await startedEarlier(conn, q.projectId, bound, rows.map((r) => String(r.trace_id)));
      return new Set(rows.filter((r) => early.has(String(r.trace_id))));
    },
  });
  if (page.rows.length === 0) return { rows: [], hasMore: page.hasMore };
  // Every part of a page trace is dated no earlier than its start: older files stay unopened.
  const { params, add } = paramList([q.projectId]);
  const since = add(page.rows.reduce((m, r) => (String(r.first_date) < m ? String(r.first_date) : m), String(page.rows[0].first_date)));
  const ids = page.rows.map((r) => add(String(r.trace_id))).join(', ');
  const rows = await queryRows(conn,
    `WITH parts AS (SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND date >= ${since} AND trace_id IN (${ids})),
       merged AS (${MERGED_TRACES})
     SELECT ${q.columns} FROM merged ORDER BY merged.started_at DESC, trace_id`,
    params);
  return { rows, hasMore: page.hasMore };
}
