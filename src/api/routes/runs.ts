import type Router from '@koa/router';
import { z } from 'zod';
import { accessOf } from '../../access/context.js';
import { notFound } from '../../errors.js';
import type { Evals } from '../../evals/index.js';
import { aggregates } from '../../evals/runs/summary.js';
import { FailureSchema, UsageSchema } from './replay.js';

export const RunSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  datasetId: z.string(),
  status: z.enum(['queued', 'running', 'completed', 'interrupted']).describe('interrupted: the server stopped or restarted before every item was evaluated'),
  provider: z.string(),
  model: z.string(),
  metric: z.string(),
  judge: z.object({ provider: z.string(), model: z.string(), rubric: z.string().nullable() }).nullable(),
  passThreshold: z.number(),
  concurrency: z.number().int(),
  total: z.number().int(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});

export const RunItemSchema = z.object({
  itemId: z.string(),
  position: z.number().int(),
  status: z.enum(['pending', 'running', 'done', 'error', 'interrupted']),
  output: z.string().nullable(),
  score: z.number().nullable(),
  passed: z.boolean().nullable(),
  reasoning: z.string().nullable(),
  error: FailureSchema.nullable(),
  usage: UsageSchema.describe('the model call and the judge call together'),
  latencyMs: z.number().nullable().describe('the model call\'s'),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});

export const RunAggregatesSchema = z.object({
  progress: z.object({
    total: z.number().int(), pending: z.number().int(), running: z.number().int(), done: z.number().int(), errors: z.number().int(),
    interrupted: z.number().int(), fraction: z.number().describe('items finished (done, error or interrupted) / total'),
  }),
  passed: z.number().int(),
  failed: z.number().int(),
  passRate: z.number().nullable().describe('passed / items with a verdict'),
  meanScore: z.number().nullable(),
  costUsd: z.number().nullable(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  latencyMs: z.object({ mean: z.number().nullable(), p50: z.number().nullable(), p95: z.number().nullable() }),
});

export const RunDetailResponse = z.object({ run: RunSchema, aggregates: RunAggregatesSchema, items: z.array(RunItemSchema) });

/** GET /api/runs/:id: a run's state, aggregates and per-item results (so far, while it runs). */
export function mountRuns(router: Router, evals: Evals): void {
  router.get('/api/runs/:id', async (ctx) => {
    const run = await evals.runs.get(ctx.params.id);
    if (!run || run.projectId !== accessOf(ctx).project) throw notFound(`run ${ctx.params.id} not found`);
    const items = await evals.runs.items(run.id);
    ctx.body = { run, aggregates: aggregates(run, items), items } satisfies z.input<typeof RunDetailResponse>;
  });
}
