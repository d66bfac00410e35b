import type { z } from 'zod';
import { invalid, type FieldProblem } from '../../errors.js';
import { DEFAULT_MAX_JSON_DEPTH, tooDeepField } from '../json-bounds.js';

/** Formats a zod path like `spans[3].usage.inputTokens`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

/** Parses with a schema; a failure becomes one 400 listing every bad field with its path. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems: FieldProblem[] = r.error.issues.slice(0, 100).map((i) => ({ path: formatPath(i.path), message: i.message }));
  const summary = problems.slice(0, 5).map((p) => `${p.path}: ${p.message}`).join('; ');
  throw invalid(`invalid ${what}: ${summary}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, problems);
}

/**
 * Parses a JSON body, as a 400 when it is not JSON or nests deeper than
 * `maxDepth` levels (checked iteratively, before any recursive code such as
 * zod or JSON.stringify sees the value; the 400 names the field).
 */
export function parseJsonBody(body: Buffer, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalid(`malformed JSON body: ${(err as Error).message}`);
  }
  const deep = tooDeepField(value, maxDepth);
  if (deep !== null) {
    const path = formatPath(deep);
    const message = `nested deeper than ${maxDepth} levels of JSON arrays/objects (limits.maxJsonDepth, counted from the top of the body)`;
    throw invalid(`invalid JSON body: ${path}: ${message}`, [{ path, message }]);
  }
  return value;
}
