import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { classify, type LookspanError } from '../errors.js';
import type { AccessControl } from './index.js';
import type { AuditNote } from './context.js';
import type { Principal } from './credentials.js';
import { decide, type AccessDecision } from './decide.js';
import type { RateDecision } from './rate-limit.js';
import type { RouteAccess } from './roles.js';

export const SESSION_COOKIE = 'lookspan_session';
export const PROJECT_HEADER = 'x-lookspan-project';

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Whether an Origin header names a site other than the Host the request was sent to. */
export function crossSite(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return false;
  try {
    return new URL(origin).host.toLowerCase() !== (host ?? '').toLowerCase();
  } catch {
    return true;
  }
}

/** draft-ietf-httpapi-ratelimit-headers (draft 6, as express-rate-limit's standardHeaders: true sends them). */
export function rateHeaders(rate: RateDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `${rate.limit};w=60`,
    'RateLimit-Limit': String(rate.limit),
    'RateLimit-Remaining': String(rate.remaining),
    'RateLimit-Reset': String(rate.resetSeconds),
  };
}

/** Table keys of the route layers that match this request (HEAD is served by GET routes). */
export function matchedRouteKeys(router: Router, method: string, path: string): { keys: string[]; params: Record<string, string> } {
  const m = router.match(path, method);
  const layers = m.pathAndMethod.filter((l) => l.methods.length > 0);
  const verb = method === 'HEAD' ? 'GET' : method;
  const params: Record<string, string> = {};
  for (const l of layers) {
    try {
      Object.assign(params, l.params(path, l.captures(path) ?? [], {}));
    } catch {
      // A malformed %-escape: the router answers it; the project check needs no parameter of it.
    }
  }
  return { keys: [...new Set(layers.map((l) => `${verb} ${l.path}`))], params };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The access middleware, ahead of the router: CORS, then one access
 * decision per request (decide.ts), then the route with ctx.state.access
 * set and the project query parameters rewritten to the effective project,
 * so every route reading `project_id` / `projectId` reads the one the
 * credential may act on. Mutations are audited after they ran.
 */
export function accessMiddleware(ac: AccessControl, router: Router): Middleware {
  return async (ctx, next) => {
    if (ac.cors.handle(ctx)) return;
    const { keys, params } = matchedRouteKeys(router, ctx.method, ctx.path);
    const query = ctx.query;
    const one = (v: unknown) => (Array.isArray(v) ? v[0] : v) as string | undefined;
    const named: Array<[string, string | undefined]> = [
      ['X-Lookspan-Project', ctx.get(PROJECT_HEADER) || undefined], ['project_id', params.project_id],
      ['project_id', one(query.project_id) || undefined], ['projectId', one(query.projectId) || undefined],
    ];
    const [requestedFrom, requestedProject] = named.find(([, v]) => v !== undefined) ?? [undefined, undefined];
    const decision = decide(ac, {
      routeKeys: keys,
      unsafe: UNSAFE.has(ctx.method),
      presented: {
        authorization: ctx.get('authorization') || undefined,
        apiKey: ctx.get('x-api-key') || undefined,
        sessionCookie: cookieValue(ctx.get('cookie'), SESSION_COOKIE),
        ticket: one(query.ticket),
        proxy: { userId: ctx.get('x-user-id') || undefined, role: ctx.get('x-user-role') || undefined, project: ctx.get('x-user-project') || undefined },
      },
      requestedProject,
      requestedFrom,
      peer: ctx.req.socket.remoteAddress,
      forwardedFor: ctx.get('x-forwarded-for') || undefined,
      crossSite: crossSite(ctx.get('origin') || undefined, ctx.get('host') || undefined),
    });
    if (decision.rate) ctx.set(rateHeaders(decision.rate));
    if (!decision.ok) {
      if (decision.error.errorClass === 'unauthorized') ctx.set('WWW-Authenticate', 'Bearer realm="lookspan"');
      // A refused mutation by someone who did authenticate is an RBAC event worth keeping.
      if (decision.principal && decision.error.errorClass === 'forbidden' && UNSAFE.has(ctx.method)) {
        auditRequest(ac, ctx, decision, decision.principal, decision.clientAddress, decision.error);
      }
      throw decision.error;
    }
    const { access } = decision;
    ctx.state.access = access;
    ctx.state.ingestProject = { project: access.project, bound: access.bound };
    ac.decided.set(ctx.req, access);
    // Routes never see the ticket. A bound credential's project, or the one the request named (the header
    // included), is what both spellings say; with neither, each route keeps its own default (`default`, or
    // every project for a list that spans them). Streams keep the query as sent (the live hub narrows them).
    const { ticket: _ticket, ...rest } = query;
    const pinned = access.bound || access.requestedProject !== null;
    ctx.query = decision.route?.ticket || !pinned ? rest : { ...rest, project_id: access.project, projectId: access.project };
    if (!shouldAudit(ctx.method, decision.route)) return next();
    let failure: LookspanError | null = null;
    try {
      await next();
    } catch (err) {
      failure = classify(err);
      throw err;
    } finally {
      if (access.principal || decision.route?.need === 'open') {
        auditRequest(ac, ctx, decision, access.principal, access.clientAddress, failure);
      }
    }
  };
}

/** Mutations are audited; span and log writes (ingest) are traffic, not changes, and are not. */
function shouldAudit(method: string, route: RouteAccess | null): boolean {
  return UNSAFE.has(method) && route !== null && route.need !== 'ingest';
}

function auditRequest(
  ac: AccessControl, ctx: Context, decision: AccessDecision, principal: Principal | null, clientAddress: string, failure: LookspanError | null,
): void {
  const note = (ctx.state.audit ?? {}) as AuditNote;
  const status = failure ? failure.http : ctx.status;
  const result = failure?.errorClass === 'forbidden' || status === 403 ? 'denied' : failure || status >= 400 ? 'failure' : 'success';
  ac.audit.record({
    actor: note.actor ?? principal?.actor ?? 'anonymous',
    action: note.action ?? decision.route?.audit ?? `api.${ctx.method.toLowerCase()}`,
    resource: note.resource ?? ctx.path,
    result,
    // Changes that span every project belong to none (only credentials bound to no project list them).
    project_id: decision.route?.instance ? null : decision.ok ? decision.access.project : (principal?.project ?? null),
    client_address: clientAddress,
  });
}

/**
 * The session cookie's Set-Cookie value: HttpOnly, SameSite=Strict, and
 * Secure when the request arrived over TLS (at this process, or at a
 * trusted proxy that says so in X-Forwarded-Proto). Written by hand: Koa's
 * cookie writer refuses Secure on the plain connection from a TLS-terminating proxy.
 */
export function sessionCookie(ac: AccessControl, ctx: Context, token: string, maxAgeSeconds: number): string {
  const tls = ctx.secure || (ac.proxies.trusts(ctx.req.socket.remoteAddress) && ctx.get('x-forwarded-proto').split(',')[0].trim() === 'https');
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`;
}
