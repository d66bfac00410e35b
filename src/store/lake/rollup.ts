import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlPath } from './layout.js';

/**
 * Hourly rollups of the lake's span files: for each span file, one row per
 * hour of span start and group (model, provider, the span's own agent,
 * MCP server, tool, whether it is a model call and whether a tool span)
 * with counts, token sums and compensated cost and duration sums. A row
 * names the file it was computed from, so the rollups follow `lake_files`
 * exactly: a seal or compaction that records a file adds its rows, a
 * compaction or retention that drops a file drops them (`syncRollups`, run
 * by refreshRelations inside the transaction that changes the file set).
 * The sums depend on nothing outside one span (no trace, no window), so
 * an aggregate over whole hours reads these rows instead of the spans and
 * gets the answer the spans give; the hot rows are rolled up live by the
 * `all_span_rollups` view, so a seal changes nothing.
 */

/**
 * A span that is a model call: an llm_call or embedding span, or any span
 * reporting tokens or a cost (an agent span that only names its model,
 * such as the AI SDK's outer ai.generateText, is not).
 */
export const IS_CALL_SQL = "(type IN ('llm_call', 'embedding') OR input_tokens IS NOT NULL OR output_tokens IS NOT NULL OR cost_usd IS NOT NULL)";
/** A model call with tokens but no cost: no price matched (counted, never a silent 0). */
export const IS_UNPRICED_SQL = '(cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL))';

/** The columns of `lake_rollups` after `path`, in order (also those of `all_span_rollups`). */
export const ROLLUP_COLUMNS = [
  'project_id', 'hour', 'model', 'provider', 'agent_name', 'server_name', 'tool_name', 'is_call', 'is_tool',
  'spans', 'errors', 'llm_spans', 'tool_spans', 'unpriced', 'cost_usd',
  'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'duration_ms',
] as const;

/** The rollup rows (ROLLUP_COLUMNS) of `source`, any relation with the span columns and `project_id`. */
export function rollupSelect(source: string): string {
  return `SELECT project_id, date_trunc('hour', started_at) AS hour, coalesce(response_model, request_model) AS model, provider,
      agent_name, server_name, tool_name, ${IS_CALL_SQL} AS is_call, tool_name IS NOT NULL AS is_tool,
      count(*)::BIGINT AS spans, count(*) FILTER (WHERE status = 'error')::BIGINT AS errors,
      count(*) FILTER (WHERE type = 'llm_call')::BIGINT AS llm_spans, count(*) FILTER (WHERE type = 'tool_call')::BIGINT AS tool_spans,
      count(*) FILTER (WHERE ${IS_UNPRICED_SQL})::BIGINT AS unpriced, fsum(cost_usd) AS cost_usd,
      sum(input_tokens)::HUGEINT AS input_tokens, sum(output_tokens)::HUGEINT AS output_tokens,
      sum(cache_read_tokens)::HUGEINT AS cache_read_tokens, sum(cache_write_tokens)::HUGEINT AS cache_write_tokens,
      sum(reasoning_tokens)::HUGEINT AS reasoning_tokens, fsum(duration_ms) AS duration_ms
    FROM (${source}) GROUP BY ALL`;
}

/** The span columns a rollup reads (a rollup of a lake file reads these alone). */
const READ_COLUMNS = [
  'project_id', 'started_at', 'response_model', 'request_model', 'provider', 'agent_name', 'server_name', 'tool_name', 'type', 'status',
  'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'cost_usd', 'duration_ms',
].join(', ');

/**
 * Brings `lake_rollups` in line with the span files `lake_files` records:
 * rows of files no longer recorded go, and each recorded span file with no
 * rows yet (new from a seal or compaction, or from before rollups existed)
 * is rolled up from the file. `present` leaves out files missing on disk,
 * as the relations do. Runs in the caller's transaction.
 */
export async function syncRollups(conn: DuckDBConnection, lakeRoot: string, present: (abs: string) => boolean): Promise<number> {
  await conn.run(`DELETE FROM lake_rollups WHERE path NOT IN (SELECT path FROM lake_files WHERE kind = 'spans')`);
  const todo = (await conn.runAndReadAll(
    `SELECT path FROM lake_files WHERE kind = 'spans' AND path NOT IN (SELECT DISTINCT path FROM lake_rollups) ORDER BY path`,
  )).getRows().map((r) => String(r[0]));
  let added = 0;
  for (const rel of todo) {
    const abs = `${lakeRoot}/${rel}`;
    if (!present(abs)) continue;
    const scan = `SELECT ${READ_COLUMNS} FROM read_parquet(${sqlPath(abs)}, hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`;
    await conn.run(`INSERT INTO lake_rollups SELECT ${sqlPath(rel)}, * FROM (${rollupSelect(scan)})`);
    added++;
  }
  return added;
}

/**
 * `all_span_rollups`: the rollup rows of the present lake files and of the
 * hot spans (rolled up at each read; the hot rows are bounded), so a read
 * over whole hours sees hot rows and files together, before and after a seal.
 */
export async function defineRollupRelation(conn: DuckDBConnection, missing: readonly string[]): Promise<void> {
  const cols = ROLLUP_COLUMNS.join(', ');
  const present = missing.length === 0 ? '' : ` WHERE path NOT IN (${missing.map(sqlPath).join(', ')})`;
  await conn.run(`CREATE OR REPLACE VIEW all_span_rollups AS
    SELECT ${cols} FROM lake_rollups${present}
    UNION ALL ${rollupSelect(`SELECT ${READ_COLUMNS} FROM spans`)}`);
}
