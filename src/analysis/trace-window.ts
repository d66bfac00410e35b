import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { MERGED_TRACES } from '../store/lake/relations.js';
import { queryRows } from './rows.js';

/**
 * Newest-first trace search whose cost follows the page, not the history.
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
 */
export interface WindowQuery {
  projectId: string;
  /** Columns selected from the merged summaries (no parameters). */
  columns: string;
  /** Condition on the merged summaries, with `$1…` parameters in `params` ($1 must be the project id). */
  where: string;
  params: DuckDBValue[];
  /** Bounds on the trace start (µs), to skip dates that cannot hold a match. */
  fromUs?: number;
  toUs?: number;
  /** Rows wanted after skipping `offset`. */
  limit: number;
  offset: number;
}

const isoDate = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);

/** Dates that hold trace parts of the project, newest first (catalog and hot rows only; no lake file is opened). */
async function partDates(conn: DuckDBConnection, projectId: string): Promise<string[]> {
  const rows = await queryRows(conn, `
    SELECT DISTINCT date FROM (
      SELECT date FROM lake_files WHERE kind = 'traces' AND project_id = $1
      UNION ALL SELECT strftime(started_at, '%Y-%m-%d') FROM traces WHERE project_id = $1)
    ORDER BY date DESC`, [projectId]);
  return rows.map((r) => String(r.date));
}

/** Trace ids among `ids` with a part dated before `date`. */
async function startedEarlier(conn: DuckDBConnection, projectId: string, date: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const marks = ids.map((_, i) => `$${i + 3}`).join(', ');
  const rows = await queryRows(conn,
    `SELECT DISTINCT trace_id FROM all_trace_parts WHERE project_id = $1 AND date < $2 AND trace_id IN (${marks})`,
    [projectId, date, ...ids]);
  return new Set(rows.map((r) => String(r.trace_id)));
}

/** The page of merged trace summaries, newest first, and whether more rows follow it. */
export async function newestTraces(conn: DuckDBConnection, q: WindowQuery): Promise<{ rows: Record<string, unknown>[]; hasMore: boolean }> {
  const need = q.offset + q.limit + 1;
  const all = await partDates(conn, q.projectId);
  const oldest = all[all.length - 1];
  // Window bounds worth trying: dates that can hold a trace start inside [from, to].
  const fromDate = q.fromUs === undefined ? undefined : isoDate(q.fromUs);
  const toDate = q.toUs === undefined ? undefined : isoDate(q.toUs);
  const bounds = all.filter((d) => (toDate === undefined || d <= toDate) && (fromDate === undefined || d >= fromDate));
  // A trace starting inside [from, to] has its first part dated inside it: no such date, no such trace.
  if (bounds.length === 0) return { rows: [], hasMore: false };
  const n = q.params.length;
  for (let width = 1; ; width *= 2) {
    const idx = Math.min(width, bounds.length) - 1;
    // The window reached the oldest date: merge every part, nothing older to probe.
    const bound = bounds[idx] === oldest ? null : bounds[idx];
    const parts = bound === null
      ? `SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1`
      : `SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND date >= $${n + 3}`;
    let limit = need;
    for (;;) {
      const rows = await queryRows(conn,
        `WITH parts AS (${parts}), merged AS (${MERGED_TRACES})
         SELECT ${q.columns} FROM merged WHERE ${q.where} ORDER BY started_at DESC, trace_id LIMIT $${n + 1} OFFSET $${n + 2}`,
        [...q.params, limit, 0, ...(bound === null ? [] : [bound])]);
      const early = bound === null ? new Set<string>() : await startedEarlier(conn, q.projectId, bound, rows.map((r) => String(r.trace_id)));
      const kept = rows.filter((r) => !early.has(String(r.trace_id)));
      const exhausted = rows.length < limit;
      if (kept.length >= need || bound === null || idx === bounds.length - 1 && exhausted) {
        return { rows: kept.slice(q.offset, q.offset + q.limit), hasMore: kept.length > q.offset + q.limit };
      }
      // Rows dropped as earlier-started traces: ask the same window for as many more.
      if (!exhausted && early.size > 0) {
        limit += early.size;
        continue;
      }
      break;
    }
  }
}
