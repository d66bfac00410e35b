import { createHash } from 'node:crypto';
import type { SemanticSpan } from '../index.js';
import { capPayload } from '../payload.js';
import { jsonText } from '../fields.js';
import type { Attributes, AttrValue } from '../../model/span-record.js';

/** A SemanticSpan with every optional field unknown; native receivers fill in what they were told. */
export function blankSemanticSpan(traceId: string, spanId: string, name: string, startUs: number, endUs: number): SemanticSpan {
  return {
    trace_id: traceId, span_id: spanId, parent_span_id: null,
    started_us: startUs, ended_us: endUs, duration_ms: Math.max(0, (endUs - startUs) / 1000),
    name, span_kind: 'internal', type: 'other', status: 'unset', status_message: null, error_type: null,
    service_name: null, scope_name: null, framework: null, session_id: null, user_id: null, agent_name: null,
    provider: null, operation: null, request_model: null, response_model: null,
    input_tokens: null, output_tokens: null, cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null,
    reported_cost_usd: null, finish_reason: null,
    tool_name: null, tool_call_id: null, server_name: null, mcp_method: null, mcp_session_id: null, mcp_resource_uri: null,
    input: null, output: null, attributes: {}, resource: {}, events: [], links: [],
  };
}

/** Any JSON value as payload text (by the same rule as attribute payloads), capped and marked when cut. */
export function payloadText(v: unknown, maxBytes: number): string | null {
  if (v === undefined || v === null) return null;
  return capPayload(jsonText(v as AttrValue), maxBytes);
}

/** A stable id for a span sent without one, so a re-sent batch still deduplicates. */
export function derivedId(hexChars: number, ...parts: Array<string | number | null | undefined>): string {
  return createHash('sha256').update(parts.map((p) => String(p ?? '')).join('\u0000')).digest('hex').slice(0, hexChars);
}

/** Plain JSON object as an attribute map. */
export function asAttributes(v: Record<string, unknown> | undefined): Attributes {
  return (v ?? {}) as Record<string, AttrValue>;
}
