import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { spanRangeSource } from '../store/lake/range-source.js';
import { ROLLUP_COLUMNS, rollupSelect } from '../store/lake/rollup.js';
import type { TimeWindow } from './window.js';

const HOUR_US = 3_600_000_000;

/**
 * The hourly rollup rows (store/lake/rollup.ts columns) of the project's
 * spans started in a window, as a relation body: the whole hours inside
 * the window from `all_span_rollups` (lake files and hot rows), the
 * partial hours at its two ends rolled up from their spans (hot rows and
 * the span files whose start range overlaps them). Any sum or
 * count over span fields that the rollup keeps is then the same as over
 * the spans; its cost follows the hours and groups, not the spans.
 * Parameters: $1 the project id; the bounds are appended through `add`.
 */
export async function windowRollups(conn: DuckDBConnection, q: TimeWindow & { projectId: string }, add: (v: DuckDBValue) => string): Promise<string> {
  const cols = ROLLUP_COLUMNS.join(', ');
  const first = Math.ceil(q.fromUs / HOUR_US) * HOUR_US;
  const last = Math.floor(q.toUs / HOUR_US) * HOUR_US;
  // The partial hours read only the span files of their time (lake_files' start ranges), not every file.
  const spans = async (lo: number, hi: number) => rollupSelect(await spanRangeSource(conn, q.projectId, lo, hi, add));
  if (first >= last) return spans(q.fromUs, q.toUs);
  const parts = [`SELECT ${cols} FROM all_span_rollups
    WHERE project_id = $1 AND hour >= make_timestamp(${add(first)}::BIGINT) AND hour < make_timestamp(${add(last)}::BIGINT)`];
  if (q.fromUs < first) parts.push(await spans(q.fromUs, first));
  if (last < q.toUs) parts.push(await spans(last, q.toUs));
  return parts.map((p) => `(${p})`).join(' UNION ALL ');
}
