import type { ToolCallSpan } from '../../receivers/native/tool-call-spans.js';
import { toMicros } from '../../receivers/native/time.js';
import type { SemanticSpan } from '../index.js';
import { asAttributes, blankSemanticSpan, derivedId, payloadText } from './blank.js';

const TYPE_BY_SPAN_TYPE: Record<string, SemanticSpan['type']> = {
  tool_call: 'tool_call', agent: 'agent', handoff: 'agent', llm_call: 'llm_call', node: 'chain',
};

/** One validated ToolCallSpan (langsight-api.txt, snake_case) as a semantic span. */
export function fromToolCallSpan(s: ToolCallSpan, payloadMaxBytes: number): SemanticSpan & { project_id?: string } {
  const start = toMicros(s.started_at);
  const end = s.ended_at ? toMicros(s.ended_at) : start + Math.round((s.latency_ms ?? 0) * 1000);
  // A span sent without ids gets ids derived from its content, so a retry deduplicates.
  const traceId = s.trace_id ?? derivedId(32, 'trace', s.session_id, s.agent_name, s.server_name, s.tool_name, s.started_at);
  const spanId = s.span_id ?? derivedId(16, 'span', traceId, s.server_name, s.tool_name, s.started_at);
  const span = blankSemanticSpan(traceId, spanId, `${s.server_name}/${s.tool_name}`, start, end);
  const isTool = s.span_type === 'tool_call';
  Object.assign(span, {
    parent_span_id: s.parent_span_id ?? null,
    type: TYPE_BY_SPAN_TYPE[s.span_type],
    status: s.status === 'success' ? 'ok' : 'error',
    status_message: s.error ?? (s.status === 'prevented' ? 'prevented by the SDK prevention layer' : null),
    error_type: s.status === 'timeout' ? 'timeout' : s.status === 'prevented' ? 'prevented' : s.status === 'error' ? 'tool_error' : null,
    framework: 'langsight',
    session_id: s.session_id ?? null,
    agent_name: s.agent_name ?? null,
    user_id: s.user_id ?? null,
    tool_name: isTool ? s.tool_name : null,
    server_name: s.server_name,
    mcp_method: isTool ? 'tools/call' : null,
    request_model: s.model_id ?? null,
    provider: s.provider ?? null,
    input_tokens: s.input_tokens ?? null,
    output_tokens: s.output_tokens ?? null,
    reported_cost_usd: s.cost_usd ? s.cost_usd : null,
    input: payloadText(s.input_args ?? s.llm_input, payloadMaxBytes),
    output: payloadText(s.output_result ?? s.llm_output, payloadMaxBytes),
    attributes: asAttributes({
      ...(s.latency_ms != null ? { 'langsight.latency_ms': s.latency_ms } : {}),
      ...(s.target_agent_name ? { 'langsight.target_agent_name': s.target_agent_name } : {}),
      'langsight.span_type': s.span_type,
      'langsight.status': s.status,
    }),
  } satisfies Partial<SemanticSpan>);
  return s.project_id ? { ...span, project_id: s.project_id } : span;
}
