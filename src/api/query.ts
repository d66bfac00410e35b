import type { Context } from 'koa';
import { invalid } from '../errors.js';
import { toMicros } from '../receivers/native/time.js';

/** Longest query parameter value accepted (ids and names are far shorter; the ingest schemas cap text at 4096). */
export const MAX_QUERY_VALUE_LENGTH = 4096;

/** Time query parameters: 1970-01-01T00:00:00.000Z ... 9999-12-31T23:59:59.999Z, as epoch milliseconds. */
export const MIN_QUERY_TIME_MS = 0;
export const MAX_QUERY_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const TIME_RANGE = '1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z (epoch milliseconds 0 to 253402300799999)';

/** A value for an error message: long values are cut, so a 400 never echoes kilobytes back. */
const shown = (s: string) => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);

/** The first present parameter among `names` (first of repeated ones; empty means absent), with the name it came under. */
function param(ctx: Context, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const v = ctx.query[name];
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s !== '') {
      if (s.length > MAX_QUERY_VALUE_LENGTH) {
        throw invalid(`query parameter ${name} is longer than ${MAX_QUERY_VALUE_LENGTH} characters`, [{ path: name, message: `longer than ${MAX_QUERY_VALUE_LENGTH} characters` }]);
      }
      return { name, value: s };
    }
  }
  return undefined;
}

/** Reads a single string query parameter (first of repeated ones); empty means absent; longer than MAX_QUERY_VALUE_LENGTH is a 400. */
export function qs(ctx: Context, ...names: string[]): string | undefined {
  return param(ctx, names)?.value;
}

/** Integer query parameter within bounds, or a 400 naming it (huge, negative, fractional and non-numeric values included). */
export function qInt(ctx: Context, name: string, def: number, min: number, max: number): number {
  const s = qs(ctx, name);
  if (s === undefined) return def;
  if (!/^-?\d+$/.test(s)) throw invalid(`query parameter ${name} must be an integer, got ${shown(s)}`, [{ path: name, message: 'must be an integer' }]);
  const n = Number(s);
  // Number() of a long digit string is a huge float or Infinity: out of range either way.
  if (!(n >= min && n <= max)) throw invalid(`query parameter ${name} must be between ${min} and ${max}`, [{ path: name, message: `must be between ${min} and ${max}` }]);
  return n === 0 ? 0 : n; // -0 → 0
}

/**
 * Time query parameter as microseconds since the epoch, or a 400 naming it.
 * Accepts epoch milliseconds (digits only) or an ISO 8601 date/time
 * (`2025-01-31`, `2025-01-31T12:00:00.123456Z`, with an offset or without,
 * then UTC); anything else, and times outside 1970–9999, is refused.
 */
export function qTimeUs(ctx: Context, ...names: string[]): number | undefined {
  const p = param(ctx, names);
  return p === undefined ? undefined : parseTimeUs(p.name, p.value);
}

/** A time query parameter's value (ISO 8601 or epoch milliseconds) as microseconds since the epoch, or a 400 naming `name`. */
export function parseTimeUs(name: string, s: string): number {
  let us = NaN;
  if (/^-?\d+$/.test(s)) {
    us = Number(s) * 1000;
  } else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(s)) {
    // Without an offset Date.parse reads a date-time as local time; the API is UTC.
    const iso = /(Z|[+-]\d{2}:?\d{2})$/i.test(s) || !/[T ]/.test(s) ? s : `${s}Z`;
    us = toMicros(iso.replace(' ', 'T'));
  }
  if (Number.isNaN(us)) {
    throw invalid(`query parameter ${name} must be an ISO 8601 time or epoch milliseconds, got ${shown(s)}`, [{ path: name, message: 'invalid time' }]);
  }
  if (!(us >= MIN_QUERY_TIME_MS * 1000 && us <= MAX_QUERY_TIME_MS * 1000 + 999)) {
    throw invalid(`query parameter ${name} must be a time between ${TIME_RANGE}, got ${shown(s)}`, [{ path: name, message: `must be between ${TIME_RANGE}` }]);
  }
  return us === 0 ? 0 : us; // -0 → 0
}

/** Enumerated query parameter, or a 400 listing the allowed values. */
export function qEnum<T extends string>(ctx: Context, name: string, allowed: readonly T[]): T | undefined {
  const s = qs(ctx, name);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw invalid(`query parameter ${name} must be one of ${allowed.join(', ')}`, [{ path: name, message: `must be one of ${allowed.join(', ')}` }]);
  return s as T;
}
