import type { Context } from 'koa';
import { z } from 'zod';
import { invalid, LookspanError, type FieldProblem } from '../errors.js';
import { MAX_QUERY_VALUE_LENGTH, parseTimeUs } from './query.js';

/**
 * Query parameters described by zod schemas: the schema a route exports
 * (for the OpenAPI document) is the one that validates its requests. Values
 * arrive as strings; the helpers below coerce them and name the parameter in
 * every 400.
 */

/** A query parameter's first value (repeated parameters: the first; empty: absent). */
function firstValues(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.query)) {
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s !== '') out[k] = s;
  }
  return out;
}

/** Parses the query string with `schema`; each problem is a 400 naming its parameter. */
export function parseQuery<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  const r = schema.safeParse(firstValues(ctx));
  if (r.success) return r.data;
  const problems: FieldProblem[] = r.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.') || '(query)', message: i.message }));
  throw invalid(problems.map((p) => `query parameter ${p.path} ${p.message}`).join('; '), problems);
}

const text = () => z.string().max(MAX_QUERY_VALUE_LENGTH, { error: `must be at most ${MAX_QUERY_VALUE_LENGTH} characters` });

/** A free-text parameter (an id or a name). */
export const textParam = (description: string) => text().optional().describe(description);

/** An integer parameter within [min, max], `def` when absent. */
export const intParam = (min: number, max: number, def: number, description: string) =>
  text()
    .regex(/^-?\d+$/, { error: 'must be an integer' })
    .transform(Number)
    .pipe(z.number().min(min, { error: `must be between ${min} and ${max}` }).max(max, { error: `must be between ${min} and ${max}` }))
    .optional()
    .transform((v) => v ?? def)
    .describe(`${description} (${min}-${max}, default ${def})`);

/** A decimal parameter within [min, max], `def` when absent. */
export const numberParam = (min: number, max: number, def: number | undefined, description: string) =>
  text()
    .regex(/^-?(\d+(\.\d*)?|\.\d+)$/, { error: 'must be a number' })
    .transform(Number)
    .pipe(z.number().min(min, { error: `must be between ${min} and ${max}` }).max(max, { error: `must be between ${min} and ${max}` }))
    .optional()
    .transform((v) => v ?? def)
    .describe(`${description} (${min}-${max}${def === undefined ? '' : `, default ${def}`})`);

/** One of `values`. */
export const enumParam = <T extends string>(values: readonly [T, ...T[]], description: string) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` }).optional().describe(description);

/** A flag: 1/true or 0/false. */
export const flagParam = (description: string) =>
  z.enum(['1', 'true', '0', 'false'], { error: 'must be 1, true, 0 or false' })
    .optional()
    .transform((v) => v === '1' || v === 'true')
    .describe(description);

/** A time: ISO 8601 (UTC unless it carries an offset) or epoch milliseconds, as microseconds since the epoch. */
export const timeParam = (description: string) =>
  text()
    .transform((s, ctx) => {
      try {
        return parseTimeUs('time', s);
      } catch (err) {
        if (!(err instanceof LookspanError)) throw err;
        // parseTimeUs names the parameter itself; the issue's path names it here.
        ctx.issues.push({ code: 'custom', message: err.message.replace(/^query parameter time /, ''), input: s });
        return z.NEVER;
      }
    })
    .optional()
    .describe(`${description}: ISO 8601 (UTC without an offset) or epoch milliseconds`);

/** `project_id` (snake_case surfaces) with its camelCase alias: the query of routes that take nothing else. */
export const ProjectQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
});
