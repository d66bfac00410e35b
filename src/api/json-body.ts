import type { Context } from 'koa';
import type { z } from 'zod';
import { LookspanError } from '../errors.js';
import { readBody } from '../receivers/body.js';
import { parseJsonBody, parseOrThrow } from '../receivers/native/validate.js';

/** Request bodies of the administration routes are a few hundred bytes; anything near this is not one. */
const LIMITS = { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 64 * 1024 };

/** Reads a small JSON body and validates it with `schema` (415 for another Content-Type, 400 naming every bad field). */
export async function readJson<S extends z.ZodType>(ctx: Context, schema: S, what: string): Promise<z.output<S>> {
  const type = ctx.get('content-type');
  if (type !== '' && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
  const raw = await readBody(ctx.req, LIMITS);
  return parseOrThrow(schema, raw.length === 0 ? {} : parseJsonBody(raw), what) as z.output<S>;
}
