import type Router from '@koa/router';
import { z } from 'zod';
import type { AccessControl } from '../../access/index.js';
import { accessOf, noteAudit } from '../../access/index.js';
import { sessionCookie } from '../../access/middleware.js';

export const TicketResponse = z.object({
  ticket: z.string().describe('append as ?ticket= to an SSE or WebSocket URL; single use'),
  expires_at: z.string(),
  expires_in_seconds: z.number(),
});

export const WhoAmIResponse = z.object({
  kind: z.enum(['static_key', 'api_key', 'session', 'proxy', 'anonymous']),
  id: z.string(),
  actor: z.string(),
  role: z.enum(['admin', 'viewer', 'ingest']),
  project_id: z.string().nullable().describe('the project the credential is bound to; null: any'),
  auth_required: z.boolean(),
});

export const LogoutResponse = z.object({ logged_out: z.boolean() });

/**
 * The credential routes around the dashboard and the streams:
 * POST /api/auth/ticket (a short-lived single-use ticket for an EventSource
 * or WebSocket URL, so no long-lived key goes into a URL), GET
 * /api/auth/whoami, POST /api/auth/logout (ends a cookie or bearer session).
 */
export function mountAuth(router: Router, ac: AccessControl): void {
  router.post('/api/auth/ticket', (ctx) => {
    const { principal } = accessOf(ctx);
    const t = ac.tickets.issue(ac.authenticator.claimOf(principal!));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ticket: t.ticket, expires_at: t.expiresAt, expires_in_seconds: t.expiresInSeconds } satisfies z.input<typeof TicketResponse>;
  });

  router.get('/api/auth/whoami', (ctx) => {
    const p = accessOf(ctx).principal!;
    ctx.body = { kind: p.kind, id: p.id, actor: p.actor, role: p.role, project_id: p.project, auth_required: ac.authRequired() } satisfies z.input<typeof WhoAmIResponse>;
  });

  router.post('/api/auth/logout', async (ctx) => {
    const p = accessOf(ctx).principal!;
    noteAudit(ctx, { resource: `session:${p.kind === 'session' ? p.id : 'none'}` });
    if (p.kind === 'session') await ac.sessions.end(p.id);
    ctx.set('Set-Cookie', sessionCookie(ac, ctx, '', 0));
    ctx.body = { logged_out: p.kind === 'session' } satisfies z.input<typeof LogoutResponse>;
  });
}
