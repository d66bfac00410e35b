import type Router from '@koa/router';
import { z } from 'zod';
import { accessOf } from '../../access/context.js';
import { notFound } from '../../errors.js';
import type { Evals } from '../../evals/index.js';
import { MAX_ITEMS_PER_DATASET } from '../../evals/datasets.js';
import { intParam, parseQuery } from '../params.js';
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

export const RunDetailQuery = z.object({
  limit: intParam(1, 1000, 100, 'items per page'),
  offset: intParam(0, MAX_ITEMS_PER_DATASET, 0, 'items skipped'),
});

export const RunDetailResponse = z.object({
  run: RunSchema,
  aggregates: RunAggregatesSchema.describe('over every item, whatever the page'),
  items: z.array(RunItemSchema).describe('a page of the items, in position order'),
  hasMore: z.boolean().describe('whether items follow this page'),
});

/** GET /api/runs/:id: a run's state, aggregates and per-item results (so far, while it runs). */
export function mountRuns(router: Router, evals: Evals): void {
  router.get('/api/runs/:id', async (ctx) => {
    const q = parseQuery(ctx, RunDetailQuery);
    const run = await evals.runs.get(ctx.params.id);
    if (!run || run.projectId !== accessOf(ctx).project) throw notFound(`run ${ctx.params.id} not found`);
    const [items, aggregates] = await Promise.all([evals.runs.items(run.id, q.limit + 1, q.offset), evals.runs.aggregates(run)]);
    ctx.body = { run, aggregates, items: items.slice(0, q.limit), hasMore: items.length > q.limit } satisfies z.input<typeof RunDetailResponse>;
  });
}
