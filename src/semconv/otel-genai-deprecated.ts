import { lookupTable } from '../model/lookup-table.js';
import {
  ATTR_GEN_AI_COMPLETION,
  ATTR_GEN_AI_PROMPT,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  EVENT_GEN_AI_ASSISTANT_MESSAGE,
  EVENT_GEN_AI_CHOICE,
  EVENT_GEN_AI_SYSTEM_MESSAGE,
  EVENT_GEN_AI_TOOL_MESSAGE,
  EVENT_GEN_AI_USER_MESSAGE,
} from '@opentelemetry/semantic-conventions/incubating';
import type { AttrValue, SpanEventRecord } from '../model/span-record.js';
import { type AttrMap, type ConventionFields, F_GEN_AI, type SpanView, int, jsonText, messagesJson, str, usageOf } from './fields.js';
import { normalizeProvider } from './provider.js';

/**
 * Deprecated OTel GenAI names, still sent by deployed SDKs (Traceloop ≤0.19,
 * `ai@4`, Python instrumentations): `gen_ai.system`, prompt/completion token
 * counts, the flattened `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`
 * messages, and the per-message span events. Runs after every module that
 * reads current names, so a current value always wins.
 */
export function fromOtelGenAIDeprecated(v: SpanView): ConventionFields | null {
  const input = v.span;
  // Message events may come without any gen_ai.* attribute on the span.
  if ((v.families & F_GEN_AI) === 0 && input.events.length === 0) return null;
  const a = v.attrs;
  const provider = normalizeProvider(str(a.get(ATTR_GEN_AI_SYSTEM)));
  const usage = usageOf(
    int(a.get(ATTR_GEN_AI_USAGE_PROMPT_TOKENS)),
    int(a.get(ATTR_GEN_AI_USAGE_COMPLETION_TOKENS)),
    null,
    null,
    null,
  );
  const prompt = indexedMessages(a, PROMPT_PREFIX);
  const completion = indexedMessages(a, COMPLETION_PREFIX);
  let payloadIn = messagesJson(prompt.messages) ?? jsonText(a.get(ATTR_GEN_AI_PROMPT));
  let payloadOut = messagesJson(completion.messages) ?? jsonText(a.get(ATTR_GEN_AI_COMPLETION));
  let finishReason = completion.finishReason;
  if (input.events.length > 0 && (payloadIn === null || payloadOut === null)) {
    const ev = eventMessages(input.events);
    payloadIn ??= messagesJson(ev.input);
    payloadOut ??= messagesJson(ev.output);
    finishReason ??= ev.finishReason;
  }
  if (provider === null && usage === null && payloadIn === null && payloadOut === null) return null;
  return { provider, usage, input: payloadIn, output: payloadOut, finish_reason: finishReason };
}

const PROMPT_PREFIX = 'gen_ai.prompt.';
const COMPLETION_PREFIX = 'gen_ai.completion.';

/**
 * Reads `<prefix>N.role|content|…` for N = 0, 1, … by direct lookup, so
 * `gen_ai.prompt.name` (a prompt-template name, fact sheet §7.5) is never
 * taken for a message and no attribute key is scanned.
 */
function indexedMessages(
  a: AttrMap,
  prefix: string,
): { messages: Array<Record<string, unknown>>; finishReason: string | null } {
  const messages: Array<Record<string, unknown>> = [];
  let finishReason: string | null = null;
  if (a.get(`${prefix}0.role`) === undefined && a.get(`${prefix}0.content`) === undefined) {
    return { messages, finishReason };
  }
  for (let n = 0; n < 10_000; n++) {
    const p = `${prefix}${n}.`;
    const role = a.get(`${p}role`);
    const content = a.get(`${p}content`);
    const toolCalls = indexedToolCalls(a, `${p}tool_calls.`);
    if (role === undefined && content === undefined && toolCalls === null) break;
    const msg: Record<string, unknown> = { role: str(role) ?? 'user', content: content ?? null };
    if (toolCalls !== null) msg.tool_calls = toolCalls;
    const toolCallId = str(a.get(`${p}tool_call_id`));
    if (toolCallId !== null) msg.tool_call_id = toolCallId;
    const fr = str(a.get(`${p}finish_reason`));
    if (fr !== null) {
      msg.finish_reason = fr;
      finishReason ??= fr;
    }
    messages.push(msg);
  }
  return { messages, finishReason };
}

function indexedToolCalls(a: AttrMap, prefix: string): Array<Record<string, unknown>> | null {
  if (a.get(`${prefix}0.name`) === undefined && a.get(`${prefix}0.id`) === undefined) return null;
  const calls: Array<Record<string, unknown>> = [];
  for (let k = 0; k < 1000; k++) {
    const name = a.get(`${prefix}${k}.name`);
    const id = a.get(`${prefix}${k}.id`);
    if (name === undefined && id === undefined) break;
    calls.push({ id: id ?? null, name: name ?? null, arguments: a.get(`${prefix}${k}.arguments`) ?? null });
  }
  return calls;
}

const EVENT_ROLES: Readonly<Record<string, string>> = lookupTable({
  [EVENT_GEN_AI_SYSTEM_MESSAGE]: 'system',
  [EVENT_GEN_AI_USER_MESSAGE]: 'user',
  [EVENT_GEN_AI_ASSISTANT_MESSAGE]: 'assistant',
  [EVENT_GEN_AI_TOOL_MESSAGE]: 'tool',
});

/** The deprecated per-message events: system/user/assistant/tool messages in, choices out. */
function eventMessages(events: SpanEventRecord[]): {
  input: Array<Record<string, unknown>>;
  output: Array<Record<string, unknown>>;
  finishReason: string | null;
} {
  const input: Array<Record<string, unknown>> = [];
  const output: Array<Record<string, unknown>> = [];
  let finishReason: string | null = null;
  for (const e of events) {
    const role = EVENT_ROLES[e.name];
    if (role !== undefined) {
      const ea = e.attributes;
      const msg: Record<string, unknown> = { role: str(ea['role']) ?? role, content: ea['content'] ?? null };
      if (ea['tool_calls'] !== undefined) msg.tool_calls = ea['tool_calls'];
      if (role === 'tool' && ea['id'] !== undefined) msg.tool_call_id = ea['id'];
      input.push(msg);
    } else if (e.name === EVENT_GEN_AI_CHOICE) {
      const ea = e.attributes;
      const message = objectOf(ea['message']);
      const msg: Record<string, unknown> = {
        role: str(message?.['role']) ?? 'assistant',
        content: message?.['content'] ?? null,
      };
      if (message?.['tool_calls'] !== undefined) msg.tool_calls = message['tool_calls'];
      const fr = str(ea['finish_reason']);
      if (fr !== null) {
        msg.finish_reason = fr;
        finishReason ??= fr;
      }
      output.push(msg);
    }
  }
  return { input, output, finishReason };
}

/** Event bodies arrive as a map or, from some bridges, as JSON text. */
function objectOf(v: AttrValue | undefined): Record<string, AttrValue> | null {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v;
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, AttrValue>;
    } catch {
      return null;
    }
  }
  return null;
}
