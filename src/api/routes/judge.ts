import type Router from '@koa/router';
import { z } from 'zod';
import { accessOf } from '../../access/context.js';
import type { Evals } from '../../evals/index.js';
import { judgeTrace } from '../../evals/judge/judge-trace.js';
import { METRIC_NAMES } from '../../evals/judge/metrics.js';
import { PROVIDER_NAMES } from '../../evals/providers/types.js';
import { readJson } from '../json-body.js';
import { FailureSchema, UsageSchema } from './replay.js';

/** POST /api/traces/:traceId/judge (lookspan-http-api.txt: {metric?, model?, provider?, rubric?}). */
export const JudgeBody = z.strictObject({
  metric: z.string().trim().min(1).max(100).optional().describe(`a built-in metric (${METRIC_NAMES.join(', ')}; default relevance, correctness with expected), or the name of the rubric's score`),
  rubric: z.string().trim().min(1).max(8000).optional().describe('a custom criterion; the score is named by metric (default "rubric")'),
  model: z.string().trim().min(1).max(256).optional().describe('the judge model (default evals.judgeModel, else gpt-4o-mini / claude-haiku-4-5)'),
  provider: z.enum(PROVIDER_NAMES).optional(),
  spanId: z.string().min(1).max(128).optional().describe('the model call to judge (default: the trace\'s first)'),
  expected: z.string().max(32_000).optional().describe('the expected answer (correctness)'),
  threshold: z.number().min(0).max(1).optional().describe('score from which the verdict passes (default 0.5; toxicity passes at or below 1 - threshold)'),
});

export const JudgementSchema = z.object({
  id: z.string(),
  traceId: z.string(),
  spanId: z.string().nullable(),
  metric: z.string(),
  rubric: z.string().nullable(),
  status: z.enum(['ok', 'failed', 'error']).describe('failed: the judge answered but not with a valid verdict; error: the provider call failed'),
  provider: z.string(),
  model: z.string(),
  score: z.number().nullable(),
  passed: z.boolean().nullable(),
  reasoning: z.string().nullable(),
  scoreId: z.string().nullable().describe('the score written (source judge); null when the judgement failed'),
  error: FailureSchema.nullable(),
  usage: UsageSchema,
  latencyMs: z.number().nullable(),
  createdAt: z.string(),
});

/** LLM-as-judge over a trace's captured answer. */
export function mountJudge(router: Router, evals: Evals): void {
  router.post('/api/traces/:traceId/judge', async (ctx) => {
    const body = await readJson(ctx, JudgeBody, 'judge request');
    const j = await judgeTrace({ ...evals, judgeModel: evals.config.judgeModel }, accessOf(ctx).project, ctx.params.traceId, body);
    ctx.status = 201;
    ctx.body = j satisfies z.input<typeof JudgementSchema>;
  });
}
