import type { DuckDBConnection } from '@duckdb/node-api';
import type { ExportProvenance } from './provenance.js';
import { SELECTION } from './selection.js';

/**
 * The Parquet export: DuckDB writes the selection (typed columns, the CSV's
 * metadata only, zstd) straight to `file`; the provenance block travels in
 * the file's key-value metadata (`lookspan.provenance` as JSON, and
 * `lookspan.sha256`, `.count`, `.truncated` alone).
 */
export async function writeParquet(conn: DuckDBConnection, file: string, p: ExportProvenance): Promise<void> {
  await conn.run(`
    COPY (
      SELECT trace_id AS id, name, framework, agent_name AS agent, session_id AS session, service_name AS service, started_at, ended_at,
        (epoch_us(ended_at) - epoch_us(started_at)) / 1000.0 AS duration_ms, status, span_count AS spans, error_count AS errors,
        llm_call_count AS llm_calls, tool_call_count AS tool_calls, input_tokens, output_tokens, input_tokens + output_tokens AS total_tokens,
        cost_usd, models
      FROM ${SELECTION} ORDER BY ord)
    TO $1 (FORMAT parquet, COMPRESSION zstd, KV_METADATA {
      'lookspan.provenance': $2, 'lookspan.sha256': $3, 'lookspan.count': $4, 'lookspan.truncated': $5 })`,
  [file, JSON.stringify(p), p.sha256, String(p.count), String(p.truncated)]);
}
