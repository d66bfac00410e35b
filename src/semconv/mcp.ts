import {
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_SERVER_ADDRESS,
  MCP_METHOD_NAME_VALUE_TOOLS_CALL,
} from '@opentelemetry/semantic-conventions/incubating';
import type { OtlpSpanInput } from '../model/otlp-span.js';
import { type ConventionFields, F_MCP, type SpanView, str } from './fields.js';

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

/**
 * OTel MCP conventions (`mcp.*` keys, tool names under `gen_ai.tool.name`).
 *
 * Type: `tools/call` is a `tool_call` (it is one, and tool statistics should
 * include MCP tools; `mcp_method` still says it went over MCP); every other
 * method (initialize, tools/list, resources/read, notifications, …) is `mcp`.
 */
export function fromMcp(v: SpanView): ConventionFields | null {
  if ((v.families & F_MCP) === 0) return null;
  const input = v.span;
  const a = v.attrs;
  const method = str(a.get(ATTR_MCP_METHOD_NAME));
  const session = str(a.get(ATTR_MCP_SESSION_ID));
  if (method === null && session === null) return null;
  const isToolCall = method === MCP_METHOD_NAME_VALUE_TOOLS_CALL;
  return {
    type: isToolCall ? 'tool_call' : 'mcp',
    framework: 'mcp',
    mcp_method: method,
    mcp_session_id: session,
    mcp_resource_uri: str(a.get(ATTR_MCP_RESOURCE_URI)),
    tool_name: isToolCall ? str(a.get(ATTR_GEN_AI_TOOL_NAME)) : null,
    server_name: serverName(input),
    ...(isToolCall && resultIsError(a.get(ATTR_GEN_AI_TOOL_CALL_RESULT)) ? TOOL_ERROR : {}),
  };
}

/**
 * The MCP server a span talked to. The conventions have no server-name key:
 * a server span is the server itself (its `service.name`); a client span
 * names it by `server.address` when the transport has one (stdio does not).
 */
export function serverName(input: OtlpSpanInput): string | null {
  if (input.kind === SPAN_KIND_SERVER) return str(input.resource['service.name']);
  if (input.kind === SPAN_KIND_CLIENT) return str(input.attributes[ATTR_SERVER_ADDRESS]);
  return null;
}

/**
 * A failed tool call inside a successful JSON-RPC call: the MCP conventions'
 * `error.type` for it is `tool_error` (an `error.type` attribute still wins).
 */
export const TOOL_ERROR = Object.freeze({ status: 'error', error_type: 'tool_error' } as const);

/**
 * A CallToolResult with `isError: true` is a failed tool call even though the
 * JSON-RPC request succeeded. Checked on the serialized text (compact
 * JSON.stringify output, or with one space) so the hot path never parses it.
 * `is_error` is the spelling of `@traceloop/instrumentation-mcp`'s output
 * summary (`{"result":…,"is_error":true}`).
 */
export function resultIsError(v: unknown): boolean {
  if (typeof v === 'string') {
    return v.includes('"isError":true') || v.includes('"isError": true') ||
      v.includes('"is_error":true') || v.includes('"is_error": true');
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return (v as Record<string, unknown>).isError === true;
  return false;
}
