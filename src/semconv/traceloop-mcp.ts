import { SpanAttributes as TL, TraceloopSpanKindValues } from '@traceloop/ai-semantic-conventions';
import { type ConventionFields, type SpanView, jsonText, str } from './fields.js';
import { TOOL_ERROR, resultIsError, serverName } from './mcp.js';

export const TRACELOOP_MCP_SCOPE = '@traceloop/instrumentation-mcp';

/**
 * `@traceloop/instrumentation-mcp` sets none of the OTel `mcp.*` keys (fact
 * sheet §2.2); the method lives in the span name instead:
 *   `mcp.client.session`  the client connection (traceloop.span.kind=session)
 *   `<tool>.tool`         tools/call (traceloop.span.kind=tool, entity.name=tool)
 *   `<method>.mcp`        any other method, e.g. `tools/list.mcp`
 * It marks an `isError` result ERROR itself and writes its output as
 * `{"result":…,"is_error":true}`; the output check below (either spelling)
 * also covers spans from builds that did not set the status, and names the
 * error `tool_error` as the OTel MCP conventions do.
 */
export function fromTraceloopMcp(v: SpanView): ConventionFields | null {
  const input = v.span;
  if (input.scope.name !== TRACELOOP_MCP_SCOPE) return null;
  const a = v.attrs;
  const name = input.name;
  const kind = str(a.get(TL.TRACELOOP_SPAN_KIND));
  const output = jsonText(a.get(TL.TRACELOOP_ENTITY_OUTPUT));
  const isTool = kind === TraceloopSpanKindValues.TOOL || name.endsWith('.tool');
  let method: string | null = null;
  if (isTool) method = 'tools/call';
  else if (name.endsWith('.mcp')) method = name.slice(0, name.length - 4);
  return {
    type: isTool ? 'tool_call' : 'mcp',
    framework: 'mcp',
    mcp_method: method,
    tool_name: isTool ? str(a.get(TL.TRACELOOP_ENTITY_NAME)) ?? name.slice(0, name.length - 5) : null,
    server_name: serverName(input),
    input: jsonText(a.get(TL.TRACELOOP_ENTITY_INPUT)),
    output,
    ...(isTool && resultIsError(output) ? TOOL_ERROR : {}),
  };
}
