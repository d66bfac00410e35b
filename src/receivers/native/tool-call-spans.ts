import { z } from 'zod';
import type { SemanticSpan } from '../../semconv/index.js';
import { asAttributes, blankSemanticSpan, derivedId, payloadText, toMicros } from './semantic.js';
import { parseOrThrow } from './validate.js';

const text = z.string().max(4096);
const count = z.number().int().nonnegative();

/** The SDK's ToolCallSpan (langsight-api.txt, POST /api/traces/spans), snake_case. */
const toolCallSpan = z.object({
  server_name: text.min(1),
  tool_name: text.min(1),
  started_at: z.iso.datetime({ offset: true }),
  ended_at: z.iso.datetime({ offset: true }).nullish(),
  latency_ms: z.number().nonnegative().nullish(),
  status: z.enum(['success', 'error', 'timeout', 'prevented']).default('success'),
  error: z.string().max(65536).nullish(),
  project_id: z.string().min(1).max(128).nullish(),
  session_id: text.nullish(),
  agent_name: text.nullish(),
  user_id: text.nullish(),
  trace_id: z.string().min(1).max(128).nullish(),
  span_id: z.string().min(1).max(128).nullish(),
  parent_span_id: z.string().min(1).max(128).nullish(),
  span_type: z.enum(['tool_call', 'agent', 'handoff', 'llm_call', 'node']).default('tool_call'),
  input_args: z.unknown().optional(),
  output_result: z.unknown().optional(),
  llm_input: z.unknown().optional(),
  llm_output: z.unknown().optional(),
  model_id: text.nullish(),
  provider: text.nullish(),
  input_tokens: count.nullish(),
  output_tokens: count.nullish(),
  cost_usd: z.number().nonnegative().nullish(),
  target_agent_name: text.nullish(),
}).refine((s) => s.ended_at == null || Date.parse(s.ended_at) >= Date.parse(s.started_at), {
  message: 'ended_at must not be before started_at',
  path: ['ended_at'],
});

const spanList = z.array(toolCallSpan).max(100_000);
const wrapped = z.object({ spans: spanList });

const TYPE_BY_SPAN_TYPE: Record<string, SemanticSpan['type']> = {
  tool_call: 'tool_call', agent: 'agent', handoff: 'agent', llm_call: 'llm_call', node: 'chain',
};

/** Validates a ToolCallSpan list (bare array or `{spans: [...]}`) and converts it into semantic spans. */
export function parseToolCallSpans(value: unknown, payloadMaxBytes: number): Array<SemanticSpan & { project_id?: string }> {
  // Branch on the shape rather than a union, so a 400 names each bad field instead of "invalid input".
  const spans = Array.isArray(value)
    ? parseOrThrow(spanList, value, 'ToolCallSpan list')
    : parseOrThrow(wrapped, value, 'ToolCallSpan list').spans;
  return spans.map((s) => {
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
  });
}
