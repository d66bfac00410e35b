import { ATTR_GEN_AI_OPERATION_NAME } from '@opentelemetry/semantic-conventions/incubating';
import type { AttrValue, SpanType } from '../model/span-record.js';
import { type AttrMap, type ConventionFields, F_AI, type SpanView, int, jsonText, str, usageOf } from './fields.js';
import { normalizeProvider } from './provider.js';

/** Keys of the classic `ai.*` telemetry (ai ≤6, @ai-sdk/otel LegacyOpenTelemetry); no package exports them. */
const K = {
  operationId: 'ai.operationId',
  functionId: 'ai.telemetry.functionId',
  metadata: 'ai.telemetry.metadata.',
  provider: 'ai.model.provider',
  model: 'ai.model.id',
  responseModel: 'ai.response.model',
  prompt: 'ai.prompt',
  promptMessages: 'ai.prompt.messages',
  text: 'ai.response.text',
  toolCalls: 'ai.response.toolCalls',
  object: 'ai.response.object',
  finishReason: 'ai.response.finishReason',
  inputTokens: 'ai.usage.inputTokens',
  outputTokens: 'ai.usage.outputTokens',
  cachedInputTokens: 'ai.usage.cachedInputTokens',
  cacheReadTokens: 'ai.usage.inputTokenDetails.cacheReadTokens',
  cacheWriteTokens: 'ai.usage.inputTokenDetails.cacheWriteTokens',
  reasoningTokens: 'ai.usage.reasoningTokens',
  outputReasoningTokens: 'ai.usage.outputTokenDetails.reasoningTokens',
  promptTokens: 'ai.usage.promptTokens',
  completionTokens: 'ai.usage.completionTokens',
  embedTokens: 'ai.usage.tokens',
  value: 'ai.value',
  values: 'ai.values',
  toolName: 'ai.toolCall.name',
  toolCallId: 'ai.toolCall.id',
  toolArgs: 'ai.toolCall.args',
  toolInput: 'ai.toolCall.input',
  toolResult: 'ai.toolCall.result',
  toolOutput: 'ai.toolCall.output',
} as const;

/** @ai-sdk/otel GenAI-mode tracer; its invoke_agent/step spans carry totals of their chat children. */
const GENAI_MODE_SCOPE = 'gen_ai';
const GENAI_MODE_AGGREGATES = new Set(['invoke_agent', 'agent_step']);

/**
 * Vercel AI SDK. Classic mode names spans by operation id: the outer call
 * (`ai.generateText`, …) carries the step totals and each provider call
 * (`….doGenerate`, `….doStream`, `….doEmbed`) its own usage, so only the
 * provider calls keep token counts (fact sheet §7.3): the outer span is an
 * `agent` (what @ai-sdk/otel calls `invoke_agent`) with `aggregate_usage`.
 */
export function fromVercelAI(v: SpanView): ConventionFields | null {
  const input = v.span;
  const a = v.attrs;
  if (input.scope.name === GENAI_MODE_SCOPE) return genAIMode(a);
  if ((v.families & F_AI) === 0 && input.scope.name !== 'ai') return null;
  const opId = str(a.get(K.operationId)) ?? (input.scope.name === 'ai' && input.name.startsWith('ai.') ? input.name : null);
  if (opId === null) return null;

  const isProviderCall = opId.includes('.do');
  const isTool = opId === 'ai.toolCall';
  const isEmbed = opId.startsWith('ai.embed');
  const isRerank = opId.startsWith('ai.rerank');
  let type: SpanType;
  let operation: string;
  if (isTool) [type, operation] = ['tool_call', 'execute_tool'];
  else if (isProviderCall) {
    if (isEmbed) [type, operation] = ['embedding', 'embeddings'];
    else if (isRerank) [type, operation] = ['retriever', 'rerank'];
    else [type, operation] = ['llm_call', 'chat'];
  } else if (isEmbed || isRerank) [type, operation] = ['chain', opId];
  else [type, operation] = ['agent', 'invoke_agent'];

  const functionId = str(a.get(K.functionId));
  return {
    type,
    operation,
    framework: 'vercel-ai',
    provider: normalizeProvider(str(a.get(K.provider))),
    request_model: str(a.get(K.model)),
    response_model: str(a.get(K.responseModel)),
    usage: classicUsage(a),
    aggregate_usage: !isProviderCall && !isTool,
    finish_reason: str(a.get(K.finishReason)),
    agent_name: type === 'agent' ? functionId : null,
    session_id: metadata(a, SESSION_KEYS),
    user_id: metadata(a, USER_KEYS),
    tool_name: str(a.get(K.toolName)),
    tool_call_id: str(a.get(K.toolCallId)),
    input: isTool ? jsonText(a.get(K.toolArgs) ?? a.get(K.toolInput)) : promptJson(a),
    output: isTool ? jsonText(a.get(K.toolResult) ?? a.get(K.toolOutput)) : responseJson(a),
  };
}

function genAIMode(a: AttrMap): ConventionFields {
  const op = str(a.get(ATTR_GEN_AI_OPERATION_NAME));
  return { framework: 'vercel-ai', aggregate_usage: op !== null && GENAI_MODE_AGGREGATES.has(op) };
}

/**
 * New names (inputTokens, total incl. cached, as OTel) first, then the old
 * promptTokens/completionTokens, then the embedding count; one family only.
 */
function classicUsage(a: AttrMap): ConventionFields['usage'] {
  const input = int(a.get(K.inputTokens));
  const output = int(a.get(K.outputTokens));
  if (input !== null || output !== null) {
    return usageOf(
      input,
      output,
      int(a.get(K.cacheReadTokens)) ?? int(a.get(K.cachedInputTokens)),
      int(a.get(K.cacheWriteTokens)),
      int(a.get(K.outputReasoningTokens)) ?? int(a.get(K.reasoningTokens)),
    );
  }
  const prompt = int(a.get(K.promptTokens));
  const completion = int(a.get(K.completionTokens));
  if (prompt !== null || completion !== null) return usageOf(prompt, completion, null, null, null);
  return usageOf(int(a.get(K.embedTokens)), null, null, null, null);
}

/** `ai.prompt.messages` is already a role/content list; else the `ai.prompt` object or embed values. */
function promptJson(a: AttrMap): string | null {
  return jsonText(a.get(K.promptMessages)) ?? jsonText(a.get(K.prompt)) ?? jsonJsonOrString(a.get(K.values) ?? a.get(K.value));
}

/** Text and tool calls as one assistant message, built without parsing the tool-call JSON. */
function responseJson(a: AttrMap): string | null {
  const text = a.get(K.text);
  const calls = jsonText(a.get(K.toolCalls));
  if (text === undefined && calls === null) return jsonText(a.get(K.object));
  const content = typeof text === 'string' ? JSON.stringify(text) : 'null';
  return calls === null
    ? `[{"role":"assistant","content":${content}}]`
    : `[{"role":"assistant","content":${content},"tool_calls":${calls}}]`;
}

function jsonJsonOrString(v: AttrValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.startsWith('[') || v.startsWith('{') || v.startsWith('"') ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

const SESSION_KEYS = ['sessionId', 'session_id', 'conversationId', 'conversation_id', 'threadId'].map((k) => K.metadata + k);
const USER_KEYS = ['userId', 'user_id'].map((k) => K.metadata + k);

function metadata(a: AttrMap, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = str(a.get(k));
    if (v !== null) return v;
  }
  return null;
}
