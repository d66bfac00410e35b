import { invalid } from '../errors.js';

/** A time window of the read side: spans started in [fromUs, toUs), microseconds since the epoch. */
export interface TimeWindow {
  fromUs: number;
  toUs: number;
}

/** The named look-back windows the aggregate routes take (`window=`), in hours; `all` is the whole history. */
export const WINDOW_HOURS = { '1h': 1, '6h': 6, '24h': 24, '7d': 168, '30d': 720, '90d': 2160 } as const;
export type WindowName = keyof typeof WINDOW_HOURS | 'all';
export const WINDOW_NAMES: readonly [WindowName, ...WindowName[]] = ['1h', '6h', '24h', '7d', '30d', '90d', 'all'];

const HOUR_US = 3_600_000_000;

/**
 * The window of a request: explicit `fromUs`/`toUs` win; otherwise `to` is
 * now and `from` lies `hours` before it (`all`: the epoch). A window that
 * ends before it starts is a 400 naming `from`.
 */
export function resolveWindow(q: { fromUs?: number; toUs?: number; hours: number | 'all' }, nowUs: number): TimeWindow {
  const toUs = q.toUs ?? nowUs;
  const fromUs = q.fromUs ?? (q.hours === 'all' ? 0 : Math.max(0, toUs - q.hours * HOUR_US));
  if (fromUs >= toUs) throw invalid('query parameter from must be before to', [{ path: 'from', message: 'must be before to' }]);
  return { fromUs, toUs };
}

/** Hours of a named window; `all` stays `all`. */
export const windowHours = (w: WindowName): number | 'all' => (w === 'all' ? 'all' : WINDOW_HOURS[w]);

/** ISO 8601 UTC with microseconds. */
export function isoUs(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = String(Math.round(us - ms * 1000)).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, -1)}${micros}Z`;
}

/** The UTC date (YYYY-MM-DD) of a time; lake partitions are named by it. */
export const isoDate = (us: number) => new Date(Math.floor(us / 1000)).toISOString().slice(0, 10);

/**
 * The condition for the project's spans started inside the window, with
 * parameters $1 project id, $2 from and $3 to (µs). On lake files the
 * started_at bounds are checked against each row group's statistics, so
 * files and row groups outside the window are skipped unread.
 */
export const SPAN_WINDOW_SQL = 'project_id = $1 AND started_at >= make_timestamp($2::BIGINT) AND started_at < make_timestamp($3::BIGINT)';
