import type { IncomingMessage } from 'node:http';
import type { AccessControl } from './index.js';
import { decide, type AccessDecision } from './decide.js';
import { cookieValue, crossSite, PROJECT_HEADER, SESSION_COOKIE } from './middleware.js';

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) || undefined;
};

/**
 * The access decision for an HTTP upgrade (the WebSocket at /api/live),
 * which never reaches Koa: the same credentials as any request (headers,
 * the session cookie, or a `?ticket=` since browsers cannot set headers on
 * a WebSocket), the same table entry (`routeKey`), and the project from
 * `X-Lookspan-Project` / `project_id` / `projectId`. The caller answers a
 * refusal on the socket (401, 403 or 429) and reads `access.project` otherwise.
 */
export function decideUpgrade(ac: AccessControl, req: IncomingMessage, routeKey: string): AccessDecision {
  const url = new URL(req.url ?? '/', 'http://upgrade.invalid');
  const q = (name: string) => url.searchParams.get(name) || undefined;
  return decide(ac, {
    routeKeys: [routeKey],
    // Judged like a change for the cookie check: a WebSocket from another site must not ride the session cookie.
    unsafe: true,
    presented: {
      authorization: header(req, 'authorization'),
      apiKey: header(req, 'x-api-key'),
      sessionCookie: cookieValue(header(req, 'cookie'), SESSION_COOKIE),
      ticket: q('ticket'),
      proxy: { userId: header(req, 'x-user-id'), role: header(req, 'x-user-role'), project: header(req, 'x-user-project') },
    },
    requestedProject: header(req, PROJECT_HEADER) ?? q('project_id') ?? q('projectId'),
    peer: req.socket.remoteAddress,
    forwardedFor: header(req, 'x-forwarded-for'),
    crossSite: crossSite(header(req, 'origin'), header(req, 'host')),
  });
}
