import { invalid } from '../../errors.js';
import { isTruncatedPayload } from '../../semconv/payload.js';
import type { ChatRequest, ToolCall } from '../providers/types.js';
import { answerOf, readMessages, type ReadMessages } from './messages.js';
import { conventionOf, parametersOf, streamedOf, toolChoiceOf, toolsOf } from './settings.js';

/** What a replay reads of one stored span (the trace detail's span view: payloads already filled from its log records). */
export interface CapturedSpan {
  id: string;
  traceId: string;
  name: string;
  type: string;
  provider: string | null;
  requestModel: string | null;
  responseModel: string | null;
  framework: string | null;
  scopeName: string | null;
  input: unknown;
  output: unknown;
  attributes: Record<string, unknown> | null;
  durationMs: number;
  finishReason: string | null;
  usage: { inputTokens: number | null; outputTokens: number | null; costUsd: number | null };
}

/** What the captured call answered, to compare a replay with. */
export type OriginalAnswer = {
  model: string | null;
  provider: string | null;
  text: string | null;
  toolCalls: ToolCall[];
  finishReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  latencyMs: number;
};

export interface RebuiltRequest {
  /** `model` is the captured one ('' when the span names none). */
  request: ChatRequest;
  convention: string;
  /** Parts of the capture with no text form (images, audio, reasoning), not sent. */
  skipped: string[];
  original: OriginalAnswer;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsedPayload(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** System text of a captured request's `system` / `instructions` field (a string or text blocks). */
function systemText(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (Array.isArray(v)) {
    const t = v.map((b) => (isObj(b) && typeof b.text === 'string' ? b.text : typeof b === 'string' ? b : '')).join('');
    return t === '' ? null : t;
  }
  return null;
}

/**
 * The stored input as messages, and the request object it came in when
 * it was captured whole (OpenInference's `input.value`, Langfuse's
 * generation input, the AI SDK's `ai.prompt`): `{messages}` (Chat
 * Completions, Anthropic), `{input, instructions}` (Responses), `{system,
 * prompt}` (AI SDK); any other object is the user's turn as JSON.
 */
function readInput(value: unknown): { read: ReadMessages; request: Obj | null } {
  if (!isObj(value)) return { read: readMessages(value), request: null };
  if (Array.isArray(value.messages) || Array.isArray(value.input) || typeof value.input === 'string' || typeof value.prompt === 'string') {
    const list = Array.isArray(value.messages) ? value.messages : value.input !== undefined ? value.input : [];
    const read = readMessages(list);
    const sys = systemText(value.system) ?? systemText(value.instructions);
    if (sys !== null) read.system.unshift(sys);
    if (typeof value.prompt === 'string') read.messages.push({ role: 'user', content: value.prompt });
    return { read, request: value };
  }
  if (typeof value.role === 'string' || Array.isArray(value.parts)) return { read: readMessages(value), request: null };
  return { read: readMessages(JSON.stringify(value)), request: null };
}

/**
 * A dataset item's input as a request: plain text (one user turn), a
 * message list of any convention, or a request object (`{messages,
 * system, tools, temperature, …}`) as from-trace items store it.
 */
export function requestFromInput(input: unknown, model: string): ChatRequest {
  const { read, request } = readInput(input);
  if (read.messages.length === 0) throw invalid('the item input holds no user, assistant or tool message to send');
  const toolChoice = toolChoiceOf({}, request);
  return {
    model, system: read.system.length > 0 ? read.system.join('\n\n') : null, messages: read.messages, tools: toolsOf({}, request),
    ...(toolChoice !== undefined ? { toolChoice } : {}), parameters: parametersOf({}, request), stream: false,
  };
}

/** A request as a self-contained item input (`{system, messages, tools, tool_choice, temperature, …}`, OpenAI spelling), which requestFromInput reads back. */
export function storedInput(req: ChatRequest): Record<string, unknown> {
  const p = req.parameters;
  const messages = req.messages.map((m) => {
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    if (m.role === 'assistant') {
      return { role: 'assistant', content: m.content, ...(m.toolCalls ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {}) };
    }
    return { role: 'user', content: m.content };
  });
  const choice = req.toolChoice;
  const out: Record<string, unknown> = {
    ...(req.system !== null ? { system: req.system } : {}),
    messages,
    ...(req.tools.length > 0 ? { tools: req.tools } : {}),
    ...(choice !== undefined ? { tool_choice: typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } } } : {}),
  };
  const keys: Array<[keyof typeof p, string]> = [['temperature', 'temperature'], ['topP', 'top_p'], ['topK', 'top_k'], ['maxTokens', 'max_tokens'],
    ['stop', 'stop'], ['frequencyPenalty', 'frequency_penalty'], ['presencePenalty', 'presence_penalty'], ['seed', 'seed']];
  for (const [k, wire] of keys) if (p[k] !== undefined) out[wire] = p[k];
  return out;
}

/**
 * Rebuilds the request a stored LLM span captured (messages, system
 * instructions, tools, tool choice, sampling parameters, streaming) from
 * whichever convention stored it; an `invalid` error says why a span
 * cannot be replayed (no captured prompt, a truncated one, no messages).
 */
export function rebuildRequest(span: CapturedSpan): RebuiltRequest {
  if (span.input === null || span.input === undefined || span.input === '') {
    throw invalid(`span ${span.id} has no captured prompt to replay (content capture off in the instrumentation, payloads redacted, or not a model call)`);
  }
  if (typeof span.input === 'string' && isTruncatedPayload(span.input)) {
    throw invalid(`span ${span.id}'s captured prompt was cut at limits.payloadMaxBytes when it was stored, so it cannot be replayed as sent`);
  }
  const attrs = span.attributes ?? {};
  const { read, request } = readInput(parsedPayload(span.input));
  if (read.messages.length === 0) throw invalid(`span ${span.id}'s captured prompt holds no user, assistant or tool message to send`);
  const model = span.requestModel ?? span.responseModel ?? (typeof request?.model === 'string' ? request.model : null);
  const toolChoice = toolChoiceOf(attrs, request);
  const answer = answerOf(parsedPayload(span.output));
  return {
    request: {
      model: model ?? '',
      system: read.system.length > 0 ? read.system.join('\n\n') : null,
      messages: read.messages,
      tools: toolsOf(attrs, request),
      ...(toolChoice !== undefined ? { toolChoice } : {}),
      parameters: parametersOf(attrs, request),
      stream: streamedOf(attrs, request, span.name),
    },
    convention: conventionOf(attrs, span.framework, span.scopeName),
    skipped: [...new Set(read.skipped)],
    original: {
      model: span.responseModel ?? span.requestModel,
      provider: span.provider,
      text: answer.text,
      toolCalls: answer.toolCalls,
      finishReason: span.finishReason,
      inputTokens: span.usage.inputTokens,
      outputTokens: span.usage.outputTokens,
      costUsd: span.usage.costUsd,
      latencyMs: span.durationMs,
    },
  };
}
