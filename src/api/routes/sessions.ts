import type Router from '@koa/router';
import { z } from 'zod';
import type { Database } from '../../store/index.js';
import { HEALTH_TAGS } from '../../analysis/health-tags.js';
import { getSession, listSessions } from '../../analysis/sessions.js';
import { traceSummaries } from '../../analysis/traces.js';
import { notFound } from '../../errors.js';
import { enumParam, intParam, parseQuery, textParam, timeParam } from '../params.js';
import { DEFAULT_PROJECT, TraceSummarySchema } from './traces.js';

const first = <T>(...xs: (T | undefined)[]) => xs.find((x) => x !== undefined);

/** GET /api/sessions (lookspan-http-api.txt; camelCase). */
export const SessionListQuery = z.object({
  projectId: textParam('project (default: default)'),
  project_id: textParam('alias of projectId'),
  agent: textParam('sessions in which this agent has a span'),
  agentName: textParam('alias of agent'),
  userId: textParam('user id'),
  healthTag: enumParam(HEALTH_TAGS, 'health tag (docs/analysis.md)'),
  outcome: enumParam(['failed', 'clean'], 'failed: at least one failed span; clean: none'),
  from: timeParam('earliest session start (inclusive)'),
  to: timeParam('latest session start (inclusive)'),
  limit: intParam(1, 1000, 50, 'sessions per page'),
  offset: intParam(0, 1_000_000, 0, 'sessions skipped'),
});

export const SessionSummarySchema = z.object({
  id: z.string(),
  startedAt: z.string().describe('start of its first trace'),
  endedAt: z.string().describe('end of its last trace'),
  durationMs: z.number(),
  traceCount: z.number().int(),
  spanCount: z.number().int(),
  errorCount: z.number().int().describe('failed spans'),
  llmCallCount: z.number().int(),
  toolCallCount: z.number().int(),
  failedToolCalls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number().nullable().describe('sum of its traces\' costs; null when no span reported or priced one'),
  rootAgent: z.string().nullable().describe('the agent of its first trace'),
  userId: z.string().nullable(),
  agents: z.array(z.string()).describe('every agent with a span in it, by name'),
  servers: z.array(z.string()).describe('every MCP server its spans called, by name'),
  healthTag: z.enum(HEALTH_TAGS),
});

export const SessionListResponse = z.object({
  sessions: z.array(SessionSummarySchema).describe('newest first (by start)'),
  limit: z.number().int(),
  offset: z.number().int(),
  hasMore: z.boolean(),
});

export const SessionDetailQuery = z.object({
  projectId: textParam('project (default: default)'),
  project_id: textParam('alias of projectId'),
  traceLimit: intParam(1, 1000, 200, 'traces of the timeline returned'),
  traceOffset: intParam(0, 1_000_000, 0, 'traces of the timeline skipped'),
});

export const SessionAgentSchema = z.object({
  name: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  spanCount: z.number().int(),
  errorCount: z.number().int(),
  llmCallCount: z.number().int(),
  toolCallCount: z.number().int(),
});

export const SessionDetailResponse = SessionSummarySchema.extend({
  agentTimeline: z.array(SessionAgentSchema).describe('each agent of the session, in order of its first span'),
  traces: z.array(TraceSummarySchema).describe('the session\'s traces, oldest first'),
  traceLimit: z.number().int(),
  traceOffset: z.number().int(),
  tracesHasMore: z.boolean(),
});

/** GET /api/sessions and /api/sessions/:id: sessions and their multi-agent timeline (docs/analysis.md). */
export function mountSessions(router: Router, db: Database): void {
  router.get('/api/sessions', async (ctx) => {
    const q = parseQuery(ctx, SessionListQuery);
    const { sessions, hasMore } = await db.withSnapshot((c) => listSessions(c, {
      projectId: first(q.projectId, q.project_id) ?? DEFAULT_PROJECT,
      agentName: first(q.agent, q.agentName),
      userId: q.userId,
      healthTag: q.healthTag,
      outcome: q.outcome,
      fromUs: q.from,
      toUs: q.to,
      limit: q.limit,
      offset: q.offset,
    }));
    ctx.body = { sessions, limit: q.limit, offset: q.offset, hasMore } satisfies z.input<typeof SessionListResponse>;
  });

  router.get('/api/sessions/:id', async (ctx) => {
    const q = parseQuery(ctx, SessionDetailQuery);
    const projectId = first(q.projectId, q.project_id) ?? DEFAULT_PROJECT;
    const body = await db.withSnapshot(async (c) => {
      const s = await getSession(c, projectId, ctx.params.id);
      if (s === null) return null;
      const ids = s.traceIds.slice(q.traceOffset, q.traceOffset + q.traceLimit);
      const traces = await traceSummaries(c, projectId, ids, s.startUs);
      return {
        ...s.summary,
        agentTimeline: s.agents,
        traces,
        traceLimit: q.traceLimit,
        traceOffset: q.traceOffset,
        tracesHasMore: s.traceIds.length > q.traceOffset + q.traceLimit,
      } satisfies z.input<typeof SessionDetailResponse>;
    });
    if (body === null) throw notFound(`session ${ctx.params.id} not found`);
    ctx.body = body;
  });
}
