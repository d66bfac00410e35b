import type { DuckDBConnection } from '@duckdb/node-api';
import { isoSql, queryRows } from './rows.js';
import { SERVER_CALL_SQL } from './spans.js';

/**
 * Agents and MCP servers discovered in the stored spans: each name with
 * when it was first and last seen and how many spans named it (and how
 * many of those failed). Nothing happens on the ingest path: an agent is
 * discovered as soon as its spans are queryable, computed here from the
 * lake on demand, one hour (of span start) at a time. An hour whose spans
 * all sit in lake files is counted once and kept while the set of files
 * whose start range covers it is the same (a seal covering it, a
 * compaction or retention changes the set, and the hour is counted again);
 * hours with hot rows are counted at every call. So a request counts the
 * recent, still-hot hours, not the day or the history (bench/agent-reads.ts).
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
  /** An hour held more distinct names than DISCOVERY_MAX_NAMES_PER_HOUR: its least-seen names are left out. */
  truncated: boolean;
}

/** Distinct names kept per kind and hour (a sender inventing a name per span cannot fill the memory). */
export const DISCOVERY_MAX_NAMES_PER_HOUR = 2000;

const HOUR_US = 3_600_000_000;
const hourOf = (us: number) => Math.floor(us / HOUR_US) * HOUR_US;

interface HourCounts {
  fingerprint: string;
  rows: Array<{ kind: 'agent' | 'server'; seen: SeenName }>;
  truncated: boolean;
}

/** Counts of sealed hours, per project and hour, valid while the files covering the hour are the same. */
export class DiscoveryCache {
  private readonly hours = new Map<string, HourCounts>();

  get(projectId: string, hourUs: number, fingerprint: string): HourCounts | undefined {
    const d = this.hours.get(`${projectId}\u0000${hourUs}`);
    return d?.fingerprint === fingerprint ? d : undefined;
  }

  set(projectId: string, hourUs: number, counts: HourCounts): void {
    this.hours.set(`${projectId}\u0000${hourUs}`, counts);
  }

  /** Forgets hours that no longer hold spans (dropped by retention). */
  keepOnly(projectId: string, hours: Set<number>): void {
    for (const key of this.hours.keys()) {
      const [p, h] = key.split('\u0000');
      if (p === projectId && !hours.has(Number(h))) this.hours.delete(key);
    }
  }
}

/** Counts the hours in [fromUs, toUs) (one scan; the start bounds skip files and row groups outside them). */
async function countHours(conn: DuckDBConnection, projectId: string, fromUs: number, toUs: number): Promise<Map<number, Omit<HourCounts, 'fingerprint'>>> {
  const rows = await queryRows(conn, `
    SELECT * FROM (
      SELECT hour_us, CASE WHEN grouping(agent_name) = 0 THEN 'agent' ELSE 'server' END AS kind,
        CASE WHEN grouping(agent_name) = 0 THEN agent_name ELSE server END AS name,
        ${isoSql('min(started_at)')} AS first_seen, ${isoSql('max(started_at)')} AS last_seen,
        count(*) AS calls, count(*) FILTER (WHERE status = 'error') AS errors
      FROM (SELECT epoch_us(date_trunc('hour', started_at)) AS hour_us, agent_name,
              CASE WHEN ${SERVER_CALL_SQL} THEN server_name END AS server, started_at, status FROM all_spans
            WHERE project_id = $1 AND started_at >= make_timestamp($2::BIGINT) AND started_at < make_timestamp($3::BIGINT)
              AND (agent_name IS NOT NULL OR server_name IS NOT NULL))
      GROUP BY GROUPING SETS ((hour_us, agent_name), (hour_us, server)))
    WHERE name IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY hour_us, kind ORDER BY calls DESC, name) <= $4 + 1`,
  [projectId, fromUs, toUs, DISCOVERY_MAX_NAMES_PER_HOUR]);
  const out = new Map<number, Omit<HourCounts, 'fingerprint'>>();
  for (let h = fromUs; h < toUs; h += HOUR_US) out.set(h, { rows: [], truncated: false });
  const perKind = new Map<string, number>();
  for (const r of rows) {
    const hour = out.get(Number(r.hour_us))!;
    const kind = r.kind as 'agent' | 'server';
    const k = `${r.hour_us}/${kind}`;
    perKind.set(k, (perKind.get(k) ?? 0) + 1);
    if (perKind.get(k)! > DISCOVERY_MAX_NAMES_PER_HOUR) {
      hour.truncated = true;
      continue;
    }
    hour.rows.push({ kind, seen: { name: String(r.name), firstSeenAt: String(r.first_seen), lastSeenAt: String(r.last_seen), callCount: Number(r.calls), errorCount: Number(r.errors) } });
  }
  return out;
}

/** Every agent and server the project's stored spans name, with first/last seen and counts (in the caller's snapshot). */
export async function discoveredNames(conn: DuckDBConnection, projectId: string, cache?: DiscoveryCache): Promise<Discovered> {
  // Which files cover which hours, and which hours have hot rows: the catalog and the hot table's starts only.
  const files = await queryRows(conn, `
    SELECT path, epoch_us(min_started_at) AS lo, epoch_us(max_started_at) AS hi FROM lake_files
    WHERE kind = 'spans' AND project_id = $1 ORDER BY path`, [projectId]);
  const hot = await queryRows(conn, `SELECT DISTINCT epoch_us(date_trunc('hour', started_at)) AS h FROM spans WHERE project_id = $1`, [projectId]);
  const covering = new Map<number, string[]>();
  for (const f of files) {
    // A file holds one date's spans: at most 24 hours.
    for (let h = hourOf(Number(f.lo)); h <= Number(f.hi); h += HOUR_US) covering.set(h, [...(covering.get(h) ?? []), String(f.path)]);
  }
  const hotHours = new Set(hot.map((r) => Number(r.h)));
  for (const h of hotHours) if (!covering.has(h)) covering.set(h, []);
  cache?.keepOnly(projectId, new Set(covering.keys()));
  const hours = [...covering.keys()].sort((a, b) => a - b);
  const counted = new Map<number, Omit<HourCounts, 'fingerprint'>>();
  const stale = hours.filter((h) => hotHours.has(h) || cache?.get(projectId, h, covering.get(h)!.join(',')) === undefined);
  // Consecutive stale hours are counted by one scan.
  for (let i = 0; i < stale.length;) {
    let j = i;
    while (j + 1 < stale.length && stale[j + 1] === stale[j] + HOUR_US) j++;
    for (const [h, c] of await countHours(conn, projectId, stale[i], stale[j] + HOUR_US)) counted.set(h, c);
    i = j + 1;
  }
  const out: Discovered = { agents: new Map(), servers: new Map(), truncated: false };
  for (const h of hours) {
    const fingerprint = covering.get(h)!.join(',');
    // Every hour not counted above is in the cache (without a cache every hour is counted).
    const hour: HourCounts = counted.has(h) ? { fingerprint, ...counted.get(h)! } : cache!.get(projectId, h, fingerprint)!;
    if (counted.has(h) && !hotHours.has(h)) cache?.set(projectId, h, hour);
    out.truncated ||= hour.truncated;
    for (const { kind, seen } of hour.rows) {
      const into = kind === 'agent' ? out.agents : out.servers;
      const prev = into.get(seen.name);
      // Hours are walked oldest first, so the first hour seen has the first time and the last the last.
      into.set(seen.name, prev === undefined ? { ...seen } : {
        name: seen.name, firstSeenAt: prev.firstSeenAt, lastSeenAt: seen.lastSeenAt,
        callCount: prev.callCount + seen.callCount, errorCount: prev.errorCount + seen.errorCount,
      });
    }
  }
  return out;
}
