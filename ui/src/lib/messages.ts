/**
 * Prompts and completions as messages. The stored `input` / `output` of a
 * span is text as the sender wrote it: OTel GenAI messages (`parts`), the
 * older OpenAI-style `content` (a string or a list of blocks), OpenInference
 * or Vercel AI SDK prompts, a `{messages}` or `{choices}` wrapper, or plain
 * text. Anything not recognisable is shown as it is.
 */

export type MessagePart =
  | { kind: 'text'; text: string }
  | { kind: 'tool_call'; name: string; id: string | null; arguments: unknown }
  | { kind: 'tool_result'; id: string | null; content: unknown }
  | { kind: 'other'; value: unknown };

export interface Message {
  role: string;
  parts: MessagePart[];
  finishReason?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A JSON text parsed, anything else as it is. */
export function parsePayload(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

function argsOf(v: unknown): unknown {
  return typeof v === 'string' ? parsePayload(v) : v;
}

function part(p: unknown): MessagePart {
  if (typeof p === 'string') return { kind: 'text', text: p };
  if (!isObj(p)) return { kind: 'other', value: p };
  const type = str(p.type);
  const text = str(p.content) ?? str(p.text);
  if ((type === 'text' || type === null || type === 'input_text' || type === 'output_text') && text !== null) return { kind: 'text', text };
  if (type === 'tool_call' || type === 'function_call' || type === 'tool_use' || type === 'tool-call') {
    return {
      kind: 'tool_call', name: str(p.name) ?? str(p.toolName) ?? 'tool', id: str(p.id) ?? str(p.toolCallId) ?? str(p.call_id),
      arguments: argsOf(p.arguments ?? p.input ?? p.args),
    };
  }
  if (type === 'tool_call_response' || type === 'tool_result' || type === 'function_call_output' || type === 'tool-result') {
    return { kind: 'tool_result', id: str(p.id) ?? str(p.tool_use_id) ?? str(p.toolCallId) ?? str(p.call_id), content: argsOf(p.response ?? p.content ?? p.output ?? p.result) };
  }
  return { kind: 'other', value: p };
}

function message(m: unknown): Message | null {
  if (!isObj(m)) return null;
  const role = str(m.role) ?? str(m.type);
  if (!role) return null;
  const parts: MessagePart[] = [];
  const content = m.parts ?? m.content;
  if (Array.isArray(content)) parts.push(...content.map(part));
  else if (typeof content === 'string') parts.push({ kind: 'text', text: content });
  else if (content !== undefined && content !== null) parts.push(part(content));
  // OpenAI chat: tool calls beside the content; a tool message answers one by id.
  if (Array.isArray(m.tool_calls)) {
    for (const c of m.tool_calls) {
      if (!isObj(c)) continue;
      const fn = isObj(c.function) ? c.function : c;
      parts.push({ kind: 'tool_call', name: str(fn.name) ?? 'tool', id: str(c.id), arguments: argsOf(fn.arguments) });
    }
  }
  if (role === 'tool' && str(m.tool_call_id) && parts.length === 1 && parts[0].kind === 'text') {
    parts[0] = { kind: 'tool_result', id: str(m.tool_call_id), content: parsePayload(parts[0].text) };
  }
  const finish = str(m.finish_reason) ?? str(m.finishReason);
  return { role, parts, ...(finish ? { finishReason: finish } : {}) };
}

function messageList(v: unknown): Message[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const out = v.map(message);
  return out.every((m): m is Message => m !== null) ? out : null;
}

/** The payload as messages, or null when it is not a conversation (show it as text or JSON then). */
export function toMessages(payload: unknown, defaultRole = 'user'): Message[] | null {
  const v = parsePayload(payload);
  if (v === null || v === undefined || v === '') return null;
  const direct = messageList(v);
  if (direct) return direct;
  if (isObj(v)) {
    for (const key of ['messages', 'prompt', 'input']) {
      const inner = messageList(v[key]);
      if (inner) return inner;
    }
    if (Array.isArray(v.choices)) {
      const msgs = v.choices.map((c) => (isObj(c) ? message({ ...(isObj(c.message) ? c.message : {}), finish_reason: c.finish_reason }) : null));
      if (msgs.length && msgs.every((m): m is Message => m !== null)) return msgs;
    }
    const single = message(v);
    if (single && (v.content !== undefined || v.parts !== undefined)) return [single];
    return null;
  }
  if (typeof v === 'string') return [{ role: defaultRole, parts: [{ kind: 'text', text: v }] }];
  return null;
}

/** A value as readable text: strings as they are, anything else as indented JSON. */
export function pretty(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, 2) ?? String(v);
  } catch {
    return String(v);
  }
}
