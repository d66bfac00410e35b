import {
  EVENT_GEN_AI_ASSISTANT_MESSAGE,
  EVENT_GEN_AI_CHOICE,
  EVENT_GEN_AI_SYSTEM_MESSAGE,
  EVENT_GEN_AI_TOOL_MESSAGE,
  EVENT_GEN_AI_USER_MESSAGE,
} from '@opentelemetry/semantic-conventions/incubating';
import { lookupTable } from '../../model/lookup-table.js';
import type { OtlpLogInput } from '../../model/otlp-log.js';
import { int, str } from '../fields.js';
import { objectOf, type LogEventFields } from './fields.js';

/** The deprecated per-message events and the role each one stands for. */
export const MESSAGE_EVENT_ROLES: Readonly<Record<string, string>> = lookupTable({
  [EVENT_GEN_AI_SYSTEM_MESSAGE]: 'system',
  [EVENT_GEN_AI_USER_MESSAGE]: 'user',
  [EVENT_GEN_AI_ASSISTANT_MESSAGE]: 'assistant',
  [EVENT_GEN_AI_TOOL_MESSAGE]: 'tool',
});

/**
 * Deprecated `gen_ai.system.message`, `gen_ai.user.message`,
 * `gen_ai.assistant.message`, `gen_ai.tool.message`: one input message per
 * record, its fields in the body (`content`, `role`, `tool_calls`, `id` for
 * the tool call a tool message answers), as
 * `@opentelemetry/instrumentation-openai` 0.21 sends them for Chat
 * Completions. The record becomes one role/content message; the span's
 * input is the list of them in order (src/analysis/logs.ts).
 */
export function fromMessageEvent(rec: OtlpLogInput, eventName: string): LogEventFields {
  const role = MESSAGE_EVENT_ROLES[eventName];
  const body = objectOf(rec.body);
  const msg: Record<string, unknown> = { role: str(body?.['role']) ?? role, content: body?.['content'] ?? null };
  if (body?.['tool_calls'] !== undefined && body['tool_calls'] !== null) msg.tool_calls = body['tool_calls'];
  if (role === 'tool' && body?.['id'] !== undefined) msg.tool_call_id = body['id'];
  return { kind: 'message', input: JSON.stringify(msg), bodyCaptured: body !== null };
}

/**
 * Deprecated `gen_ai.choice`: one output choice per record, the body
 * holding `index`, `finish_reason` and `message` (`content`, `tool_calls`,
 * `role`). The span's output is the choices in index order.
 */
export function fromChoiceEvent(rec: OtlpLogInput): LogEventFields {
  const body = objectOf(rec.body);
  const message = objectOf(body?.['message']);
  const finishReason = str(body?.['finish_reason']);
  const msg: Record<string, unknown> = { role: str(message?.['role']) ?? 'assistant', content: message?.['content'] ?? null };
  if (message?.['tool_calls'] !== undefined && message['tool_calls'] !== null) msg.tool_calls = message['tool_calls'];
  if (finishReason !== null) msg.finish_reason = finishReason;
  return {
    kind: 'choice',
    output: JSON.stringify(msg),
    finish_reason: finishReason,
    choice_index: int(body?.['index']),
    bodyCaptured: body !== null,
  };
}

export { EVENT_GEN_AI_CHOICE };
