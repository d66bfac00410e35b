import type { Context } from 'koa';
import { invalid } from '../errors.js';

/** Reads a single string query parameter (first of repeated ones); empty means absent. */
export function qs(ctx: Context, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = ctx.query[n];
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s !== '') return s;
  }
  return undefined;
}

/** Integer query parameter within bounds, or a 400 naming it. */
export function qInt(ctx: Context, name: string, def: number, min: number, max: number): number {
  const s = qs(ctx, name);
  if (s === undefined) return def;
  if (!/^-?\d+$/.test(s)) throw invalid(`query parameter ${name} must be an integer, got "${s}"`, [{ path: name, message: 'must be an integer' }]);
  const n = Number(s);
  if (n < min || n > max) throw invalid(`query parameter ${name} must be between ${min} and ${max}`, [{ path: name, message: `must be between ${min} and ${max}` }]);
  return n;
}

/** Time query parameter (ISO 8601 or epoch milliseconds) as microseconds, or a 400 naming it. */
export function qTimeUs(ctx: Context, ...names: string[]): number | undefined {
  const s = qs(ctx, ...names);
  if (s === undefined) return undefined;
  const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(ms)) throw invalid(`query parameter ${names[0]} must be an ISO 8601 time or epoch milliseconds, got "${s}"`, [{ path: names[0], message: 'invalid time' }]);
  return ms * 1000;
}

/** Enumerated query parameter, or a 400 listing the allowed values. */
export function qEnum<T extends string>(ctx: Context, name: string, allowed: readonly T[]): T | undefined {
  const s = qs(ctx, name);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw invalid(`query parameter ${name} must be one of ${allowed.join(', ')}`, [{ path: name, message: `must be one of ${allowed.join(', ')}` }]);
  return s as T;
}
