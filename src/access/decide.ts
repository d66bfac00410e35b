import { invalid, LookspanError, overloaded } from '../errors.js';
import { nativeProjectId } from '../receivers/native/ids.js';
import type { AccessControl } from './index.js';
import type { RequestAccess } from './context.js';
import { ANONYMOUS, forbidden, unauthorized, type Presented, type Principal } from './credentials.js';
import { DEFAULT_PROJECT } from './projects.js';
import { routeLimit } from './rate-policy.js';
import type { RateDecision } from './rate-limit.js';
import { combine, roleSatisfies, type RouteAccess } from './roles.js';
import { routeAccess } from './route-roles.js';

/** One request as every transport (HTTP, gRPC, WebSocket upgrade) describes it to the access decision. */
export interface AccessRequest {
  /** Table keys of the route layers that matched (`GET /api/traces/:traceId`); empty when none did. */
  routeKeys: string[];
  /** POST, PUT, PATCH, DELETE change things; the rest only read. */
  unsafe: boolean;
  presented: Presented;
  /** Project named by the request, raw (validated here). */
  requestedProject: string | undefined;
  /** Where it was named (`project_id`, `projectId`, `X-Lookspan-Project`, …), for the 400 of a bad one. */
  requestedFrom?: string;
  peer: string | undefined;
  forwardedFor: string | undefined;
  /** An Origin header naming another site (checked for cookie sessions on unsafe requests). */
  crossSite: boolean;
}

export type AccessDecision =
  | { ok: true; access: RequestAccess; rate: RateDecision | null; route: RouteAccess | null }
  | { ok: false; error: LookspanError; rate: RateDecision | null; route: RouteAccess | null; principal: Principal | null; clientAddress: string };

const ROLE_HINT = 'send Authorization: Bearer <key> or X-API-Key: <key>';

/**
 * The one access decision (docs/security.md): authenticate, rate-limit,
 * check the role the route table asks for, then fix the project the request
 * acts on. Every transport calls this, so the rules cannot drift apart.
 */
export function decide(ac: AccessControl, req: AccessRequest): AccessDecision {
  const route = req.routeKeys.length > 0 ? combine(req.routeKeys.map(routeAccess)) : null;
  const routeKey = req.routeKeys[0] ?? null;
  const trusted = ac.proxies.trusts(req.peer);
  const clientAddress = ac.proxies.clientAddress(req.peer, req.forwardedFor);
  const presented: Presented = {
    ...req.presented,
    ticket: route?.ticket ? req.presented.ticket : undefined,
    proxy: trusted ? req.presented.proxy : undefined,
  };

  let principal: Principal | null = null;
  let failure: LookspanError | null = null;
  try {
    principal = ac.authenticator.authenticate(presented);
  } catch (err) {
    if (!(err instanceof LookspanError)) throw err;
    failure = err;
  }
  const required = ac.authRequired();
  if (!failure && principal?.kind === 'anonymous' && required) failure = unauthorized('authentication is now on: the ticket was issued before it was');
  if (!failure && principal === null && !required) principal = ANONYMOUS;

  let rate: RateDecision | null = null;
  const limit = ac.rateLimited() ? routeLimit(ac.rateLimitConfig, routeKey, route) : null;
  if (limit !== null) {
    const who = principal && principal.kind !== 'anonymous' ? `${principal.kind}:${principal.id}` : `addr:${clientAddress}`;
    rate = ac.limiter.take(`${who} ${routeKey ?? 'unmatched'}`, limit);
    if (!rate.allowed) {
      failure = overloaded(`rate limit of ${limit} requests per minute reached for this ${who.startsWith('addr:') ? 'client address' : 'key'} on ${routeKey ?? 'unmatched routes'}`, rate.retryAfterSeconds);
    }
  }
  const refuse = (error: LookspanError): AccessDecision => ({ ok: false, error, rate, route, principal, clientAddress });
  if (failure) return refuse(failure);

  const need = route?.need ?? 'authenticated';
  if (principal === null && need !== 'open') return refuse(unauthorized(`missing credentials: ${ROLE_HINT}`));
  if (principal !== null && need !== 'open') {
    if (!roleSatisfies(principal.role, need)) {
      return refuse(forbidden(`${routeKey ?? 'this request'} needs the ${need === 'authenticated' ? 'any' : need} role${need === 'viewer' || need === 'ingest' ? ' (or admin)' : ''}; this credential has ${principal.role}`));
    }
    if (route?.instance && principal.project !== null) {
      return refuse(forbidden(`${routeKey} spans every project: it needs a credential bound to no project (this one is bound to "${principal.project}")`));
    }
    if (req.unsafe && principal.via === 'cookie' && req.crossSite) return refuse(forbidden('a cross-site request cannot use the session cookie'));
  }

  let requested: string | null = null;
  if (req.requestedProject !== undefined && req.requestedProject !== '') {
    if (!nativeProjectId.safeParse(req.requestedProject).success) {
      const from = req.requestedFrom ?? 'project_id';
      const rule = 'must be 1-128 characters and not "null" or "__HIVE_DEFAULT_PARTITION__"';
      return refuse(invalid(`${from} (the project) ${rule}`, [{ path: from, message: rule }]));
    }
    requested = req.requestedProject;
  }
  const bound = principal?.project ?? null;
  if (bound !== null && requested !== null && requested !== bound) {
    return refuse(forbidden(`this credential is bound to project "${bound}" and cannot act on project "${requested}"`));
  }
  return {
    ok: true, rate, route,
    access: { principal, project: bound ?? requested ?? DEFAULT_PROJECT, requestedProject: requested, bound: bound !== null, clientAddress, routeKey },
  };
}
