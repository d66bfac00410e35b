import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionStats } from './layout.js';
import { refreshRelations } from './relations.js';

/** How long data is kept: `days` for every project, `byProject` overriding it per project (0: forever). */
export interface RetentionPolicy {
  days: number;
  byProject?: Readonly<Record<string, number>>;
}

/** What retention drops (or would drop) of one project. */
export interface ProjectRetention {
  projectId: string;
  /** The project's days (its override, else the global days); 0 keeps it forever. */
  retentionDays: number;
  /** Rows of this project that started before this instant go (ISO, UTC); null when kept forever. */
  horizon: string | null;
  /** Lake date partitions (of every kind) wholly before the horizon's date, their files, bytes, and span, trace-summary and log rows. */
  lake: { partitions: number; files: number; bytes: number; spans: number; traces: number; logs: number };
  hot: { spans: number; traces: number; logs: number };
}

export interface RetentionResult {
  dryRun: boolean;
  /** The global days (projects without an override). */
  retentionDays: number;
  retentionByProject: Record<string, number>;
  /** The global horizon (ISO, UTC), null when the global days are 0; projects with an override have their own. */
  horizon: string | null;
  /** Every project the store holds, with its horizon and what goes; empty when no retention is configured. */
  projects: ProjectRetention[];
  partitions: PartitionStats[];
  files: number;
  hot: { spans: number; traces: number; logs: number };
  durationMs: number;
}

export interface RetentionOutcome extends RetentionResult {
  /** Dropped files (absolute), no longer recorded; the caller deletes them once readers that began before the commit are done. */
  retired: string[];
}

/** True when some project's data can expire at all. */
export function retentionConfigured(policy: RetentionPolicy): boolean {
  return policy.days > 0 || Object.values(policy.byProject ?? {}).some((d) => d > 0);
}

const daysFor = (policy: RetentionPolicy, project: string): number =>
  Object.prototype.hasOwnProperty.call(policy.byProject ?? {}, project) ? policy.byProject![project] : policy.days;

/** The hot spans that go with a horizon: started before it, or of a hot trace (partial summary) that did. */
const HOT_SPANS = `project_id = $1 AND (started_at < make_timestamp($2::BIGINT)
  OR trace_id IN (SELECT trace_id FROM traces WHERE project_id = $1 AND started_at < make_timestamp($2::BIGINT)))`;
const HOT_TRACES = 'project_id = $1 AND started_at < make_timestamp($2::BIGINT)';
const HOT_LOGS = 'project_id = $1 AND logged_at < make_timestamp($2::BIGINT)';
const LAKE_FILES = 'project_id = $1 AND date < $2';

/**
 * Drops what is older than each project's horizon (now minus its days):
 * every lake date partition of the project whose whole day lies before the
 * horizon (its `lake_files` records go and the relations are redefined, in
 * one transaction with the hot deletes; the caller then deletes its files),
 * and the project's hot traces and spans that started before the horizon.
 * A project's days are its `byProject` entry if it has one, else `days`;
 * 0 keeps that project's data. With `dryRun`, only reports what would go.
 */
export async function applyRetention(
  conn: DuckDBConnection, root: string, policy: RetentionPolicy, dryRun: boolean, now = new Date(),
): Promise<RetentionOutcome> {
  const t0 = performance.now();
  const byProject = { ...(policy.byProject ?? {}) };
  const horizonOf = (days: number) => (days > 0 ? now.getTime() - days * 86_400_000 : null);
  const globalHorizon = horizonOf(policy.days);
  const empty = (): RetentionOutcome => ({
    dryRun, retentionDays: policy.days, retentionByProject: byProject, horizon: globalHorizon === null ? null : new Date(globalHorizon).toISOString(),
    projects: [], partitions: [], files: 0, hot: { spans: 0, traces: 0, logs: 0 }, durationMs: performance.now() - t0, retired: [],
  });
  if (!retentionConfigured(policy)) return empty();

  const projectIds = (await conn.runAndReadAll(
    'SELECT project_id FROM lake_files UNION SELECT project_id FROM traces UNION SELECT project_id FROM spans UNION SELECT project_id FROM logs ORDER BY 1',
  )).getRows().map((r) => String(r[0]));
  const out = empty();
  const drops: Array<{ projectId: string; horizonUs: bigint; horizonDate: string }> = [];
  const files: string[] = [];
  for (const projectId of projectIds) {
    const days = daysFor(policy, projectId);
    const ms = horizonOf(days);
    const entry: ProjectRetention = {
      projectId, retentionDays: days, horizon: ms === null ? null : new Date(ms).toISOString(),
      lake: { partitions: 0, files: 0, bytes: 0, spans: 0, traces: 0, logs: 0 }, hot: { spans: 0, traces: 0, logs: 0 },
    };
    out.projects.push(entry);
    if (ms === null) continue;
    const horizonUs = BigInt(ms) * 1000n;
    const horizonDate = entry.horizon!.slice(0, 10);
    const parts = (await conn.runAndReadAll(
      `SELECT kind, date, count(*), sum(rows), sum(bytes) FROM lake_files WHERE ${LAKE_FILES} GROUP BY ALL`, [projectId, horizonDate],
    )).getRows();
    for (const [kind, date, n, rows, bytes] of parts) {
      const p: PartitionStats = { kind: String(kind), projectId, date: String(date), files: Number(n), rows: Number(rows), bytes: Number(bytes) };
      out.partitions.push(p);
      entry.lake.partitions++;
      entry.lake.files += p.files;
      entry.lake.bytes += p.bytes;
      entry.lake[p.kind === 'spans' ? 'spans' : p.kind === 'logs' ? 'logs' : 'traces'] += p.rows;
    }
    files.push(...(await conn.runAndReadAll(`SELECT path FROM lake_files WHERE ${LAKE_FILES} ORDER BY path`, [projectId, horizonDate]))
      .getRows().map((r) => String(r[0])));
    const hot = (await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM spans WHERE ${HOT_SPANS}), (SELECT count(*) FROM traces WHERE ${HOT_TRACES}), (SELECT count(*) FROM logs WHERE ${HOT_LOGS})`,
      [projectId, horizonUs],
    )).getRows()[0];
    entry.hot = { spans: Number(hot[0]), traces: Number(hot[1]), logs: Number(hot[2]) };
    out.hot.spans += entry.hot.spans;
    out.hot.traces += entry.hot.traces;
    out.hot.logs += entry.hot.logs;
    if (entry.lake.files > 0 || entry.hot.spans > 0 || entry.hot.traces > 0 || entry.hot.logs > 0) drops.push({ projectId, horizonUs, horizonDate });
  }
  out.partitions.sort((a, b) => a.date.localeCompare(b.date) || a.kind.localeCompare(b.kind) || a.projectId.localeCompare(b.projectId));
  out.files = files.length;
  const done = (retired: string[]): RetentionOutcome => ({ ...out, durationMs: performance.now() - t0, retired });
  if (dryRun || drops.length === 0) return done([]);

  await conn.run('BEGIN TRANSACTION');
  try {
    for (const d of drops) {
      // Spans first: their condition reads the hot trace rows deleted next.
      await conn.run(`DELETE FROM spans WHERE ${HOT_SPANS}`, [d.projectId, d.horizonUs]);
      await conn.run(`DELETE FROM traces WHERE ${HOT_TRACES}`, [d.projectId, d.horizonUs]);
      await conn.run(`DELETE FROM logs WHERE ${HOT_LOGS}`, [d.projectId, d.horizonUs]);
      await conn.run(`DELETE FROM lake_files WHERE ${LAKE_FILES}`, [d.projectId, d.horizonDate]);
    }
    if (files.length > 0) await refreshRelations(conn, root, () => true);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => {});
    throw err;
  }
  // Committed: no record names these files any more; the caller deletes them.
  return done(files.map((rel) => path.join(root, rel)));
}
