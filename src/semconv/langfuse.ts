import { lookupTable } from '../model/lookup-table.js';
import type { AttrValue, SpanType } from '../model/span-record.js';
import { type ConventionFields, F_LANGFUSE, type SpanView, type Usage, jsonText, str } from './fields.js';

/**
 * `LangfuseOtelSpanAttributes` values (@langfuse/core 5.11, a dev dependency
 * for the conformance test only), spelled here so the runtime does not need it.
 */
const K = {
  type: 'langfuse.observation.type',
  level: 'langfuse.observation.level',
  statusMessage: 'langfuse.observation.status_message',
  model: 'langfuse.observation.model.name',
  usage: 'langfuse.observation.usage_details',
  cost: 'langfuse.observation.cost_details',
  obsInput: 'langfuse.observation.input',
  obsOutput: 'langfuse.observation.output',
  traceInput: 'langfuse.trace.input',
  traceOutput: 'langfuse.trace.output',
  traceName: 'langfuse.trace.name',
  sessionId: 'session.id',
  userId: 'user.id',
  compatSessionId: 'langfuse.session.id',
  compatUserId: 'langfuse.user.id',
} as const;

const OBSERVATION_TYPE: Readonly<Record<string, SpanType>> = lookupTable({
  generation: 'llm_call',
  embedding: 'embedding',
  agent: 'agent',
  tool: 'tool_call',
  chain: 'chain',
  retriever: 'retriever',
  evaluator: 'other',
  guardrail: 'other',
  event: 'other',
  // `span` is Langfuse's generic observation: no opinion.
});

/**
 * Langfuse SDK (`langfuse.*` keys; session and user on the plain `session.id`
 * / `user.id` keys it shares with OpenInference). Usage and cost arrive as
 * JSON maps with free-form keys.
 */
export function fromLangfuse(v: SpanView): ConventionFields | null {
  const input = v.span;
  if ((v.families & F_LANGFUSE) === 0 && input.scope.name !== 'langfuse-sdk') return null;
  const a = v.attrs;
  const obsType = str(a.get(K.type));
  const model = str(a.get(K.model));
  const usageText = a.get(K.usage);
  const costText = a.get(K.cost);
  const compatSession = str(a.get(K.compatSessionId));
  const compatUser = str(a.get(K.compatUserId));
  if (
    obsType === null && model === null && usageText === undefined && costText === undefined &&
    compatSession === null && compatUser === null && a.get(K.traceName) === undefined &&
    a.get(K.obsInput) === undefined && a.get(K.traceInput) === undefined && input.scope.name !== 'langfuse-sdk'
  ) {
    return null;
  }
  const type = obsType !== null ? OBSERVATION_TYPE[obsType.toLowerCase()] ?? null : null;
  const isError = str(a.get(K.level)) === 'ERROR';
  return {
    type,
    framework: 'langfuse',
    request_model: model,
    usage: usageDetails(usageText),
    reported_cost_usd: costDetails(costText),
    session_id: compatSession ?? str(a.get(K.sessionId)),
    user_id: compatUser ?? str(a.get(K.userId)),
    agent_name: type === 'agent' ? input.name : null,
    tool_name: type === 'tool_call' ? input.name : null,
    input: jsonText(a.get(K.obsInput)) ?? jsonText(a.get(K.traceInput)),
    output: jsonText(a.get(K.obsOutput)) ?? jsonText(a.get(K.traceOutput)),
    status: isError ? 'error' : null,
    status_message: isError ? str(a.get(K.statusMessage)) : null,
  };
}

function parseMap(v: AttrValue | undefined): Record<string, unknown> | null {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v;
  if (typeof v !== 'string' || !v.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function num(m: Record<string, unknown>, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = m[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return null;
}

/**
 * Langfuse treats every top-level key as its own bucket, so `input` (or an
 * Anthropic usage object's `input_tokens`) excludes the top-level cache counts
 * (`input_cache_read`, `cache_read_input_tokens`, …), which are added back to
 * match the OTel meaning of input tokens. OpenAI usage objects — Chat
 * Completions (`prompt_tokens`, `prompt_tokens_details`) and Responses
 * (`input_tokens`, `input_tokens_details`) — nest the cached count, which
 * their input already includes; the SDK's own typed `OpenAiUsage`
 * (`promptTokens`, `completionTokens`) has no cache count.
 */
function usageDetails(v: AttrValue | undefined): Usage | null {
  const m = parseMap(v);
  if (m === null) return null;
  const inDetails = parseMap(m['prompt_tokens_details'] as AttrValue) ?? parseMap(m['input_tokens_details'] as AttrValue) ?? {};
  const outDetails = parseMap(m['completion_tokens_details'] as AttrValue) ?? parseMap(m['output_tokens_details'] as AttrValue) ?? {};
  const topRead = num(m, 'input_cache_read', 'input_cached_tokens', 'cache_read_input_tokens');
  const topWrite = num(m, 'input_cache_creation', 'input_cache_write', 'cache_creation_input_tokens');
  const cacheRead = topRead ?? num(inDetails, 'cached_tokens');
  const reasoning = num(m, 'output_reasoning', 'output_reasoning_tokens', 'reasoning_tokens') ?? num(outDetails, 'reasoning_tokens');
  let input = num(m, 'prompt_tokens', 'promptTokens');
  if (input === null) {
    const own = num(m, 'input', 'input_tokens');
    if (own !== null) input = own + (topRead ?? 0) + (topWrite ?? 0);
  }
  const output = num(m, 'output', 'completion_tokens', 'output_tokens', 'completionTokens');
  if (input === null && output === null) return null;
  return { input_tokens: input, output_tokens: output, cache_read_tokens: cacheRead, cache_write_tokens: topWrite, reasoning_tokens: reasoning };
}

/** `total` when present, else the sum of the parts (USD). */
function costDetails(v: AttrValue | undefined): number | null {
  const m = parseMap(v);
  if (m === null) return null;
  const total = num(m, 'total');
  if (total !== null) return total;
  let sum = 0;
  let any = false;
  for (const k in m) {
    const x = m[k];
    if (typeof x === 'number' && Number.isFinite(x)) {
      sum += x;
      any = true;
    }
  }
  return any ? sum : null;
}
