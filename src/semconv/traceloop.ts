import { lookupTable } from '../model/lookup-table.js';
import {
  LLMRequestTypeValues,
  SpanAttributes as TL,
  TraceloopSpanKindValues,
} from '@traceloop/ai-semantic-conventions';
import type { SpanType } from '../model/span-record.js';
import { type AttrMap, type ConventionFields, F_LLM, F_TRACELOOP, type SpanView, jsonText, str } from './fields.js';

const KIND_TYPE: Readonly<Record<string, SpanType>> = lookupTable({
  [TraceloopSpanKindValues.WORKFLOW]: 'chain',
  [TraceloopSpanKindValues.TASK]: 'chain',
  [TraceloopSpanKindValues.AGENT]: 'agent',
  [TraceloopSpanKindValues.TOOL]: 'tool_call',
  [TraceloopSpanKindValues.SESSION]: 'other',
});

const REQUEST_TYPE: Readonly<Record<string, SpanType>> = lookupTable({
  [LLMRequestTypeValues.CHAT]: 'llm_call',
  [LLMRequestTypeValues.COMPLETION]: 'llm_call',
  [LLMRequestTypeValues.RERANK]: 'retriever',
  embedding: 'embedding',
});

/**
 * OpenLLMetry / Traceloop extras (`@traceloop/ai-semantic-conventions` holds
 * only these; the standard gen_ai.* keys are read by the OTel modules):
 * workflow kinds, entity name/input/output, association properties and
 * `llm.request.type`. `llm.usage.total_tokens` has no split, so it is not a
 * usage family of its own.
 */
export function fromTraceloop(v: SpanView): ConventionFields | null {
  if ((v.families & (F_TRACELOOP | F_LLM)) === 0) return null;
  const a = v.attrs;
  const kind = str(a.get(TL.TRACELOOP_SPAN_KIND));
  const entity = str(a.get(TL.TRACELOOP_ENTITY_NAME));
  const requestType = str(a.get(TL.LLM_REQUEST_TYPE));
  const sessionId = association(a, SESSION_KEYS);
  const userId = association(a, USER_KEYS);
  const entityIn = jsonText(a.get(TL.TRACELOOP_ENTITY_INPUT));
  const entityOut = jsonText(a.get(TL.TRACELOOP_ENTITY_OUTPUT));
  if (
    kind === null && entity === null && requestType === null && sessionId === null && userId === null &&
    entityIn === null && entityOut === null && a.get(TL.TRACELOOP_WORKFLOW_NAME) === undefined
  ) {
    return null;
  }
  const type = (kind !== null ? KIND_TYPE[kind] : undefined) ??
    (requestType !== null ? REQUEST_TYPE[requestType] : undefined) ?? null;
  return {
    type,
    framework: 'traceloop',
    agent_name: kind === TraceloopSpanKindValues.AGENT ? entity : null,
    tool_name: kind === TraceloopSpanKindValues.TOOL ? entity : null,
    session_id: sessionId,
    user_id: userId,
    input: entityIn,
    output: entityOut,
  };
}

const ASSOC = `${TL.TRACELOOP_ASSOCIATION_PROPERTIES}.`;
/**
 * The SDK writes one `traceloop.association.properties.<key>` per property
 * the app set; these are the spellings apps and the SDK's own Vercel
 * rewrite use for sessions and users, looked up directly instead of scanning.
 */
const SESSION_KEYS = ['session_id', 'sessionId', 'conversation_id', 'conversationId', 'thread_id'].map((k) => ASSOC + k);
const USER_KEYS = ['user_id', 'userId', 'end_user_id'].map((k) => ASSOC + k);

function association(a: AttrMap, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = str(a.get(k));
    if (v !== null) return v;
  }
  return null;
}
