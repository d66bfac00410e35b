import type Router from '@koa/router';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Database } from '../../store/index.js';
import { getTrace, listTraces } from '../../analysis/traces.js';
import { listSpans } from '../../analysis/spans.js';
import { notFound } from '../../errors.js';
import { qEnum, qInt, qs, qTimeUs } from '../query.js';

export const DEFAULT_PROJECT = 'default';

/** GET /api/traces (filters + pagination), GET /api/traces/spans (langsight span query) and GET /api/traces/:traceId. */
export function mountTraces(router: Router, conn: () => DuckDBConnection, db: Database): void {
  router.get('/api/traces', async (ctx) => {
    const limit = qInt(ctx, 'limit', 50, 1, 1000);
    const offset = qInt(ctx, 'offset', 0, 0, 10_000_000);
    const withTotal = ['1', 'true'].includes(qEnum(ctx, 'total', ['1', 'true', '0', 'false'] as const) ?? '0');
    const { traces, total, hasMore } = await listTraces(conn(), {
      projectId: qs(ctx, 'projectId', 'project_id') ?? DEFAULT_PROJECT,
      framework: qs(ctx, 'framework'),
      status: qEnum(ctx, 'status', ['ok', 'error', 'cancelled', 'unset'] as const),
      sessionId: qs(ctx, 'sessionId', 'session_id'),
      service: qs(ctx, 'service', 'serviceName'),
      model: qs(ctx, 'model'),
      fromUs: qTimeUs(ctx, 'from', 'since', 'start'),
      toUs: qTimeUs(ctx, 'to', 'until', 'end'),
      limit,
      offset,
      withTotal,
    });
    // `total` counts every match, so it is computed only when asked for (?total=1).
    ctx.body = { traces, limit, offset, hasMore, ...(withTotal ? { total } : {}) };
  });

  // Registered before /api/traces/:traceId, which would otherwise take "spans" for a trace id.
  router.get('/api/traces/spans', async (ctx) => {
    const limit = qInt(ctx, 'limit', 100, 1, 1000);
    const offset = qInt(ctx, 'offset', 0, 0, 10_000_000);
    const { spans, total } = await listSpans(conn(), {
      projectId: qs(ctx, 'project_id', 'projectId') ?? DEFAULT_PROJECT,
      serverName: qs(ctx, 'server_name', 'server'),
      toolName: qs(ctx, 'tool_name', 'tool'),
      sessionId: qs(ctx, 'session_id', 'sessionId'),
      agentName: qs(ctx, 'agent_name', 'agent'),
      status: qEnum(ctx, 'status', ['success', 'error'] as const),
      fromUs: qTimeUs(ctx, 'from', 'since', 'start'),
      toUs: qTimeUs(ctx, 'to', 'until', 'end'),
      limit,
      offset,
    });
    ctx.body = { spans, total, limit, offset };
  });

  router.get('/api/traces/:traceId', async (ctx) => {
    const projectId = qs(ctx, 'projectId', 'project_id') ?? DEFAULT_PROJECT;
    const trace = await db.withSnapshot((snapshot) => getTrace(snapshot, projectId, ctx.params.traceId));
    if (!trace) throw notFound(`trace ${ctx.params.traceId} not found`);
    ctx.body = trace;
  });
}
