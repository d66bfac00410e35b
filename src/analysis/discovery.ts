import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, queryRows } from './rows.js';
import { SERVER_CALL_SQL } from './spans.js';

/**
 * Agents and MCP servers discovered in the stored spans: each name with
 * when it was first and last seen and how many spans named it (and how
 * many of those failed). Nothing happens on the ingest path: an agent is
 * discovered as soon as its spans are queryable, computed here from the
 * lake on demand. Days whose spans all sit in lake files are counted once
 * and kept per file set (a day's files change only when it is compacted or
 * dropped); days with hot rows are counted at every call (bench/agent-reads.ts).
 */
export interface SeenName {
  name: string;
  firstSeenAt: string;
  lastSeenAt: string;
  callCount: number;
  errorCount: number;
}

export interface Discovered {
  agents: Map<string, SeenName>;
  servers: Map<string, SeenName>;
  /** A day held more distinct names than DISCOVERY_MAX_NAMES_PER_DAY: its least-seen names are left out. */
  truncated: boolean;
}

/** Distinct names kept per kind and day (a sender inventing a name per span cannot fill the memory). */
export const DISCOVERY_MAX_NAMES_PER_DAY = 10_000;

interface DayCounts {
  fingerprint: string;
  rows: Array<{ kind: 'agent' | 'server'; seen: SeenName }>;
  truncated: boolean;
}

/** Counts of sealed days, per project and day, valid while the day's file set is the same. */
export class DiscoveryCache {
  private readonly days = new Map<string, DayCounts>();

  get(projectId: string, date: string, fingerprint: string): DayCounts | undefined {
    const d = this.days.get(`${projectId}\u0000${date}`);
    return d?.fingerprint === fingerprint ? d : undefined;
  }

  set(projectId: string, date: string, counts: DayCounts): void {
    this.days.set(`${projectId}\u0000${date}`, counts);
  }

  /** Forgets days that no longer exist (dropped by retention). */
  keepOnly(projectId: string, dates: Set<string>): void {
    for (const key of this.days.keys()) {
      const [p, d] = key.split('\u0000');
      if (p === projectId && !dates.has(d)) this.days.delete(key);
    }
  }
}

async function countDay(conn: DuckDBConnection, projectId: string, date: string): Promise<Omit<DayCounts, 'fingerprint'>> {
  const rows = await queryRows(conn, `
    SELECT * FROM (
      SELECT CASE WHEN grouping(agent_name) = 0 THEN 'agent' ELSE 'server' END AS kind,
        CASE WHEN grouping(agent_name) = 0 THEN agent_name ELSE server END AS name,
        ${isoSql('min(started_at)')} AS first_seen, ${isoSql('max(started_at)')} AS last_seen,
        count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors
      FROM (SELECT agent_name, CASE WHEN ${SERVER_CALL_SQL} THEN server_name END AS server, started_at, status FROM all_spans
        WHERE project_id = $1 AND started_at >= CAST($2 AS TIMESTAMP) AND started_at < CAST($2 AS TIMESTAMP) + INTERVAL 1 DAY
          AND (agent_name IS NOT NULL OR server_name IS NOT NULL))
      GROUP BY GROUPING SETS ((agent_name), (server)))
    WHERE name IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY kind ORDER BY calls DESC, name) <= $3 + 1`,
  [projectId, date, DISCOVERY_MAX_NAMES_PER_DAY]);
  const perKind = { agent: 0, server: 0 };
  const out: DayCounts['rows'] = [];
  let truncated = false;
  for (const r of rows) {
    const kind = r.kind as 'agent' | 'server';
    if (++perKind[kind] > DISCOVERY_MAX_NAMES_PER_DAY) {
      truncated = true;
      continue;
    }
    out.push({ kind, seen: { name: String(r.name), firstSeenAt: String(r.first_seen), lastSeenAt: String(r.last_seen), callCount: Number(r.calls), errorCount: Number(r.errors) } });
  }
  return { rows: out, truncated };
}

/** Every agent and server the project's stored spans name, with first/last seen and counts (in the caller's snapshot). */
export async function discoveredNames(conn: DuckDBConnection, projectId: string, cache?: DiscoveryCache): Promise<Discovered> {
  const files = await queryRows(conn, `
    SELECT date, string_agg(path, ',' ORDER BY path) AS fingerprint FROM lake_files
    WHERE kind = 'spans' AND project_id = $1 GROUP BY date`, [projectId]);
  const hot = await queryRows(conn, `SELECT DISTINCT strftime(started_at, '%Y-%m-%d') AS date FROM spans WHERE project_id = $1`, [projectId]);
  const hotDates = new Set(hot.map((r) => String(r.date)));
  const dates = new Map<string, string>(files.map((r) => [String(r.date), String(r.fingerprint)]));
  for (const d of hotDates) if (!dates.has(d)) dates.set(d, '');
  cache?.keepOnly(projectId, new Set(dates.keys()));
  const out: Discovered = { agents: new Map(), servers: new Map(), truncated: false };
  for (const [date, fingerprint] of [...dates].sort()) {
    const sealed = !hotDates.has(date);
    let day = sealed ? cache?.get(projectId, date, fingerprint) : undefined;
    if (day === undefined) {
      day = { fingerprint, ...(await countDay(conn, projectId, date)) };
      if (sealed) cache?.set(projectId, date, day);
    }
    out.truncated ||= day.truncated;
    for (const { kind, seen } of day.rows) {
      const into = kind === 'agent' ? out.agents : out.servers;
      const prev = into.get(seen.name);
      // Days are walked oldest first, so the first day seen has the first time and the last the last.
      into.set(seen.name, prev === undefined ? { ...seen } : {
        name: seen.name, firstSeenAt: prev.firstSeenAt, lastSeenAt: seen.lastSeenAt,
        callCount: prev.callCount + seen.callCount, errorCount: prev.errorCount + seen.errorCount,
      });
    }
  }
  return out;
}
