import { AccessTables, isoFromMicros, nowMicros } from './tables.js';

/** A project's settings (GET/PUT /api/settings). */
export interface ProjectSettings {
  /** Spans ingested while on are stored without input, output and payload-bearing attributes. */
  redact_payloads: boolean;
}

export const DEFAULT_SETTINGS: ProjectSettings = { redact_payloads: false };

/**
 * Settings per project, held in memory: the ingest pipeline asks for every
 * span (`redactPayloads`), so the answer must be a map lookup, and a change
 * applies to spans ingested after the PUT returns.
 */
export class SettingsTable {
  private byProject = new Map<string, ProjectSettings & { updated_at: string | null }>();

  private constructor(private readonly tables: AccessTables) {}

  static async open(tables: AccessTables): Promise<SettingsTable> {
    const s = new SettingsTable(tables);
    for (const r of await tables.rows('SELECT project_id, redact_payloads, epoch_us(updated_at) AS updated_us FROM project_settings')) {
      s.byProject.set(r.project_id as string, { redact_payloads: r.redact_payloads === true, updated_at: isoFromMicros(r.updated_us) });
    }
    return s;
  }

  get(project: string): ProjectSettings & { updated_at: string | null } {
    return this.byProject.get(project) ?? { ...DEFAULT_SETTINGS, updated_at: null };
  }

  /** Whether spans of `project` are stored without payloads. */
  readonly redactPayloads = (project: string): boolean => this.byProject.get(project)?.redact_payloads === true;

  update(project: string, patch: Partial<ProjectSettings>): Promise<ProjectSettings & { updated_at: string | null }> {
    return this.tables.serial(async () => {
      const next = { ...DEFAULT_SETTINGS, ...this.get(project), ...patch };
      const now = nowMicros();
      await this.tables.run(
        `INSERT INTO project_settings VALUES ($1, $2, make_timestamp($3::BIGINT))
         ON CONFLICT (project_id) DO UPDATE SET redact_payloads = excluded.redact_payloads, updated_at = excluded.updated_at`,
        [project, next.redact_payloads, now],
      );
      const stored = { redact_payloads: next.redact_payloads, updated_at: isoFromMicros(now) };
      this.byProject.set(project, stored);
      return stored;
    });
  }

  /** Forgets a deleted project's settings. */
  remove(project: string): Promise<void> {
    return this.tables.serial(async () => {
      this.byProject.delete(project);
      await this.tables.run('DELETE FROM project_settings WHERE project_id = $1', [project]);
    });
  }
}
