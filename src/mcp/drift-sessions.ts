import { queryRows } from '../analysis/rows.js';
import type { Database } from '../store/index.js';

/** Sessions tagged per drift at most (a drift of a busy tool is reported, not turned into an unbounded write). */
export const MAX_TAGGED_SESSIONS = 1000;

export interface DriftSession {
  project_id: string;
  session_id: string;
  agent_name: string | null;
}

/**
 * The sessions, of every project, that called one of `tools` on `server`
 * between the last check that saw the old schema and the check that saw the
 * new one (`fromUs`..`toUs`, span start): the agent may have been given
 * either schema, so the session is one a schema changed under.
 */
export async function sessionsUsingTools(db: Database, server: string, tools: readonly string[], fromUs: number, toUs: number): Promise<DriftSession[]> {
  if (tools.length === 0) return [];
  const names = tools.map((_, i) => `$${i + 5}`).join(', ');
  return db.withSnapshot(async (conn) => (await queryRows(conn, `
    SELECT project_id, session_id, any_value(agent_name) AS agent_name FROM all_spans
    WHERE server_name = $1 AND session_id IS NOT NULL AND started_at >= make_timestamp($2::BIGINT) AND started_at <= make_timestamp($3::BIGINT)
      AND tool_name IN (${names})
    GROUP BY project_id, session_id ORDER BY project_id, session_id LIMIT $4`, [server, fromUs, toUs, MAX_TAGGED_SESSIONS, ...tools]))
    .map((r) => ({ project_id: r.project_id as string, session_id: r.session_id as string, agent_name: (r.agent_name as string | null) ?? null })));
}
