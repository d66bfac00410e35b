import type { IncomingMessage } from 'node:http';
import type { AccessControl } from './index.js';
import { decideUpgrade } from './upgrade.js';

/** The route-table key of the WebSocket (served on the HTTP server's upgrade event, not by Koa). */
export const WEBSOCKET_ROUTE = 'GET /api/live';

/**
 * The live hub's access check (src/live/hub.ts LiveAccess): the projects a
 * stream may carry. An SSE request was decided by the Koa middleware
 * already (its ticket is spent), so that decision is reused; a WebSocket
 * upgrade is decided here. A credential bound to a project sees that
 * project only; one bound to none sees the project it asked for, or all.
 * The ticket is then cut from the upgrade's URL, so the stream's filter
 * (and anything that logs the URL) never sees it.
 */
export function liveAccess(ac: AccessControl): (req: IncomingMessage) => Promise<{ projects: readonly string[] | null }> {
  return async (req) => {
    let access = ac.decided.get(req);
    if (!access) {
      const decision = decideUpgrade(ac, req, WEBSOCKET_ROUTE);
      if (!decision.ok) throw decision.error;
      access = decision.access;
      const url = new URL(req.url ?? '/', 'http://upgrade.invalid');
      if (url.searchParams.has('ticket')) {
        url.searchParams.delete('ticket');
        req.url = `${url.pathname}${url.search}`;
      }
    }
    if (access.bound) return { projects: [access.project] };
    return { projects: access.requestedProject !== null ? [access.requestedProject] : null };
  };
}
