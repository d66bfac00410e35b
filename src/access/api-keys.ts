import { randomBytes } from 'node:crypto';
import type { Role } from './roles.js';
import { digest, randomToken, secretMatches } from './hashing.js';
import { AccessTables, isoFromMicros, nowMicros } from './tables.js';

/** An API-created key as listed: never the key itself, which is shown once, at creation. */
export interface ApiKeyRecord {
  id: string;
  /** The key's public prefix (`lsk_<id>`), to recognise it in a list or the audit log. */
  prefix: string;
  name: string;
  role: Role;
  project_id: string | null;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
}

interface Held {
  record: ApiKeyRecord;
  sha256: Buffer;
}

/**
 * `lsk_<12 hex id>_<43 base64url chars: 256 random bits>`. The id is public
 * and finds the record without comparing against every key; the whole key
 * is then checked against its stored SHA-256 in constant time.
 */
const KEY_FORM = /^lsk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
export const API_KEY_PREFIX = 'lsk_';

const SELECT = `SELECT id, name, role, project_id, key_sha256, epoch_us(created_at) AS created_us, created_by,
  epoch_us(revoked_at) AS revoked_us FROM api_keys`;

/**
 * Keys created through POST /api/keys: stored as SHA-256 hashes only, held
 * in memory (a request never waits for DuckDB to authenticate), revocable.
 */
export class ApiKeys {
  private byId = new Map<string, Held>();

  private constructor(private readonly tables: AccessTables) {}

  static async open(tables: AccessTables): Promise<ApiKeys> {
    const keys = new ApiKeys(tables);
    for (const r of await tables.rows(`${SELECT} ORDER BY created_at`)) keys.hold(r);
    return keys;
  }

  private hold(r: Record<string, unknown>): Held {
    const id = r.id as string;
    const held: Held = {
      sha256: Buffer.from(r.key_sha256 as string, 'hex'),
      record: {
        id, prefix: `${API_KEY_PREFIX}${id}`, name: r.name as string, role: r.role as Role,
        project_id: (r.project_id as string | null) ?? null,
        created_at: isoFromMicros(r.created_us)!, created_by: (r.created_by as string | null) ?? null,
        revoked_at: isoFromMicros(r.revoked_us),
      },
    };
    this.byId.set(id, held);
    return held;
  }

  /** Creates a key; the returned `key` is the only time it exists outside the caller. */
  create(fields: { name: string; role: Role; project_id: string | null; created_by: string }): Promise<{ record: ApiKeyRecord; key: string }> {
    return this.tables.serial(async () => {
      let id = randomBytes(6).toString('hex');
      while (this.byId.has(id)) id = randomBytes(6).toString('hex');
      const key = `${API_KEY_PREFIX}${id}_${randomToken(32)}`;
      await this.tables.run(
        `INSERT INTO api_keys (id, name, role, project_id, key_sha256, created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, make_timestamp($6::BIGINT), $7)`,
        [id, fields.name, fields.role, fields.project_id, digest(key).toString('hex'), nowMicros(), fields.created_by],
      );
      const [row] = await this.tables.rows(`${SELECT} WHERE id = $1`, [id]);
      return { record: this.hold(row).record, key };
    });
  }

  /** Revokes a key (it stops working at once); null when unknown, the record as it was when already revoked. */
  revoke(id: string): Promise<ApiKeyRecord | null> {
    return this.tables.serial(async () => {
      const held = this.byId.get(id);
      if (!held) return null;
      if (held.record.revoked_at !== null) return held.record;
      await this.tables.run('UPDATE api_keys SET revoked_at = make_timestamp($2::BIGINT) WHERE id = $1', [id, nowMicros()]);
      const [row] = await this.tables.rows(`${SELECT} WHERE id = $1`, [id]);
      return this.hold(row).record;
    });
  }

  /** Revokes every live key bound to `project` (the project is being deleted); the ids revoked. */
  revokeProject(project: string): Promise<string[]> {
    return this.tables.serial(async () => {
      const ids = [...this.byId.values()].filter((h) => h.record.project_id === project && h.record.revoked_at === null).map((h) => h.record.id);
      if (ids.length === 0) return [];
      await this.tables.run('UPDATE api_keys SET revoked_at = make_timestamp($2::BIGINT) WHERE project_id = $1 AND revoked_at IS NULL', [project, nowMicros()]);
      for (const r of await this.tables.rows(`${SELECT} WHERE project_id = $1`, [project])) this.hold(r);
      return ids;
    });
  }

  get(id: string): ApiKeyRecord | null {
    return this.byId.get(id)?.record ?? null;
  }

  /** Every key, newest first; only those bound to `project` when given. */
  list(project?: string): ApiKeyRecord[] {
    return [...this.byId.values()].map((h) => h.record)
      .filter((r) => project === undefined || r.project_id === project)
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
  }

  /** Keys that still work. */
  activeCount(): number {
    let n = 0;
    for (const h of this.byId.values()) if (h.record.revoked_at === null) n++;
    return n;
  }

  /** Whether `presented` looks like one of these keys (then it is judged here, never against the static keys). */
  static claims(presented: string): boolean {
    return presented.startsWith(API_KEY_PREFIX);
  }

  /** The live key `presented` is, or null (unknown, malformed, revoked, or a wrong secret for a known id). */
  resolve(presented: string): ApiKeyRecord | null {
    const m = KEY_FORM.exec(presented);
    if (!m) return null;
    const held = this.byId.get(m[1]);
    if (!held || !secretMatches(presented, held.sha256)) return null;
    return held.record.revoked_at === null ? held.record : null;
  }
}
