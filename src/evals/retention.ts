import type { EvalConnection } from './connection.js';

/** The tables whose rows are about one trace and leave with it. */
const PER_TRACE = ['scores', 'eval_replays', 'eval_judgements'] as const;
const DAY_US = 86_400_000_000;

/**
 * Deletes scores, replays and judgements of traces that started before
 * the retention horizon (storage.retentionDays, per project
 * storage.retentionByProject; 0 keeps forever), the same horizon that
 * drops the traces' lake partitions, so these tables stay bounded by the
 * history kept. Returns the rows deleted.
 */
export async function pruneExpired(conn: EvalConnection, days: number, byProject: Record<string, number>, nowUs = Date.now() * 1000): Promise<number> {
  return conn.serial(async () => {
    let deleted = 0;
    const own = Object.keys(byProject);
    for (const table of PER_TRACE) {
      if (days > 0) {
        const marks = own.map((_, i) => `$${i + 2}`).join(', ');
        const r = await conn.plain(
          `DELETE FROM ${table} WHERE trace_started_at < make_timestamp($1::BIGINT)${own.length > 0 ? ` AND project_id NOT IN (${marks})` : ''} RETURNING 1`,
          [nowUs - days * DAY_US, ...own],
        );
        deleted += r.length;
      }
      for (const [project, d] of Object.entries(byProject)) {
        if (d <= 0) continue;
        const r = await conn.plain(`DELETE FROM ${table} WHERE project_id = $1 AND trace_started_at < make_timestamp($2::BIGINT) RETURNING 1`, [project, nowUs - d * DAY_US]);
        deleted += r.length;
      }
    }
    return deleted;
  });
}
