import type Router from '@koa/router';
import { z } from 'zod';
import type { AccessControl } from '../../access/index.js';
import { accessOf } from '../../access/index.js';
import { intParam, parseQuery } from '../params.js';

export const AuditQuery = z.object({
  limit: intParam(1, 200, 50, 'events per page'),
  offset: intParam(0, 10_000_000, 0, 'events to skip'),
});

export const AuditEventView = z.object({
  event_id: z.string(),
  timestamp: z.string(),
  actor: z.string().describe('e-mail addresses masked, e.g. a***@example.com'),
  action: z.string().describe('user.login, user.login_failed, api_key.created, api_key.revoked, user.role_changed, user.invited, user.deactivated, project.created, project.deleted, alerts.config_saved, model_pricing.updated, …'),
  resource: z.string().nullable(),
  result: z.enum(['success', 'failure', 'denied']),
  project_id: z.string().nullable(),
  client_address: z.string().nullable(),
});
export const AuditListResponse = z.object({ events: z.array(AuditEventView), total: z.number(), limit: z.number(), offset: z.number() });

/**
 * GET /api/audit/logs: recent audit events, newest first. A credential
 * bound to a project sees that project's events; one bound to none sees
 * every event, or one project's with `project_id`.
 */
export function mountAudit(router: Router, ac: AccessControl): void {
  router.get('/api/audit/logs', async (ctx) => {
    const a = accessOf(ctx);
    const { limit, offset } = parseQuery(ctx, AuditQuery);
    const project = a.bound ? a.project : (a.requestedProject ?? undefined);
    const { events, total } = await ac.audit.list({ limit, offset, project });
    ctx.body = { events, total, limit, offset } satisfies z.input<typeof AuditListResponse>;
  });
}
