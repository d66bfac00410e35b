import type { Context } from 'koa';
import { LookspanError } from '../errors.js';
import type { Principal } from './credentials.js';

/** What the access middleware decided for a request (ctx.state.access), for routes and receivers. */
export interface RequestAccess {
  /** Null only on an open route called without a credential. */
  principal: Principal | null;
  /** The project the request acts on: the key's own, else the one asked for, else `default`. */
  project: string;
  /** The project the request named (X-Lookspan-Project, project_id, projectId, or a :project_id path segment); null if none. */
  requestedProject: string | null;
  /** Whether the credential is bound to `project` (then nothing else is reachable with it). */
  bound: boolean;
  /** The client's address (X-Forwarded-For only through a trusted proxy). */
  clientAddress: string;
  /** The route's table key, e.g. `GET /api/traces/:traceId`; null for a request no route matched. */
  routeKey: string | null;
}

/** What a route may add to the audit event the middleware records for it. */
export interface AuditNote {
  action?: string;
  actor?: string;
  resource?: string;
}

/** The request's access decision; every route behind the access middleware has one. */
export function accessOf(ctx: Context): RequestAccess {
  const a = ctx.state.access as RequestAccess | undefined;
  if (!a) throw new LookspanError('internal', 'route reached without the access middleware');
  return a;
}

/** Lets a route name what its audit event is about (`key:lsk_…`, `user:…`) or change its action (a failed login). */
export function noteAudit(ctx: Context, note: AuditNote): void {
  ctx.state.audit = { ...(ctx.state.audit as AuditNote | undefined), ...note };
}

/** Where an ingest request's spans go: the effective project, and whether the key binds them there. */
export interface IngestScope {
  project: string;
  bound: boolean;
  /** The request named its project (header or parameter) rather than falling back to `default`. */
  explicit: boolean;
}

export function ingestScopeOf(ctx: Context): IngestScope {
  const a = accessOf(ctx);
  return { project: a.project, bound: a.bound, explicit: a.requestedProject !== null };
}
