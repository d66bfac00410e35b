import { randomUUID } from 'node:crypto';
import { decoyPasswordHash, digest, hashPassword, randomToken, verifyPassword } from './hashing.js';
import { AccessTables, isoFromMicros, nowMicros } from './tables.js';

/** People have the reference's two roles; `ingest` is for machines and their keys. */
export type UserRole = 'admin' | 'viewer';
export type UserStatus = 'invited' | 'active' | 'deactivated';

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  role: UserRole;
  project_id: string | null;
  status: UserStatus;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

interface Held {
  record: UserRecord;
  passwordHash: string | null;
}

const SELECT = `SELECT id, email, name, role, project_id, status, password_hash, epoch_us(created_at) AS created_us,
  epoch_us(updated_at) AS updated_us, epoch_us(last_login_at) AS login_us FROM users`;

export const INVITE_PREFIX = 'lsi_';

/** E-mail addresses compare case-insensitively, as mail servers treat the domain (and nearly all the local part). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * Users, their invitations and password checks. Passwords are hashed with
 * scrypt (hashing.ts); invitation tokens are single-use, expire, and are
 * stored as SHA-256 hashes only. Users are held in memory so a session
 * request never waits for DuckDB.
 */
export class Users {
  private byId = new Map<string, Held>();

  private constructor(private readonly tables: AccessTables, private readonly now: () => number) {}

  static async open(tables: AccessTables, now: () => number = Date.now): Promise<Users> {
    const u = new Users(tables, now);
    for (const r of await tables.rows(SELECT)) u.hold(r);
    return u;
  }

  private hold(r: Record<string, unknown>): Held {
    const held: Held = {
      passwordHash: (r.password_hash as string | null) ?? null,
      record: {
        id: r.id as string, email: r.email as string, name: (r.name as string | null) ?? null, role: r.role as UserRole,
        project_id: (r.project_id as string | null) ?? null, status: r.status as UserStatus,
        created_at: isoFromMicros(r.created_us)!, updated_at: isoFromMicros(r.updated_us)!, last_login_at: isoFromMicros(r.login_us),
      },
    };
    this.byId.set(held.record.id, held);
    return held;
  }

  private async reload(id: string): Promise<UserRecord> {
    const [row] = await this.tables.rows(`${SELECT} WHERE id = $1`, [id]);
    return this.hold(row).record;
  }

  get(id: string): UserRecord | null {
    return this.byId.get(id)?.record ?? null;
  }

  byEmail(email: string): UserRecord | null {
    const e = normalizeEmail(email);
    for (const h of this.byId.values()) if (h.record.email === e) return h.record;
    return null;
  }

  list(): UserRecord[] {
    return [...this.byId.values()].map((h) => h.record).sort((a, b) => a.email.localeCompare(b.email));
  }

  /** Users who can sign in (they count as configured credentials: with one, authentication is on). */
  activeCount(): number {
    let n = 0;
    for (const h of this.byId.values()) if (h.record.status === 'active') n++;
    return n;
  }

  /**
   * Invites `email` (a new user, or one not yet active or deactivated, whose
   * earlier invitations stop working). Null when an active user has that
   * address. The token is returned once and stored hashed.
   */
  invite(fields: { email: string; role: UserRole; project_id: string | null; ttlSeconds: number }): Promise<{ user: UserRecord; token: string; expires_at: string } | null> {
    return this.tables.serial(async () => {
      const email = normalizeEmail(fields.email);
      const existing = this.byEmail(email);
      if (existing?.status === 'active') return null;
      const now = this.now();
      const id = existing?.id ?? `usr_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const token = `${INVITE_PREFIX}${randomToken(32)}`;
      const expiresMs = now + fields.ttlSeconds * 1000;
      await this.tables.run('BEGIN TRANSACTION');
      try {
        if (existing) {
          await this.tables.run(
            `UPDATE users SET role = $2, project_id = $3, status = 'invited', password_hash = NULL, updated_at = make_timestamp($4::BIGINT) WHERE id = $1`,
            [id, fields.role, fields.project_id, nowMicros(now)],
          );
          await this.tables.run('DELETE FROM user_invites WHERE user_id = $1', [id]);
        } else {
          await this.tables.run(
            `INSERT INTO users (id, email, name, role, project_id, status, created_at, updated_at)
             VALUES ($1, $2, NULL, $3, $4, 'invited', make_timestamp($5::BIGINT), make_timestamp($5::BIGINT))`,
            [id, email, fields.role, fields.project_id, nowMicros(now)],
          );
        }
        await this.tables.run(
          'INSERT INTO user_invites VALUES ($1, $2, make_timestamp($3::BIGINT), make_timestamp($4::BIGINT), NULL)',
          [digest(token).toString('hex'), id, nowMicros(now), nowMicros(expiresMs)],
        );
        await this.tables.run('COMMIT');
      } catch (err) {
        await this.tables.run('ROLLBACK').catch(() => {});
        throw err;
      }
      return { user: await this.reload(id), token, expires_at: new Date(expiresMs).toISOString() };
    });
  }

  /**
   * Redeems an invitation: sets the password and activates the user. Null
   * when the token is unknown, expired or already used (the same answer for
   * each, so a guess learns nothing); the token is spent either way it is used.
   */
  acceptInvite(token: string, password: string, name: string | null): Promise<UserRecord | null> {
    return this.tables.serial(async () => {
      if (!token.startsWith(INVITE_PREFIX)) return null;
      const hash = digest(token).toString('hex');
      const [invite] = await this.tables.rows(
        'SELECT user_id, epoch_us(expires_at) AS expires_us, used_at IS NOT NULL AS used FROM user_invites WHERE token_sha256 = $1', [hash]);
      if (!invite || invite.used === true || Number(invite.expires_us) <= nowMicros(this.now())) return null;
      const held = this.byId.get(invite.user_id as string);
      if (!held || held.record.status !== 'invited') return null;
      const passwordHash = await hashPassword(password);
      const now = nowMicros(this.now());
      await this.tables.run('BEGIN TRANSACTION');
      try {
        await this.tables.run('UPDATE user_invites SET used_at = make_timestamp($2::BIGINT) WHERE token_sha256 = $1', [hash, now]);
        await this.tables.run(
          `UPDATE users SET status = 'active', password_hash = $2, name = coalesce($3, name), updated_at = make_timestamp($4::BIGINT) WHERE id = $1`,
          [held.record.id, passwordHash, name, now],
        );
        await this.tables.run('COMMIT');
      } catch (err) {
        await this.tables.run('ROLLBACK').catch(() => {});
        throw err;
      }
      return this.reload(held.record.id);
    });
  }

  /**
   * The active user with this e-mail and password, or null. An unknown
   * address is checked against a decoy hash, so both answers take one
   * scrypt: the time does not tell which addresses exist.
   */
  async verify(email: string, password: string): Promise<UserRecord | null> {
    const user = this.byEmail(email);
    const held = user ? this.byId.get(user.id)! : null;
    const hash = held?.passwordHash ?? (await decoyPasswordHash());
    const ok = await verifyPassword(password, hash);
    if (!ok || !held || held.record.status !== 'active') return null;
    return this.tables.serial(async () => {
      await this.tables.run('UPDATE users SET last_login_at = make_timestamp($2::BIGINT) WHERE id = $1', [held.record.id, nowMicros(this.now())]);
      return this.reload(held.record.id);
    });
  }

  /** Null when unknown. */
  setRole(id: string, role: UserRole): Promise<UserRecord | null> {
    return this.tables.serial(async () => {
      if (!this.byId.has(id)) return null;
      await this.tables.run('UPDATE users SET role = $2, updated_at = make_timestamp($3::BIGINT) WHERE id = $1', [id, role, nowMicros(this.now())]);
      return this.reload(id);
    });
  }

  /** Deactivates (the record stays, for the audit trail); pending invitations stop working. Null when unknown. */
  deactivate(id: string): Promise<UserRecord | null> {
    return this.tables.serial(async () => {
      if (!this.byId.has(id)) return null;
      await this.tables.run(`UPDATE users SET status = 'deactivated', updated_at = make_timestamp($2::BIGINT) WHERE id = $1`, [id, nowMicros(this.now())]);
      await this.tables.run('DELETE FROM user_invites WHERE user_id = $1 AND used_at IS NULL', [id]);
      return this.reload(id);
    });
  }
}
