import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { MERGED_TRACES } from '../store/lake/relations.js';
import { queryRows } from './rows.js';
import { isoDate } from './window.js';

/**
 * Newest-first searches whose cost follows the page, not the history.
 *
 * A trace's summary is merged from partial rows (one hot, one per seal),
 * each starting with its own first span (and filed under that span's
 * date). A trace whose true start is at time B or later has every part
 * starting at B or later, so the parts starting ≥ B merge into exact
 * summaries for exactly those traces. The search therefore merges only the
 * newest parts first (hive pruning on the date skips older days unopened,
 * row-group statistics on the start skip the rest of the bound's day) and
 * widens the window, doubling its length, until the page is full or the
 * oldest part is inside. A trace that started before B but also has a part
 * starting ≥ B shows up in the window with a too-late start; one probe by
 * trace id into the older parts finds such traces and drops them (they
 * are found, exactly merged, once the window reaches their first part).
 * The first window is sized from the catalog's part count for about twice
 * the rows the page needs, so a page usually takes one window.
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
  /** Bounds on the trace start (µs), to skip parts that cannot hold a match. */
  fromUs?: number;
  toUs?: number;
  /** Rows wanted after skipping `offset`. */
  limit: number;
  offset: number;
}


/** The project's trace parts: how many, and the earliest and latest start (catalog and hot rows only; no lake file is opened). */
export async function partRange(conn: DuckDBConnection, projectId: string): Promise<{ parts: number; firstUs: number; lastUs: number } | null> {
  const rows = await queryRows(conn, `
    SELECT sum(n)::BIGINT AS parts, epoch_us(min(lo)) AS first_us, epoch_us(max(hi)) AS last_us FROM (
      SELECT sum(rows) AS n, min(min_started_at) AS lo, max(max_started_at) AS hi FROM lake_files WHERE kind = 'traces' AND project_id = $1
      UNION ALL SELECT count(*), min(started_at), max(started_at) FROM traces WHERE project_id = $1)`, [projectId]);
  const r = rows[0];
  if (r === undefined || r.first_us === null || r.first_us === undefined) return null;
  return { parts: Number(r.parts), firstUs: Number(r.first_us), lastUs: Number(r.last_us) };
}

/** The condition on trace parts starting at or after `boundUs` (the date first, for hive pruning). */
export const partsSince = (boundUs: number, add: (v: DuckDBValue) => string) =>
  `date >= ${add(isoDate(boundUs))} AND started_at >= make_timestamp(${add(boundUs)}::BIGINT)`;

/** The condition on trace parts starting before `boundUs`. */
export const partsBefore = (boundUs: number, add: (v: DuckDBValue) => string) =>
  `date <= ${add(isoDate(boundUs))} AND started_at < make_timestamp(${add(boundUs)}::BIGINT)`;

/** Trace ids among `ids` with a part starting before `boundUs`. */
export async function startedEarlier(conn: DuckDBConnection, projectId: string, boundUs: number, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { params, add } = paramList([projectId]);
  const before = partsBefore(boundUs, add);
  const marks = ids.map((id) => add(id)).join(', ');
  const rows = await queryRows(conn,
    `SELECT DISTINCT trace_id FROM all_trace_parts WHERE project_id = $1 AND ${before} AND trace_id IN (${marks})`, params);
  return new Set(rows.map((r) => String(r.trace_id)));
}

/** What the driver needs from one kind of newest-first search. */
export interface WindowSearch<R> {
  projectId: string;
  fromUs?: number;
  toUs?: number;
  limit: number;
  offset: number;
  /** Trace parts a row is made of, on average (sizes the first window; default 1). */
  partsPerRow?: number;
  /**
   * Up to `limit` rows, newest first, merged from the parts starting at or
   * after `boundUs` (every part when `boundUs` is null: the window holds
   * the oldest part).
   */
  fetch(boundUs: number | null, limit: number): Promise<R[]>;
  /** Rows among `rows` that started before `boundUs` (they show up in the window with a too-late start). */
  startedBefore(boundUs: number, rows: R[]): Promise<Set<R>>;
}

const MINUTE_US = 60_000_000;

/** Runs a newest-first search over widening windows; returns the page and whether more rows follow it. */
export async function windowSearch<R>(conn: DuckDBConnection, q: WindowSearch<R>): Promise<{ rows: R[]; hasMore: boolean }> {
  const need = q.offset + q.limit + 1;
  const range = await partRange(conn, q.projectId);
  // A start inside [from, to] needs a part starting inside it.
  if (range === null || q.toUs !== undefined && q.toUs < range.firstUs || q.fromUs !== undefined && q.fromUs > range.lastUs) {
    return { rows: [], hasMore: false };
  }
  const top = Math.min(q.toUs ?? Infinity, range.lastUs);
  // About twice the parts the page needs, at the history's average rate (a minute at least).
  const rate = range.parts / Math.max(1, range.lastUs - range.firstUs);
  let width = Math.max(MINUTE_US, Math.ceil((2 * need * (q.partsPerRow ?? 1)) / Math.max(rate, 1e-12)));
  for (;; width *= 2) {
    let bound: number | null = top - width;
    // The window holds the oldest part: merge every part, nothing older to probe.
    if (bound <= range.firstUs && (q.fromUs === undefined || q.fromUs <= range.firstUs)) bound = null;
    // Nothing before `from` can match: the window stops there (traces that started earlier are still probed for).
    else if (q.fromUs !== undefined && bound <= q.fromUs) bound = q.fromUs;
    const last = bound === null || bound === q.fromUs;
    let limit = need;
    for (;;) {
      const rows = await q.fetch(bound, limit);
      const early = bound === null ? new Set<R>() : await q.startedBefore(bound, rows);
      const kept = rows.filter((r) => !early.has(r));
      const exhausted = rows.length < limit;
      if (kept.length >= need || bound === null || last && exhausted) {
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

/** The trace parts of a window as a CTE body: parts starting at or after `boundUs` (every part when null). */
export const windowParts = (boundUs: number | null, add: (v: DuckDBValue) => string) => boundUs === null
  ? `SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1`
  : `SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND ${partsSince(boundUs, add)}`;

/**
 * The semi-join of `spanWhere` as a condition on merged traces: spans that
 * started at or after the window's bound (and `fromUs`) only.
 */
export function spanSemiJoin(spanWhere: string, boundUs: number | null, fromUs: number | undefined, add: (v: DuckDBValue) => string): string {
  const since = Math.max(boundUs ?? -Infinity, fromUs ?? -Infinity);
  const cond = since === -Infinity ? '' : ` AND started_at >= make_timestamp(${add(since)}::BIGINT)`;
  return `trace_id IN (SELECT trace_id FROM all_spans WHERE project_id = $1 AND (${spanWhere})${cond})`;
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
         SELECT trace_id, epoch_us(merged.started_at) AS start_us FROM merged WHERE ${where}
         ORDER BY merged.started_at DESC, trace_id LIMIT ${add(limit)}`,
        params);
    },
    startedBefore: async (bound, rows) => {
      const early = await startedEarlier(conn, q.projectId, bound, rows.map((r) => String(r.trace_id)));
      return new Set(rows.filter((r) => early.has(String(r.trace_id))));
    },
  });
  if (page.rows.length === 0) return { rows: [], hasMore: page.hasMore };
  // Every part of a page trace starts no earlier than the trace: older parts stay unread.
  const { params, add } = paramList([q.projectId]);
  const since = partsSince(Math.min(...page.rows.map((r) => Number(r.start_us))), add);
  const ids = page.rows.map((r) => add(String(r.trace_id))).join(', ');
  const rows = await queryRows(conn,
    `WITH parts AS (SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND ${since} AND trace_id IN (${ids})),
       merged AS (${MERGED_TRACES})
     SELECT ${q.columns} FROM merged ORDER BY merged.started_at DESC, trace_id`,
    params);
  return { rows, hasMore: page.hasMore };
}
