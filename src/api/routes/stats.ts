import type Router from '@koa/router';
import { z } from 'zod';
import { MAX_STATS_DAYS, statsReport } from '../../analysis/stats.js';
import { isoUs, resolveWindow, windowHours, WINDOW_NAMES } from '../../analysis/window.js';
import type { Database } from '../../store/index.js';
import { enumParam, parseQuery, textParam, timeParam } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';
import { scoreAggregates } from '../../evals/score-stats.js';

/** GET /api/stats (lookspan-http-api.txt; camelCase). */
export const StatsQuery = z.object({
  projectId: textParam('project (default: default)'),
  project_id: textParam('alias of projectId'),
  window: enumParam(WINDOW_NAMES, 'look-back window ending now (default 7d); from/to win'),
  from: timeParam('window start (inclusive)'),
  to: timeParam('window end (exclusive; default now)'),
});

export const StatsResponse = z.object({
  projectId: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  totals: z.object({
    traces: z.number().int().describe('traces started in the window'),
    errorTraces: z.number().int(),
    sessions: z.number().int(),
    spans: z.number().int().describe('spans started in the window'),
    errorSpans: z.number().int(),
    llmCalls: z.number().int(),
    toolCalls: z.number().int(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    totalTokens: z.number().int(),
    costUsd: z.number(),
  }),
  errorRate: z.number().nullable().describe('error traces / traces; null without traces'),
  spanErrorRate: z.number().nullable(),
  latency: z.object({ p50Ms: z.number(), p95Ms: z.number(), p99Ms: z.number() }).nullable().describe('trace durations, linear interpolation'),
  costPerDay: z.array(z.object({
    date: z.string(), spans: z.number().int(), llmCalls: z.number().int(), errors: z.number().int(),
    inputTokens: z.number().int(), outputTokens: z.number().int(), costUsd: z.number(),
  })).describe(`UTC days with spans, oldest first; the newest ${MAX_STATS_DAYS} at most`),
  costPerDayHasMore: z.boolean(),
  scores: z.array(z.object({
    name: z.string(), source: z.string(), dataType: z.string(), count: z.number().int(),
    mean: z.number().nullable().describe('booleans as 1/0; null for categories'), labels: z.record(z.string(), z.number().int()),
  })).describe('posted and judged scores of the traces started in the window, per name, source and type (docs/evals.md)'),
});

/** Totals, error rate, latency percentiles and cost per day (docs/costs.md). */
export function mountStats(router: Router, db: Database): void {
  router.get('/api/stats', async (ctx) => {
    const q = parseQuery(ctx, StatsQuery);
    const projectId = q.projectId ?? q.project_id ?? DEFAULT_PROJECT;
    const w = resolveWindow({ fromUs: q.from, toUs: q.to, hours: windowHours(q.window ?? '7d') }, Date.now() * 1000);
    const s = await db.withSnapshot((conn) => statsReport(conn, { projectId, ...w }));
    const scores = await db.withSnapshot((conn) => scoreAggregates(conn, projectId, w.fromUs, w.toUs));
    ctx.body = {
      projectId,
      window: { from: isoUs(w.fromUs), to: isoUs(w.toUs) },
      totals: {
        traces: s.traces.total, errorTraces: s.traces.errors, sessions: s.traces.sessions,
        spans: s.spans.total, errorSpans: s.spans.errors, llmCalls: s.spans.llmCalls, toolCalls: s.spans.toolCalls,
        inputTokens: s.spans.inputTokens, outputTokens: s.spans.outputTokens, totalTokens: s.spans.inputTokens + s.spans.outputTokens,
        costUsd: s.spans.costUsd,
      },
      errorRate: s.traces.errorRate,
      spanErrorRate: s.spans.errorRate,
      latency: s.traces.latency,
      costPerDay: s.costPerDay,
      costPerDayHasMore: s.costPerDayHasMore,
      scores,
    } satisfies z.input<typeof StatsResponse>;
  });
}
