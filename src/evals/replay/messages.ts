import type { ChatMessage, ToolCall } from '../providers/types.js';

/**
 * Every message shape the conventions store in a span's `input` and
 * `output` (src/semconv/), read into the provider-neutral messages:
 *
 *  - OTel GenAI: `{role, parts: [{type: text|tool_call|tool_call_response, …}]}`,
 *    system instructions as a leading system message;
 *  - OpenAI style (OpenInference's flattened messages, the deprecated
 *    `gen_ai.prompt.N.*`, Langfuse and OpenLLMetry payloads): `{role, content:
 *    string | parts, tool_calls, tool_call_id}`, tool calls either
 *    `{id, function: {name, arguments}}` or flattened `{id, name, arguments}`;
 *  - Vercel AI SDK (`ai.prompt.messages`): content parts `text`, `tool-call`
 *    (`toolCallId`, `toolName`, `input`|`args`), `tool-result`;
 *  - Anthropic style: `text`, `tool_use`, `tool_result` blocks.
 */
export interface ReadMessages {
  system: string[];
  messages: ChatMessage[];
  /** Parts that have no text form here (images, audio, files, reasoning), by type. */
  skipped: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** JSON text of a value that may already be text. */
export function asJsonText(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v ?? null);
}

function roleOf(v: unknown): 'system' | 'user' | 'assistant' | 'tool' {
  const r = typeof v === 'string' ? v.toLowerCase() : 'user';
  if (r === 'system' || r === 'developer') return 'system';
  if (r === 'assistant' || r === 'ai' || r === 'model' || r === 'bot') return 'assistant';
  if (r === 'tool' || r === 'function' || r === 'ipython') return 'tool';
  return 'user';
}

function toolCallOf(c: unknown, i: number): ToolCall | null {
  if (!isObj(c)) return null;
  const fn = isObj(c.function) ? c.function : c;
  const name = str(fn.name) ?? str(c.toolName);
  if (name === null) return null;
  const args = fn.arguments ?? c.input ?? c.args ?? {};
  return { id: str(c.id) ?? str(c.toolCallId) ?? `call_${i}`, name, arguments: asJsonText(args) };
}

interface Pieces {
  text: string[];
  calls: ToolCall[];
  results: Array<{ id: string; content: string }>;
}

/** One content part of any convention into text, a tool call or a tool result. */
function readPart(p: unknown, out: Pieces, skipped: string[]): void {
  if (typeof p === 'string') {
    out.text.push(p);
    return;
  }
  if (!isObj(p)) return;
  const type = str(p.type) ?? 'text';
  if (type === 'text' || type === 'input_text' || type === 'output_text') {
    const t = str(p.content) ?? str(p.text);
    if (t !== null) out.text.push(t);
  } else if (type === 'tool_call' || type === 'tool-call' || type === 'tool_use' || type === 'function_call') {
    const c = toolCallOf(p, out.calls.length);
    if (c) out.calls.push(c);
  } else if (type === 'tool_call_response' || type === 'tool-result' || type === 'tool_result' || type === 'function_call_output') {
    const id = str(p.id) ?? str(p.toolCallId) ?? str(p.tool_use_id) ?? str(p.call_id) ?? '';
    const content = p.response ?? p.output ?? p.result ?? p.content ?? null;
    out.results.push({ id, content: textOfResult(content) });
  } else {
    skipped.push(type);
  }
}

/** A tool result's content as text: text parts joined, anything else as JSON. */
function textOfResult(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => isObj(x) && typeof x.text === 'string')) return v.map((x) => (x as Obj).text as string).join('');
  if (isObj(v) && v.type === 'text' && typeof v.value === 'string') return v.value;
  return JSON.stringify(v ?? null);
}

/** Reads one stored message (any convention) into `into`. */
function readMessage(m: unknown, into: ReadMessages): void {
  if (typeof m === 'string') {
    into.messages.push({ role: 'user', content: m });
    return;
  }
  if (!isObj(m)) return;
  // OpenAI Responses input items: calls and their outputs are items of their own.
  if (m.type === 'function_call') {
    const c = toolCallOf({ ...m, id: m.call_id ?? m.id }, into.messages.length);
    if (c) into.messages.push({ role: 'assistant', content: null, toolCalls: [c] });
    return;
  }
  if (m.type === 'function_call_output') {
    into.messages.push({ role: 'tool', toolCallId: str(m.call_id) ?? '', content: textOfResult(m.output) });
    return;
  }
  if (m.type === 'reasoning') {
    into.skipped.push('reasoning');
    return;
  }
  const role = roleOf(m.role ?? m.type);
  const pieces: Pieces = { text: [], calls: [], results: [] };
  if (Array.isArray(m.parts)) for (const p of m.parts) readPart(p, pieces, into.skipped);
  if (typeof m.content === 'string') pieces.text.push(m.content);
  else if (Array.isArray(m.content)) for (const p of m.content) readPart(p, pieces, into.skipped);
  else if (isObj(m.content)) readPart(m.content, pieces, into.skipped);
  if (Array.isArray(m.tool_calls)) m.tool_calls.forEach((c, i) => { const t = toolCallOf(c, pieces.calls.length + i); if (t) pieces.calls.push(t); });
  const text = pieces.text.join('');
  if (role === 'system') {
    if (text !== '') into.system.push(text);
    return;
  }
  if (role === 'tool') {
    const id = str(m.tool_call_id) ?? str(m.toolCallId) ?? str(m.id) ?? pieces.results[0]?.id ?? '';
    if (pieces.results.length > 0) for (const r of pieces.results) into.messages.push({ role: 'tool', toolCallId: r.id || id, content: r.content });
    else into.messages.push({ role: 'tool', toolCallId: id, content: text });
    return;
  }
  if (role === 'assistant') {
    into.messages.push({ role: 'assistant', content: text === '' ? null : text, ...(pieces.calls.length > 0 ? { toolCalls: pieces.calls } : {}) });
    return;
  }
  // A user turn may carry tool results (Anthropic's tool_result blocks) next to its text.
  for (const r of pieces.results) into.messages.push({ role: 'tool', toolCallId: r.id, content: r.content });
  // A turn of images or audio alone has no text to send (its parts are listed as skipped).
  if (text !== '') into.messages.push({ role: 'user', content: text });
}

/** A stored message list (or one message, or plain text) as neutral messages. */
export function readMessages(value: unknown): ReadMessages {
  const out: ReadMessages = { system: [], messages: [], skipped: [] };
  if (Array.isArray(value)) for (const m of value) readMessage(m, out);
  else readMessage(value, out);
  return out;
}

/** The assistant's answer in a stored output (any convention): its text and tool calls. */
export function answerOf(value: unknown): { text: string | null; toolCalls: ToolCall[] } {
  if (typeof value === 'string') return { text: value, toolCalls: [] };
  // OpenAI response objects (a Langfuse or OpenInference output.value) hold the message under choices.
  if (isObj(value) && Array.isArray(value.choices)) return answerOf((value.choices[0] as Obj | undefined)?.message ?? null);
  if (isObj(value) && Array.isArray(value.content) && value.type === 'message') return answerOf({ role: 'assistant', content: value.content });
  const read = readMessages(value);
  const assistants = read.messages.filter((m): m is Extract<ChatMessage, { role: 'assistant' }> => m.role === 'assistant');
  if (assistants.length === 0) {
    const users = read.messages.filter((m): m is Extract<ChatMessage, { role: 'user' }> => m.role === 'user');
    return { text: users.length > 0 ? users.map((m) => m.content).join('\n') : null, toolCalls: [] };
  }
  const text = assistants.map((m) => m.content ?? '').join('');
  return { text: text === '' ? null : text, toolCalls: assistants.flatMap((m) => m.toolCalls ?? []) };
}
