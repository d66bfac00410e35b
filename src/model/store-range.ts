/**
 * What the store can hold, as one function per field type. Receivers check
 * every numeric value against these before a span is acknowledged, so a
 * value DuckDB cannot cast is refused at the edge (a 400 or partial_success
 * naming the field) instead of being written to the WAL.
 */

/** Latest timestamp: OTLP's int64 nanoseconds (year 2262), in microseconds. */
export const MAX_TIMESTAMP_US = 9_223_372_036_854_775;
/** Latest timestamp in epoch milliseconds (native routes send milliseconds). */
export const MAX_TIMESTAMP_MS = Math.floor(MAX_TIMESTAMP_US / 1000);
/**
 * Largest token count: counts are BIGINT columns, and 2^53 - 1 is the largest
 * integer a WAL line (JSON) carries exactly; trace totals saturate at int64.
 */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** Longest duration, milliseconds: the whole timestamp range. */
export const MAX_DURATION_MS = MAX_TIMESTAMP_MS;

/** A timestamp in microseconds since the epoch, or why it cannot be stored. */
export function timestampProblem(us: number): string | null {
  if (!Number.isFinite(us)) return `timestamp must be a finite number, got ${us}`;
  if (!Number.isInteger(us)) return `timestamp must be whole microseconds, got ${us}`;
  if (us < 0) return `timestamp must not be before 1970-01-01, got ${us} µs`;
  if (us > MAX_TIMESTAMP_US) return `timestamp must not be after 2262-04-11 (int64 nanoseconds), got ${us} µs`;
  return null;
}

/** A token count (null means absent), or why it cannot be stored. */
export function countProblem(n: number | null): string | null {
  if (n === null) return null;
  if (!Number.isInteger(n)) return `must be a non-negative integer, got ${n}`;
  if (n < 0) return `must not be negative, got ${n}`;
  if (n > MAX_COUNT) return `must not exceed ${MAX_COUNT}, got ${n}`;
  return null;
}

/** A duration or cost (null means absent), or why it cannot be stored. */
export function doubleProblem(n: number | null, max = Number.MAX_VALUE): string | null {
  if (n === null) return null;
  if (!Number.isFinite(n)) return `must be a finite number, got ${n}`;
  if (n < 0) return `must not be negative, got ${n}`;
  if (n > max) return `must not exceed ${max}, got ${n}`;
  return null;
}
