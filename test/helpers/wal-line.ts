import { hexId } from './otlp-json.js';

/** A WAL line as the pipeline writes it (column names as keys, times in µs), without the newline; `extra` overrides columns. */
export function walLine(traceId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    project_id: 'default', trace_id: traceId, span_id: hexId(8), parent_span_id: null,
    started_us: 1_700_000_000_000_000, ended_us: 1_700_000_000_500_000, duration_ms: 500,
    name: 'chat', span_kind: 'client', type: 'llm_call', status: 'ok', status_message: null, error_type: null,
    service_name: 'svc', scope_name: null, framework: 'custom', session_id: null, user_id: null, agent_name: null,
    provider: 'openai', operation: 'chat', request_model: 'gpt-4o', response_model: null,
    input_tokens: 10, output_tokens: 5, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null,
    cost_usd: null, cost_source: 'unknown', finish_reason: null, tool_name: null, tool_call_id: null, server_name: null,
    mcp_method: null, mcp_session_id: null, mcp_resource_uri: null, input: null, output: null,
    attributes: {}, resource: {}, events: [], links: [], ...extra,
  });
}
