import { LookspanError } from '../errors.js';
import { ApiKeys } from './api-keys.js';
import { ROLES, type Role } from './roles.js';
import type { Sessions } from './sessions.js';
import { matchStaticKey, type StaticKey } from './static-keys.js';
import type { TicketClaim, Tickets } from './tickets.js';
import type { Users } from './users.js';

/** Who a request acts as. */
export interface Principal {
  kind: 'static_key' | 'api_key' | 'session' | 'proxy' | 'anonymous';
  /** The credential's id: a static key's `static:…`, an API key's id, a session id, the proxy's user id. */
  id: string;
  /** Who, for the audit log (e-mail addresses are masked when written). */
  actor: string;
  role: Role;
  /** The project the credential is bound to; null: any project, chosen per request. */
  project: string | null;
  /** Where the credential came from. */
  via: 'authorization' | 'x-api-key' | 'cookie' | 'ticket' | 'proxy' | 'none';
}

/** What a request presented, as the transport found it (HTTP headers, gRPC metadata, a stream URL). */
export interface Presented {
  authorization?: string;
  apiKey?: string;
  /** The session cookie's value. */
  sessionCookie?: string;
  /** `?ticket=` of a stream route (only passed for routes that accept one). */
  ticket?: string;
  /** X-User-* headers, only when the peer is a trusted proxy. */
  proxy?: { userId?: string; role?: string; project?: string };
}

/** Every request in auth-disabled mode (no credential configured, loopback or allowOpen): an admin of any project. */
export const ANONYMOUS: Principal = { kind: 'anonymous', id: 'anonymous', actor: 'anonymous', role: 'admin', project: null, via: 'none' };

export const unauthorized = (message: string) => new LookspanError('unauthorized', message);
export const forbidden = (message: string) => new LookspanError('forbidden', message);

/** The bearer token of an Authorization header; a 401 for any other scheme. */
function bearer(header: string): string {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m) throw unauthorized('Authorization must be "Bearer <key>"');
  return m[1];
}

/**
 * Resolves what a request presented to a Principal. A credential that is
 * presented and wrong is a 401 even when none is needed, so a misconfigured
 * client finds out at once instead of being served as someone else.
 */
export class Authenticator {
  constructor(
    private readonly staticKeys: readonly StaticKey[],
    private readonly apiKeys: ApiKeys,
    private readonly sessions: Sessions,
    private readonly users: Users,
    private readonly tickets: Tickets,
  ) {}

  /** The principal, or null when nothing was presented. */
  authenticate(p: Presented): Principal | null {
    if (p.authorization !== undefined && p.authorization !== '') return this.token(bearer(p.authorization), 'authorization');
    if (p.apiKey !== undefined && p.apiKey !== '') return this.token(p.apiKey.trim(), 'x-api-key');
    if (p.sessionCookie !== undefined && p.sessionCookie !== '') return this.session(p.sessionCookie, 'cookie');
    if (p.ticket !== undefined && p.ticket !== '') {
      const claim = this.tickets.redeem(p.ticket);
      const principal = claim ? this.fromClaim(claim) : null;
      if (!principal) throw unauthorized('the ticket is invalid, expired or already used; ask POST /api/auth/ticket for a new one');
      return principal;
    }
    if (p.proxy?.userId) return this.proxy(p.proxy);
    return null;
  }

  private token(token: string, via: 'authorization' | 'x-api-key'): Principal {
    if (token.startsWith('lss_')) return this.session(token, via);
    if (ApiKeys.claims(token)) {
      const key = this.apiKeys.resolve(token);
      if (!key) throw unauthorized('unknown or revoked API key');
      return { kind: 'api_key', id: key.id, actor: key.prefix, role: key.role, project: key.project_id, via };
    }
    const key = matchStaticKey(this.staticKeys, token);
    if (!key) throw unauthorized('unknown API key');
    return { kind: 'static_key', id: key.id, actor: key.id, role: key.role, project: key.project, via };
  }

  private session(token: string, via: Principal['via']): Principal {
    const s = this.sessions.resolve(token);
    const user = s ? this.users.get(s.userId) : null;
    if (!s || !user || user.status !== 'active') throw unauthorized('the session is invalid or has expired; sign in again (POST /api/users/verify)');
    return { kind: 'session', id: s.id, actor: user.email, role: user.role, project: user.project_id, via };
  }

  private proxy(h: NonNullable<Presented['proxy']>): Principal {
    const role = (h.role ?? '').trim().toLowerCase();
    if (role !== 'admin' && role !== 'viewer') throw unauthorized('X-User-Role from the trusted proxy must be admin or viewer');
    const userId = h.userId!.trim().slice(0, 256);
    return { kind: 'proxy', id: userId, actor: userId, role, project: h.project?.trim() || null, via: 'proxy' };
  }

  /** What a ticket issued to `principal` records. */
  claimOf(principal: Principal): TicketClaim {
    return { kind: principal.kind, id: principal.id, role: principal.role, project: principal.project, actor: principal.actor };
  }

  /** The principal a redeemed ticket stands for, if its credential still works (a revoked key's tickets die with it). */
  fromClaim(c: TicketClaim): Principal | null {
    if (!(ROLES as readonly string[]).includes(c.role)) return null;
    const base = { id: c.id, actor: c.actor, role: c.role as Role, project: c.project, via: 'ticket' as const };
    switch (c.kind) {
      case 'api_key': {
        const key = this.apiKeys.get(c.id);
        return key && key.revoked_at === null ? { ...base, kind: 'api_key', role: key.role, project: key.project_id } : null;
      }
      case 'static_key':
        return this.staticKeys.some((k) => k.id === c.id) ? { ...base, kind: 'static_key' } : null;
      case 'session': {
        if (!this.sessions.live(c.id)) return null;
        const user = this.users.byEmail(c.actor);
        return user && user.status === 'active' ? { ...base, kind: 'session', role: user.role, project: user.project_id } : null;
      }
      case 'proxy':
        return { ...base, kind: 'proxy' };
      case 'anonymous':
        return { ...ANONYMOUS, via: 'ticket' };
      default:
        return null;
    }
  }
}
