/** Times as the API writes them: ISO 8601 UTC with up to microseconds (`2026-06-02T10:00:00.123456Z`). */

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Microseconds since the epoch of an API time (Date.parse alone keeps milliseconds only); NaN when unparseable. */
export function isoToMicros(s: string): number {
  const m = ISO.exec(s);
  if (!m) return Date.parse(s) * 1000;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  return ms * 1000 + Number(frac);
}

/** Milliseconds since the epoch (fractional) of an API time. */
export const isoToMs = (s: string): number => isoToMicros(s) / 1000;

/** 00:00 UTC of the day of `now`. */
export function dayStartUtc(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/** 00:00 UTC of the Monday of the ISO week of `now`. */
export function weekStartUtc(now: Date): Date {
  const day = dayStartUtc(now);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * 86_400_000);
}
