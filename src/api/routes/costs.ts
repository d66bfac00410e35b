import type Router from '@koa/router';
import { z } from 'zod';
import { costReport, type CostReport, type Usage } from '../../analysis/costs.js';
import { isoUs, resolveWindow, windowHours, WINDOW_NAMES } from '../../analysis/window.js';
import type { Database } from '../../store/index.js';
import { enumParam, intParam, parseQuery, textParam, timeParam } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';

const LIMIT = intParam(1, 1000, 100, 'entries per breakdown list, the most expensive first');

/** GET /api/costs/summary (lookspan-http-api.txt; camelCase). */
export const CostSummaryQuery = z.object({
  projectId: textParam('project (default: default)'),
  project_id: textParam('alias of projectId'),
  window: enumParam(WINDOW_NAMES, 'look-back window ending now (default 7d); from/to win'),
  from: timeParam('window start (inclusive)'),
  to: timeParam('window end (exclusive; default now)'),
  limit: LIMIT,
});

const usage = z.object({
  calls: z.number().int().describe('model calls: llm_call and embedding spans, and any span reporting tokens or a cost'),
  unpricedCalls: z.number().int().describe('calls with tokens but no price: their cost is missing from costUsd'),
  costUsd: z.number(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
  reasoningTokens: z.number().int(),
});

export const CostSummaryResponse = z.object({
  projectId: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  total: usage.extend({
    spans: z.number().int().describe('model calls and tool calls'), llmCalls: z.number().int().describe('model calls that are not tool spans'),
    toolCalls: z.number().int(), toolCostUsd: z.number().describe('cost reported by tool spans themselves'), llmCostUsd: z.number(),
  }),
  byModel: z.array(usage.extend({ model: z.string().nullable(), provider: z.string().nullable() })),
  byProvider: z.array(usage.extend({ provider: z.string().nullable() })),
  byAgent: z.array(usage.extend({ agent: z.string().nullable() })),
  hasMore: z.object({ byModel: z.boolean(), byProvider: z.boolean(), byAgent: z.boolean() }),
});

/** GET /api/costs/breakdown (langsight-api.txt; snake_case). */
export const CostBreakdownQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
  window: enumParam(['24h', '7d', '30d'], 'look-back window ending now (default 24h)'),
  hours: intParam(1, 720, 0, 'look-back window in hours, instead of window').transform((h) => (h === 0 ? undefined : h)),
  limit: LIMIT,
});

const snakeUsage = z.object({
  total_calls: z.number().int(),
  unpriced_calls: z.number().int(),
  total_input_tokens: z.number().int(),
  total_output_tokens: z.number().int(),
  total_cost_usd: z.number(),
});

export const CostBreakdownResponse = z.object({
  project_id: z.string(),
  window: z.string(),
  hours: z.number().int(),
  since: z.string(),
  until: z.string(),
  total_calls: z.number().int().describe('model calls plus tool calls'),
  llm_calls: z.number().int(),
  tool_calls: z.number().int(),
  unpriced_calls: z.number().int(),
  total_cost_usd: z.number(),
  llm_cost_usd: z.number(),
  tool_cost_usd: z.number(),
  total_input_tokens: z.number().int(),
  total_output_tokens: z.number().int(),
  by_model: z.array(snakeUsage.extend({ model_id: z.string().nullable(), provider: z.string().nullable() })),
  by_tool: z.array(z.object({
    server_name: z.string().nullable(), tool_name: z.string(), total_calls: z.number().int(), error_calls: z.number().int(),
    total_cost_usd: z.number(), cost_per_call_usd: z.number(), avg_latency_ms: z.number(),
  })),
  has_more: z.object({ by_model: z.boolean(), by_tool: z.boolean() }),
});

const snake = (u: Usage) => ({
  total_calls: u.calls, unpriced_calls: u.unpricedCalls, total_input_tokens: u.inputTokens, total_output_tokens: u.outputTokens, total_cost_usd: u.costUsd,
});

/** Cost per model, provider, agent and tool, from the stored spans (docs/costs.md). */
export function mountCosts(router: Router, db: Database): void {
  router.get('/api/costs/summary', async (ctx) => {
    const q = parseQuery(ctx, CostSummaryQuery);
    const projectId = q.projectId ?? q.project_id ?? DEFAULT_PROJECT;
    const w = resolveWindow({ fromUs: q.from, toUs: q.to, hours: windowHours(q.window ?? '7d') }, Date.now() * 1000);
    const r: CostReport = await db.withSnapshot((conn) => costReport(conn, { projectId, ...w, limit: q.limit }));
    ctx.body = {
      projectId,
      window: { from: isoUs(w.fromUs), to: isoUs(w.toUs) },
      total: r.total,
      byModel: r.byModel,
      byProvider: r.byProvider,
      byAgent: r.byAgent,
      hasMore: { byModel: r.hasMore.byModel, byProvider: r.hasMore.byProvider, byAgent: r.hasMore.byAgent },
    } satisfies z.input<typeof CostSummaryResponse>;
  });

  router.get('/api/costs/breakdown', async (ctx) => {
    const q = parseQuery(ctx, CostBreakdownQuery);
    const projectId = q.project_id ?? q.projectId ?? DEFAULT_PROJECT;
    const window = q.hours !== undefined ? `${q.hours}h` : q.window ?? '24h';
    const hours = q.hours ?? ({ '24h': 24, '7d': 168, '30d': 720 } as const)[q.window ?? '24h'];
    const w = resolveWindow({ hours }, Date.now() * 1000);
    // By model and by tool call, as the reference has it; per agent is GET /api/costs/summary's (its attribution triples the CPU).
    const r = await db.withSnapshot((conn) => costReport(conn, { projectId, ...w, limit: q.limit, byAgent: false }));
    ctx.body = {
      project_id: projectId,
      window,
      hours,
      since: isoUs(w.fromUs),
      until: isoUs(w.toUs),
      total_calls: r.total.spans,
      llm_calls: r.total.llmCalls,
      tool_calls: r.total.toolCalls,
      unpriced_calls: r.total.unpricedCalls,
      total_cost_usd: r.total.costUsd,
      llm_cost_usd: r.total.llmCostUsd,
      tool_cost_usd: r.total.toolCostUsd,
      total_input_tokens: r.total.inputTokens,
      total_output_tokens: r.total.outputTokens,
      by_model: r.byModel.map((m) => ({ model_id: m.model, provider: m.provider, ...snake(m) })),
      by_tool: r.byTool.map((t) => ({
        server_name: t.serverName, tool_name: t.toolName, total_calls: t.calls, error_calls: t.errors, total_cost_usd: t.costUsd,
        cost_per_call_usd: t.calls === 0 ? 0 : t.costUsd / t.calls, avg_latency_ms: t.avgLatencyMs,
      })),
      has_more: { by_model: r.hasMore.byModel, by_tool: r.hasMore.byTool },
    } satisfies z.input<typeof CostBreakdownResponse>;
  });
}
