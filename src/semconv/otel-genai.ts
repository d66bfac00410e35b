import { lookupTable } from '../model/lookup-table.js';
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RETRIEVAL_DOCUMENTS,
  ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
} from '@opentelemetry/semantic-conventions/incubating';
import { SpanAttributes as TL } from '@traceloop/ai-semantic-conventions';
import type { AttrValue, SpanType } from '../model/span-record.js';
import { type AttrMap, type ConventionFields, F_GEN_AI, type SpanView, first, int, jsonText, str, usageOf } from './fields.js';
import { normalizeProvider } from './provider.js';

/**
 * OTel GenAI semantic conventions, current names (semconv 1.45 `/incubating`;
 * every constant there carries a "moved to the GenAI repo" @deprecated tag
 * that does not mean the key is deprecated, fact sheet §1).
 */
export function fromOtelGenAI(v: SpanView): ConventionFields | null {
  if ((v.families & F_GEN_AI) === 0) return null;
  const input = v.span;
  const a = v.attrs;
  const operation = str(a.get(ATTR_GEN_AI_OPERATION_NAME));
  const provider = normalizeProvider(str(a.get(ATTR_GEN_AI_PROVIDER_NAME)));
  const requestModel = str(a.get(ATTR_GEN_AI_REQUEST_MODEL));
  const responseModel = str(a.get(ATTR_GEN_AI_RESPONSE_MODEL));
  // The Traceloop underscore spellings belong to the same gen_ai.usage family
  // (fact sheet §7.2), so they fill gaps without mixing families.
  const usage = usageOf(
    int(a.get(ATTR_GEN_AI_USAGE_INPUT_TOKENS)),
    int(a.get(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)),
    int(a.get(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)) ?? int(a.get(TL.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)),
    int(a.get(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)) ??
      int(a.get(TL.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)),
    int(a.get(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)) ?? int(a.get(TL.GEN_AI_USAGE_REASONING_TOKENS)),
  );
  if (usage !== null && usage.input_tokens !== null && EXCLUSIVE_INPUT_SCOPES.has(input.scope.name)) {
    usage.input_tokens += (usage.cache_read_tokens ?? 0) + (usage.cache_write_tokens ?? 0);
  }
  const toolName = str(a.get(ATTR_GEN_AI_TOOL_NAME));
  const toolCallId = str(a.get(ATTR_GEN_AI_TOOL_CALL_ID));
  const agentName = str(a.get(ATTR_GEN_AI_AGENT_NAME));
  const sessionId = str(a.get(ATTR_GEN_AI_CONVERSATION_ID));

  let payloadIn = withSystem(a.get(ATTR_GEN_AI_SYSTEM_INSTRUCTIONS), a.get(ATTR_GEN_AI_INPUT_MESSAGES));
  let payloadOut = jsonText(a.get(ATTR_GEN_AI_OUTPUT_MESSAGES));
  if (payloadIn === null && payloadOut === null && input.events.length > 0) {
    // Opt-in content may travel on the operation-details event instead of the span.
    for (const e of input.events) {
      if (e.name !== EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS) continue;
      payloadIn = withSystem(e.attributes[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS], e.attributes[ATTR_GEN_AI_INPUT_MESSAGES]);
      payloadOut = jsonText(e.attributes[ATTR_GEN_AI_OUTPUT_MESSAGES]);
      break;
    }
  }
  if (payloadIn === null) payloadIn = jsonText(a.get(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS)) ?? retrievalQuery(a);
  if (payloadOut === null) payloadOut = jsonText(a.get(ATTR_GEN_AI_TOOL_CALL_RESULT)) ?? jsonText(a.get(ATTR_GEN_AI_RETRIEVAL_DOCUMENTS));

  if (
    operation === null && provider === null && requestModel === null && responseModel === null &&
    usage === null && toolName === null && agentName === null && sessionId === null &&
    payloadIn === null && payloadOut === null
  ) {
    return null;
  }

  // Only the explicit operation sets a type here; presence-based guesses are
  // the composer's last resort, after the dialects' explicit span kinds.
  return {
    type: operation !== null ? OPERATION_TYPE[operation] ?? null : null,
    operation,
    provider,
    request_model: requestModel,
    response_model: responseModel,
    usage,
    finish_reason: first(a.get(ATTR_GEN_AI_RESPONSE_FINISH_REASONS)),
    session_id: sessionId,
    agent_name: agentName,
    tool_name: toolName,
    tool_call_id: toolCallId,
    input: payloadIn,
    output: payloadOut,
  };
}

/**
 * Emitters whose `gen_ai.usage.input_tokens` leaves cache reads and writes
 * out (the provider's own usage copied as is), where OTel counts them in.
 * `@traceloop/instrumentation-anthropic` (0.27) writes Anthropic's
 * `usage.input_tokens`, which excludes `cache_read_input_tokens` and
 * `cache_creation_input_tokens`; seen in test/conformance.
 */
const EXCLUSIVE_INPUT_SCOPES = new Set(['@traceloop/instrumentation-anthropic']);

/**
 * `gen_ai.operation.name` → span type. Includes the non-standard values seen
 * from real emitters: `agent_step`, `rerank`, `decide` (@ai-sdk/otel) and
 * `guardrail.run`, `guard` (Traceloop).
 */
export const OPERATION_TYPE: Readonly<Record<string, SpanType>> = lookupTable({
  chat: 'llm_call',
  text_completion: 'llm_call',
  generate_content: 'llm_call',
  decide: 'llm_call',
  embeddings: 'embedding',
  execute_tool: 'tool_call',
  create_agent: 'agent',
  invoke_agent: 'agent',
  agent_step: 'chain',
  invoke_workflow: 'chain',
  retrieval: 'retriever',
  rerank: 'retriever',
  'guardrail.run': 'chain',
  guard: 'other',
});

function retrievalQuery(a: AttrMap): string | null {
  const q = str(a.get(ATTR_GEN_AI_RETRIEVAL_QUERY_TEXT));
  return q === null ? null : JSON.stringify(q);
}

/**
 * Prepends `gen_ai.system_instructions` as a system message. Both are JSON
 * text already; splicing avoids parsing payloads on the hot path.
 */
export function withSystem(system: AttrValue | undefined, messages: AttrValue | undefined): string | null {
  const msgs = jsonText(messages);
  const sys = jsonText(system);
  if (sys === null) return msgs;
  // Plain text (the OpenAI instrumentation sends Responses `instructions` as sent) is one text part.
  const text = typeof system === 'string' && !sys.startsWith('[') ? system : sys;
  const sysMsg = `{"role":"system","parts":${sys.startsWith('[') ? sys : JSON.stringify([{ type: 'text', content: text }])}}`;
  if (msgs === null) return `[${sysMsg}]`;
  const body = msgs.trimStart();
  if (!body.startsWith('[')) return msgs;
  const rest = body.slice(1).trimStart();
  return rest.startsWith(']') ? `[${sysMsg}]` : `[${sysMsg},${rest}`;
}
