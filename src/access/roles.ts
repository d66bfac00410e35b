/**
 * Roles and what a route needs (docs/security.md). `admin` and `viewer` are
 * the reference's roles (viewer: reads only); `ingest` is for collectors and
 * SDKs, which write spans and read nothing.
 */
export const ROLES = ['admin', 'viewer', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a caller must hold: `open` (nothing: probes, scrapes, login),
 * `authenticated` (any valid credential, any role), `viewer` (viewer or
 * admin), `ingest` (ingest or admin), `admin`.
 */
export type Need = 'open' | 'authenticated' | 'viewer' | 'ingest' | 'admin';

export interface RouteAccess {
  need: Need;
  /** Only a credential bound to no project may call it (it spans every project: users, storage, price overrides). */
  instance?: boolean;
  /** A stream (EventSource, WebSocket): a short-lived `?ticket=` from POST /api/auth/ticket is accepted in the URL. */
  ticket?: boolean;
  /** The audit action recorded for each call (mutations; `api.<method>` when absent). */
  audit?: string;
}

/** Whether `role` satisfies `need` (role null: no credential). */
export function roleSatisfies(role: Role | null, need: Need): boolean {
  switch (need) {
    case 'open': return true;
    case 'authenticated': return role !== null;
    case 'viewer': return role === 'viewer' || role === 'admin';
    case 'ingest': return role === 'ingest' || role === 'admin';
    case 'admin': return role === 'admin';
  }
}

/** Several route layers can match one request (a literal path and a parameter one): the caller must satisfy each. */
export function combine(entries: RouteAccess[]): RouteAccess {
  if (entries.length === 1) return entries[0];
  const needs = new Set(entries.map((e) => e.need));
  let need: Need = 'open';
  if (needs.has('admin') || (needs.has('viewer') && needs.has('ingest'))) need = 'admin';
  else if (needs.has('viewer')) need = 'viewer';
  else if (needs.has('ingest')) need = 'ingest';
  else if (needs.has('authenticated')) need = 'authenticated';
  return {
    need,
    instance: entries.some((e) => e.instance === true),
    ticket: entries.every((e) => e.ticket === true),
    audit: entries.find((e) => e.audit)?.audit,
  };
}
