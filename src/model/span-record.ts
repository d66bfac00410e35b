/**
 * The normalized span: one row per span in the store, the shape every
 * receiver converges on (DESIGN.md, "The normalized span").
 *
 * Field names are the column names, so a record serializes straight into a
 * WAL line and loads into DuckDB without a mapping table.
 */
export type SpanType =
  | 'llm_call' | 'tool_call' | 'agent' | 'chain' | 'retriever' | 'embedding' | 'mcp' | 'other';
export type SpanStatus = 'ok' | 'error' | 'cancelled' | 'unset';
export type CostSource = 'reported' | 'computed' | 'unknown';

export interface SpanRecord {
  project_id: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  /** Microseconds since the Unix epoch. */
  started_us: number;
  ended_us: number;
  duration_ms: number;
  name: string;
  /** OTel SpanKind name: internal, server, client, producer, consumer, unspecified. */
  span_kind: string;
  type: SpanType;
  status: SpanStatus;
  status_message: string | null;
  error_type: string | null;
  service_name: string | null;
  scope_name: string | null;
  framework: string | null;
  session_id: string | null;
  user_id: string | null;
  agent_name: string | null;
  provider: string | null;
  operation: string | null;
  request_model: string | null;
  response_model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  cost_source: CostSource;
  finish_reason: string | null;
  tool_name: string | null;
  tool_call_id: string | null;
  server_name: string | null;
  mcp_method: string | null;
  mcp_session_id: string | null;
  mcp_resource_uri: string | null;
  /** Normalized JSON text (message lists where the convention has them). */
  input: string | null;
  output: string | null;
  attributes: Record<string, AttrValue>;
  resource: Record<string, AttrValue>;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
}

/** An OTLP AnyValue after decoding: int64 as number when safe, else decimal string; bytes as base64. */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

export interface SpanEventRecord {
  time_us: number;
  name: string;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  trace_id: string;
  span_id: string;
  attributes: Attributes;
}
