import { AccessTables, isoFromMicros, nowMicros } from './tables.js';

/** The project every span without one lands in; it always exists and cannot be deleted. */
export const DEFAULT_PROJECT = 'default';

export interface ProjectRecord {
  id: string;
  name: string;
  created_at: string | null;
  updated_at: string | null;
}

const SELECT = 'SELECT id, name, epoch_us(created_at) AS created_us, epoch_us(updated_at) AS updated_us FROM projects';

const toRecord = (r: Record<string, unknown>): ProjectRecord => ({
  id: r.id as string, name: r.name as string, created_at: isoFromMicros(r.created_us), updated_at: isoFromMicros(r.updated_us),
});

/** Registered projects (POST /api/projects), held in memory; `default` is implicit. */
export class Projects {
  private byId = new Map<string, ProjectRecord>();

  private constructor(private readonly tables: AccessTables) {}

  static async open(tables: AccessTables): Promise<Projects> {
    const p = new Projects(tables);
    for (const r of await tables.rows(SELECT)) p.byId.set(r.id as string, toRecord(r));
    return p;
  }

  get(id: string): ProjectRecord | null {
    if (id === DEFAULT_PROJECT && !this.byId.has(id)) return { id, name: 'Default', created_at: null, updated_at: null };
    return this.byId.get(id) ?? null;
  }

  /** `default` first, then by id. */
  list(): ProjectRecord[] {
    const all = [...this.byId.values()];
    if (!this.byId.has(DEFAULT_PROJECT)) all.push(this.get(DEFAULT_PROJECT)!);
    return all.sort((a, b) => (a.id === DEFAULT_PROJECT ? -1 : b.id === DEFAULT_PROJECT ? 1 : a.id.localeCompare(b.id)));
  }

  /** Null when the id is taken (default included). */
  create(id: string, name: string): Promise<ProjectRecord | null> {
    return this.tables.serial(async () => {
      if (this.get(id) !== null) return null;
      const now = nowMicros();
      await this.tables.run('INSERT INTO projects VALUES ($1, $2, make_timestamp($3::BIGINT), make_timestamp($3::BIGINT))', [id, name, now]);
      return this.reload(id);
    });
  }

  /** Renames; `default` is registered on its first rename. Null when unknown. */
  rename(id: string, name: string): Promise<ProjectRecord | null> {
    return this.tables.serial(async () => {
      if (this.get(id) === null) return null;
      const now = nowMicros();
      if (this.byId.has(id)) await this.tables.run('UPDATE projects SET name = $2, updated_at = make_timestamp($3::BIGINT) WHERE id = $1', [id, name, now]);
      else await this.tables.run('INSERT INTO projects VALUES ($1, $2, make_timestamp($3::BIGINT), make_timestamp($3::BIGINT))', [id, name, now]);
      return this.reload(id);
    });
  }

  /** False when unknown. */
  remove(id: string): Promise<boolean> {
    return this.tables.serial(async () => {
      if (!this.byId.has(id)) return false;
      await this.tables.run('DELETE FROM projects WHERE id = $1', [id]);
      this.byId.delete(id);
      return true;
    });
  }

  private async reload(id: string): Promise<ProjectRecord> {
    const [row] = await this.tables.rows(`${SELECT} WHERE id = $1`, [id]);
    const rec = toRecord(row);
    this.byId.set(id, rec);
    return rec;
  }
}
