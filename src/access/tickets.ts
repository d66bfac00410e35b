import { createHmac, randomBytes } from 'node:crypto';
import { sameDigest } from './hashing.js';

/** What a ticket stands for: the credential it was issued from (checked again when the ticket is redeemed). */
export interface TicketClaim {
  /** Credential kind and id (`api_key` + key id, `static_key` + static id, `session` + session id, `proxy` + user id). */
  kind: string;
  id: string;
  role: string;
  project: string | null;
  actor: string;
}

export const TICKET_PREFIX = 'lst_';

/**
 * Short-lived, single-use stream tickets (POST /api/auth/ticket). Browsers
 * cannot set headers on an EventSource or a WebSocket, so the dashboard asks
 * for a ticket with its session and puts that in the URL instead of a key:
 * `lst_<payload>.<HMAC-SHA256>`, valid for ticketTtlSeconds, spent on first
 * use, and only as good as the credential it came from when redeemed. A URL
 * that leaks into a log is worthless by the time anyone reads it.
 */
export class Tickets {
  private readonly secret: Buffer;
  /** Spent ticket nonces until they expire (so a replay within the lifetime fails). */
  private spent = new Map<string, number>();

  constructor(secret: string, private readonly ttlSeconds: number, private readonly now: () => number = Date.now) {
    this.secret = secret === '' ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  issue(claim: TicketClaim): { ticket: string; expiresAt: string; expiresInSeconds: number } {
    const exp = this.now() + this.ttlSeconds * 1000;
    const payload = Buffer.from(JSON.stringify({ ...claim, exp, n: randomBytes(12).toString('base64url') })).toString('base64url');
    return { ticket: `${TICKET_PREFIX}${payload}.${this.sign(payload)}`, expiresAt: new Date(exp).toISOString(), expiresInSeconds: this.ttlSeconds };
  }

  /** The claim of a valid, unexpired, unspent ticket (spending it), or null. */
  redeem(ticket: string): TicketClaim | null {
    if (!ticket.startsWith(TICKET_PREFIX) || ticket.length > 2048) return null;
    const [payload, mac, extra] = ticket.slice(TICKET_PREFIX.length).split('.');
    if (!payload || !mac || extra !== undefined) return null;
    if (!sameDigest(Buffer.from(this.sign(payload), 'base64url'), Buffer.from(mac, 'base64url'))) return null;
    let body: TicketClaim & { exp: number; n: string };
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const now = this.now();
    if (typeof body.exp !== 'number' || body.exp <= now || typeof body.n !== 'string') return null;
    for (const [n, exp] of this.spent) if (exp <= now) this.spent.delete(n);
    if (this.spent.has(body.n)) return null;
    this.spent.set(body.n, body.exp);
    return { kind: body.kind, id: body.id, role: body.role, project: body.project ?? null, actor: body.actor };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
