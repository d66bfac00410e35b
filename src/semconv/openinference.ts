import { lookupTable } from '../model/lookup-table.js';
import {
  OpenInferenceSpanKind,
  SemanticConventions as OI,
} from '@arizeai/openinference-semantic-conventions';
import type { AttrValue, SpanType } from '../model/span-record.js';
import {
  type AttrMap,
  type ConventionFields,
  F_CONTEXT,
  F_LLM,
  F_OPENINFERENCE,
  type SpanView,
  float,
  int,
  messagesJson,
  str,
  usageOf,
} from './fields.js';
import { normalizeProvider } from './provider.js';

const KIND_TYPE: Readonly<Record<string, SpanType>> = lookupTable({
  [OpenInferenceSpanKind.LLM]: 'llm_call',
  [OpenInferenceSpanKind.CHAIN]: 'chain',
  [OpenInferenceSpanKind.TOOL]: 'tool_call',
  [OpenInferenceSpanKind.RETRIEVER]: 'retriever',
  [OpenInferenceSpanKind.RERANKER]: 'retriever',
  [OpenInferenceSpanKind.EMBEDDING]: 'embedding',
  [OpenInferenceSpanKind.AGENT]: 'agent',
  [OpenInferenceSpanKind.GUARDRAIL]: 'other',
  [OpenInferenceSpanKind.EVALUATOR]: 'other',
  [OpenInferenceSpanKind.PROMPT]: 'other',
});

/**
 * OpenInference (Arize): `openinference.span.kind`, `llm.*` model, token and
 * cost keys, flattened `llm.{input,output}_messages.N.message.*`,
 * `input.value`/`output.value`, `tool.*`, `session.id`, `user.id`.
 * `llm.token_count.prompt` counts cached prompt tokens too, like OTel input.
 */
export function fromOpenInference(v: SpanView): ConventionFields | null {
  if ((v.families & (F_OPENINFERENCE | F_LLM | F_CONTEXT)) === 0) return null;
  const input = v.span;
  const a = v.attrs;
  const kind = str(a.get(OI.OPENINFERENCE_SPAN_KIND));
  const model = str(a.get(OI.LLM_MODEL_NAME));
  const promptTokens = int(a.get(OI.LLM_TOKEN_COUNT_PROMPT));
  const completionTokens = int(a.get(OI.LLM_TOKEN_COUNT_COMPLETION));
  const inValue = a.get(OI.INPUT_VALUE);
  const outValue = a.get(OI.OUTPUT_VALUE);
  const sessionId = str(a.get(OI.SESSION_ID));
  const userId = str(a.get(OI.USER_ID));
  if (
    kind === null && model === null && promptTokens === null && completionTokens === null &&
    inValue === undefined && outValue === undefined && sessionId === null && userId === null
  ) {
    return null;
  }
  const upperKind = kind?.toUpperCase() ?? null;
  const type = upperKind !== null ? KIND_TYPE[upperKind] ?? null : null;
  const requestModel = str(a.get(OI.LLM_REQUEST_MODEL_NAME)) ?? model ??
    str(a.get(OI.EMBEDDING_MODEL_NAME)) ?? str(a.get(OI.RERANKER_MODEL_NAME));

  return {
    type,
    // Only an OpenInference span kind says the span came from OpenInference;
    // session.id/user.id alone are shared with Langfuse.
    framework: kind !== null ? 'openinference' : null,
    provider: normalizeProvider(str(a.get(OI.LLM_PROVIDER)) ?? str(a.get(OI.LLM_SYSTEM))),
    request_model: requestModel,
    response_model: str(a.get(OI.LLM_RESPONSE_MODEL_NAME)),
    usage: usageOf(
      promptTokens,
      completionTokens,
      int(a.get(OI.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_READ)),
      int(a.get(OI.LLM_TOKEN_COUNT_PROMPT_DETAILS_CACHE_WRITE)),
      int(a.get(OI.LLM_TOKEN_COUNT_COMPLETION_DETAILS_REASONING)),
    ),
    reported_cost_usd: reportedCost(a),
    finish_reason: str(a.get(OI.LLM_FINISH_REASON)),
    session_id: sessionId,
    user_id: userId,
    agent_name: str(a.get(OI.AGENT_NAME)) ?? (type === 'agent' ? input.name : null),
    tool_name: str(a.get(OI.TOOL_NAME)),
    tool_call_id: type === 'tool_call' ? str(a.get(OI.TOOL_ID)) : null,
    input: messagesJson(hasMessages(a, FIRST_INPUT) ? flatMessages(a, OI.LLM_INPUT_MESSAGES) : []) ??
      valueJson(inValue, a.get(OI.INPUT_MIME_TYPE)),
    output: messagesJson(hasMessages(a, FIRST_OUTPUT) ? flatMessages(a, OI.LLM_OUTPUT_MESSAGES) : []) ??
      valueJson(outValue, a.get(OI.OUTPUT_MIME_TYPE)),
  };
}

/** `llm.cost.total`, else prompt + completion when both are reported (USD). */
function reportedCost(a: AttrMap): number | null {
  const total = float(a.get(OI.LLM_COST_TOTAL));
  if (total !== null) return total;
  const prompt = float(a.get(OI.LLM_COST_PROMPT));
  const completion = float(a.get(OI.LLM_COST_COMPLETION));
  return prompt !== null && completion !== null ? prompt + completion : null;
}

/**
 * `input.value` is JSON when its mime type says so, else text; text becomes a
 * JSON string so the column always holds JSON.
 */
function valueJson(v: AttrValue | undefined, mime: AttrValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return JSON.stringify(v);
  if (v.length === 0) return null;
  return mime === 'application/json' ? v : JSON.stringify(v);
}

/**
 * Rebuilds `<base>.N.message.{role,name,content,tool_call_id}` with
 * `.contents.M.message_content.*` parts and `.tool_calls.K.tool_call.*` into
 * role/content messages, by index lookup (no key scan).
 */
/** Keys that message 0 has when a message list is present: probed before building any key string. */
function firstKeys(base: string): string[] {
  const p = `${base}.0.`;
  return [
    p + OI.MESSAGE_ROLE,
    p + OI.MESSAGE_CONTENT,
    `${p}${OI.MESSAGE_CONTENTS}.0.${OI.MESSAGE_CONTENT_TYPE}`,
    `${p}${OI.MESSAGE_TOOL_CALLS}.0.${OI.TOOL_CALL_FUNCTION_NAME}`,
    `${p}${OI.MESSAGE_TOOL_CALLS}.0.${OI.TOOL_CALL_ID}`,
  ];
}
const FIRST_INPUT = firstKeys(OI.LLM_INPUT_MESSAGES);
const FIRST_OUTPUT = firstKeys(OI.LLM_OUTPUT_MESSAGES);

function hasMessages(a: AttrMap, keys: readonly string[]): boolean {
  for (const k of keys) if (a.has(k)) return true;
  return false;
}

export function flatMessages(a: AttrMap, base: string): Array<Record<string, unknown>> {
  const messages: Array<Record<string, unknown>> = [];
  for (let n = 0; n < 10_000; n++) {
    const p = `${base}.${n}.`;
    const role = a.get(p + OI.MESSAGE_ROLE);
    const content = a.get(p + OI.MESSAGE_CONTENT);
    const parts = contentParts(a, `${p}${OI.MESSAGE_CONTENTS}.`);
    const calls = toolCalls(a, `${p}${OI.MESSAGE_TOOL_CALLS}.`);
    if (role === undefined && content === undefined && parts === null && calls === null) break;
    const msg: Record<string, unknown> = { role: str(role) ?? 'user', content: content ?? parts ?? null };
    const name = str(a.get(p + OI.MESSAGE_NAME));
    if (name !== null) msg.name = name;
    if (calls !== null) msg.tool_calls = calls;
    const callId = str(a.get(p + OI.MESSAGE_TOOL_CALL_ID));
    if (callId !== null) msg.tool_call_id = callId;
    messages.push(msg);
  }
  return messages;
}

// `message_content.image` holds an image object, hence "image" twice (fact sheet §3).
const PART_IMAGE_URL = `${OI.MESSAGE_CONTENT_IMAGE}.${OI.IMAGE_URL}`;

function contentParts(a: AttrMap, prefix: string): Array<Record<string, unknown>> | null {
  if (a.get(`${prefix}0.${OI.MESSAGE_CONTENT_TYPE}`) === undefined) return null;
  const parts: Array<Record<string, unknown>> = [];
  for (let m = 0; m < 1000; m++) {
    const q = `${prefix}${m}.`;
    const type = a.get(q + OI.MESSAGE_CONTENT_TYPE);
    if (type === undefined) break;
    const part: Record<string, unknown> = { type };
    const text = a.get(q + OI.MESSAGE_CONTENT_TEXT);
    if (text !== undefined) part.text = text;
    const image = a.get(q + PART_IMAGE_URL);
    if (image !== undefined) part.image_url = image;
    parts.push(part);
  }
  return parts;
}

function toolCalls(a: AttrMap, prefix: string): Array<Record<string, unknown>> | null {
  if (a.get(`${prefix}0.${OI.TOOL_CALL_FUNCTION_NAME}`) === undefined && a.get(`${prefix}0.${OI.TOOL_CALL_ID}`) === undefined) {
    return null;
  }
  const calls: Array<Record<string, unknown>> = [];
  for (let k = 0; k < 1000; k++) {
    const q = `${prefix}${k}.`;
    const name = a.get(q + OI.TOOL_CALL_FUNCTION_NAME);
    const id = a.get(q + OI.TOOL_CALL_ID);
    if (name === undefined && id === undefined) break;
    calls.push({ id: id ?? null, name: name ?? null, arguments: a.get(q + OI.TOOL_CALL_FUNCTION_ARGUMENTS_JSON) ?? null });
  }
  return calls;
}
