import { SpanAttributes as TL, TraceloopSpanKindValues } from '@traceloop/ai-semantic-conventions';
import type { OtlpSpanInput } from '../model/otlp-span.js';
import { type ConventionFields, jsonText, str } from './fields.js';
import { resultIsError, serverName } from './mcp.js';

export const TRACELOOP_MCP_SCOPE = '@traceloop/instrumentation-mcp';

/**
 * `@traceloop/instrumentation-mcp` sets none of the OTel `mcp.*` keys (fact
 * sheet §2.2); the method lives in the span name instead:
 *   `mcp.client.session`  the client connection (traceloop.span.kind=session)
 *   `<tool>.tool`         tools/call (traceloop.span.kind=tool, entity.name=tool)
 *   `<method>.mcp`        any other method, e.g. `tools/list.mcp`
 * It marks an `isError` result ERROR itself; the output check below also
 * covers spans from builds that did not.
 */
export function fromTraceloopMcp(input: OtlpSpanInput): ConventionFields | null {
  if (input.scope.name !== TRACELOOP_MCP_SCOPE) return null;
  const a = input.attributes;
  const name = input.name;
  const kind = str(a[TL.TRACELOOP_SPAN_KIND]);
  const output = jsonText(a[TL.TRACELOOP_ENTITY_OUTPUT]);
  const base: ConventionFields = {
    framework: 'mcp',
    server_name: serverName(input),
    input: jsonText(a[TL.TRACELOOP_ENTITY_INPUT]),
    output,
  };
  if (kind === TraceloopSpanKindValues.TOOL || name.endsWith('.tool')) {
    return {
      ...base,
      type: 'tool_call',
      mcp_method: 'tools/call',
      tool_name: str(a[TL.TRACELOOP_ENTITY_NAME]) ?? name.slice(0, -'.tool'.length),
      status: resultIsError(output) ? 'error' : null,
    };
  }
  if (name.endsWith('.mcp')) return { ...base, type: 'mcp', mcp_method: name.slice(0, -'.mcp'.length) };
  return { ...base, type: 'mcp' };
}
