import { randomBytes } from 'node:crypto';
import { digest, randomToken, secretMatches } from './hashing.js';
import { AccessTables, nowMicros } from './tables.js';

/** `lss_<16 hex id>_<43 base64url chars>`: the id finds the session, the whole token is checked against its hash. */
const TOKEN_FORM = /^lss_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
export const SESSION_PREFIX = 'lss_';

interface Held {
  userId: string;
  sha256: Buffer;
  expiresMs: number;
}

/**
 * Dashboard sessions from POST /api/users/verify: a random token (cookie or
 * bearer), stored as its SHA-256 only, expiring, ended by logout or when
 * the user is deactivated. Held in memory and persisted, so a restart keeps them.
 */
export class Sessions {
  private byId = new Map<string, Held>();

  private constructor(private readonly tables: AccessTables, private readonly ttlSeconds: number, private readonly now: () => number) {}

  static async open(tables: AccessTables, ttlSeconds: number, now: () => number = Date.now): Promise<Sessions> {
    const s = new Sessions(tables, ttlSeconds, now);
    await tables.serial(() => tables.run('DELETE FROM user_sessions WHERE expires_at <= make_timestamp($1::BIGINT)', [nowMicros(now())]));
    for (const r of await tables.rows('SELECT id, user_id, token_sha256, epoch_us(expires_at) AS expires_us FROM user_sessions')) {
      s.byId.set(r.id as string, { userId: r.user_id as string, sha256: Buffer.from(r.token_sha256 as string, 'hex'), expiresMs: Number(r.expires_us) / 1000 });
    }
    return s;
  }

  create(userId: string): Promise<{ id: string; token: string; expiresAt: string; maxAgeSeconds: number }> {
    return this.tables.serial(async () => {
      const now = this.now();
      // Expired sessions go when a new one comes, so the table stays the size of the signed-in users.
      await this.tables.run('DELETE FROM user_sessions WHERE expires_at <= make_timestamp($1::BIGINT)', [nowMicros(now)]);
      for (const [id, h] of this.byId) if (h.expiresMs <= now) this.byId.delete(id);
      const id = randomBytes(8).toString('hex');
      const token = `${SESSION_PREFIX}${id}_${randomToken(32)}`;
      const expiresMs = now + this.ttlSeconds * 1000;
      const sha256 = digest(token);
      await this.tables.run('INSERT INTO user_sessions VALUES ($1, $2, $3, make_timestamp($4::BIGINT), make_timestamp($5::BIGINT))',
        [id, userId, sha256.toString('hex'), nowMicros(now), nowMicros(expiresMs)]);
      this.byId.set(id, { userId, sha256, expiresMs });
      return { id, token, expiresAt: new Date(expiresMs).toISOString(), maxAgeSeconds: this.ttlSeconds };
    });
  }

  /** The live session `token` is: its id and user; null when unknown, wrong or expired. */
  resolve(token: string): { id: string; userId: string } | null {
    const m = TOKEN_FORM.exec(token);
    if (!m) return null;
    const held = this.byId.get(m[1]);
    if (!held || !secretMatches(token, held.sha256) || held.expiresMs <= this.now()) return null;
    return { id: m[1], userId: held.userId };
  }

  /** Whether a session id is still live (a stream ticket issued from it checks this when redeemed). */
  live(id: string): boolean {
    const held = this.byId.get(id);
    return held !== undefined && held.expiresMs > this.now();
  }

  end(id: string): Promise<void> {
    return this.tables.serial(async () => {
      this.byId.delete(id);
      await this.tables.run('DELETE FROM user_sessions WHERE id = $1', [id]);
    });
  }

  /** Ends every session of a user (deactivated, role changed). */
  endUser(userId: string): Promise<void> {
    return this.tables.serial(async () => {
      for (const [id, h] of this.byId) if (h.userId === userId) this.byId.delete(id);
      await this.tables.run('DELETE FROM user_sessions WHERE user_id = $1', [userId]);
    });
  }
}
