import type Router from '@koa/router';
import { z } from 'zod';
import { accessOf } from '../../access/context.js';
import type { Evals } from '../../evals/index.js';
import { traceStart } from '../../evals/trace-read.js';
import { readJson } from '../json-body.js';

/** Sources the server writes itself: a client cannot post as the judge or as OTel evaluation events. */
export const RESERVED_SOURCES = ['judge', 'otel'];

/** POST /api/traces/:traceId/scores (lookspan-http-api.txt: {name, value, comment?, source?}, plus spanId). */
export const ScoreBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  value: z.union([z.number().refine(Number.isFinite, { error: 'must be a finite number' }), z.boolean(), z.string().trim().min(1).max(200)])
    .describe('a number (numeric), true/false (boolean) or a label (categorical)'),
  comment: z.string().max(4096).optional(),
  source: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'must be 1-64 letters, digits, ".", "_", ":" or "-"' })
    .refine((s) => !RESERVED_SOURCES.includes(s.toLowerCase()), { error: `${RESERVED_SOURCES.join(' and ')} are written by Lookspan itself` })
    .optional().describe('who scored (default api); one score per trace, span, name and source, updated in place'),
  spanId: z.string().min(1).max(128).optional().describe('score one span of the trace rather than the whole trace'),
  dataType: z.enum(['numeric', 'boolean', 'categorical']).optional().describe('checked against the value when given'),
});

export const ScoreSchema = z.object({
  id: z.string(),
  traceId: z.string(),
  spanId: z.string().nullable(),
  name: z.string(),
  source: z.string(),
  dataType: z.enum(['numeric', 'boolean', 'categorical']),
  value: z.number().nullable().describe('the number; 1/0 for a boolean; null for a category'),
  label: z.string().nullable().describe('the category; "true"/"false" for a boolean; null for a number'),
  comment: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ScoreResponse = ScoreSchema.extend({ created: z.boolean().describe('false when an existing score was updated') });

const TYPE_OF = { number: 'numeric', boolean: 'boolean', string: 'categorical' } as const;

/** Scores attached to traces and spans; one per (trace, span, name, source), updated in place. */
export function mountScores(router: Router, evals: Evals): void {
  router.post('/api/traces/:traceId/scores', async (ctx) => {
    const body = await readJson(ctx, ScoreBody.superRefine((b, c) => {
      const actual = TYPE_OF[typeof b.value as keyof typeof TYPE_OF];
      if (b.dataType !== undefined && b.dataType !== actual) c.addIssue({ code: 'custom', path: ['dataType'], message: `is ${b.dataType} but the value is ${actual}` });
    }), 'score');
    const projectId = accessOf(ctx).project;
    const traceId = ctx.params.traceId;
    const startedUs = await traceStart(evals.db, projectId, traceId, body.spanId ?? null);
    const { score, created } = await evals.scores.upsert({
      projectId, traceId, spanId: body.spanId ?? null, name: body.name, source: body.source ?? 'api',
      value: body.value, comment: body.comment ?? null, traceStartedUs: startedUs,
    });
    // 200 for both: an upsert; `created` says which (the document has one success status per route).
    ctx.body = { ...score, created } satisfies z.input<typeof ScoreResponse>;
  });
}
