import { z } from 'zod';
import { MAX_DURATION_MS, timestampProblem } from '../../model/store-range.js';
import { nativeProjectId, nativeTraceId } from './ids.js';
import { toMicros } from './time.js';
import { parseOrThrow } from './validate.js';

const text = z.string().max(4096);
const count = z.number().int().nonnegative();
const isoTime = z.iso.datetime({ offset: true })
  .refine((v) => timestampProblem(toMicros(v)) === null, { message: 'must be between 1970-01-01 and 2262-04-11' });

/** The SDK's ToolCallSpan (langsight-api.txt, POST /api/traces/spans), snake_case. */
const toolCallSpan = z.object({
  server_name: text.min(1),
  tool_name: text.min(1),
  started_at: isoTime,
  ended_at: isoTime.nullish(),
  latency_ms: z.number().nonnegative().max(MAX_DURATION_MS).nullish(),
  status: z.enum(['success', 'error', 'timeout', 'prevented']).default('success'),
  error: z.string().max(65536).nullish(),
  project_id: nativeProjectId.nullish(),
  session_id: text.nullish(),
  agent_name: text.nullish(),
  user_id: text.nullish(),
  trace_id: nativeTraceId.nullish(),
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
/** The body POST /api/traces/spans accepts (the OpenAPI document is generated from it). */
export const ToolCallSpanBody = z.union([spanList, wrapped]);

export type ToolCallSpan = z.infer<typeof toolCallSpan>;

/** Validates a ToolCallSpan list (bare array or `{spans: [...]}`); a 400 lists every bad field with its path. */
export function parseToolCallSpans(value: unknown): ToolCallSpan[] {
  // Branch on the shape rather than a union, so a 400 names each bad field instead of "invalid input".
  return Array.isArray(value)
    ? parseOrThrow(spanList, value, 'ToolCallSpan list')
    : parseOrThrow(wrapped, value, 'ToolCallSpan list').spans;
}
