import type Anthropic from '@anthropic-ai/sdk';
import { kindOfStatus, ProviderError, retryAfterMs } from './errors.js';
import type { ChatClient, ChatMessage, ChatRequest, ChatResult, ToolCall } from './types.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The Messages API requires max_tokens; a capture without one is replayed with this. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

type Params = Anthropic.MessageCreateParamsNonStreaming;
type Message = Anthropic.MessageParam;
type Block = Anthropic.ContentBlockParam;

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Anthropic wants an object; arguments that are not JSON stay readable under one key.
    return { arguments: text };
  }
}

/**
 * The Messages API wants alternating user/assistant turns with tool
 * results as user content blocks, so consecutive messages of one side are
 * merged into one turn.
 */
function wireMessages(messages: readonly ChatMessage[]): Message[] {
  const out: Message[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    const last = out[out.length - 1];
    if (last && last.role === role) (last.content as Block[]).push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === 'user') push('user', [{ type: 'text', text: m.content }]);
    else if (m.role === 'tool') push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: m.content }]);
    else {
      const blocks: Block[] = [];
      if (m.content !== null && m.content !== '') blocks.push({ type: 'text', text: m.content });
      for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseArguments(c.arguments) });
      if (blocks.length > 0) push('assistant', blocks);
    }
  }
  return out;
}

/** The Messages API body of a request (frequency/presence penalties and seed have no equivalent there). */
export function anthropicParams(req: ChatRequest): { params: Params; dropped: string[] } {
  const p = req.parameters;
  const params: Params = { model: req.model, max_tokens: p.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS, messages: wireMessages(req.messages) };
  if (req.system !== null) params.system = req.system;
  if (p.temperature !== undefined) params.temperature = p.temperature;
  if (p.topP !== undefined) params.top_p = p.topP;
  if (p.topK !== undefined) params.top_k = p.topK;
  if (p.stop !== undefined && p.stop.length > 0) params.stop_sequences = p.stop;
  if (req.tools.length > 0) {
    params.tools = req.tools.map((t) => ({
      name: t.name, ...(t.description ? { description: t.description } : {}),
      input_schema: { type: 'object' as const, ...t.parameters },
    }));
    const c = req.toolChoice;
    if (c === 'auto') params.tool_choice = { type: 'auto' };
    else if (c === 'required') params.tool_choice = { type: 'any' };
    else if (c === 'none') params.tool_choice = { type: 'none' };
    else if (c !== undefined) params.tool_choice = { type: 'tool', name: c.name };
  }
  const dropped = (['frequencyPenalty', 'presencePenalty', 'seed'] as const).filter((k) => p[k] !== undefined);
  return { params, dropped };
}

function failure(Anthropic: typeof import('@anthropic-ai/sdk').default, err: unknown): unknown {
  if (err instanceof Anthropic.APIUserAbortError) return new ProviderError({ kind: 'aborted', provider: 'anthropic', message: 'the Anthropic request was cancelled' });
  if (err instanceof Anthropic.APIConnectionTimeoutError) return new ProviderError({ kind: 'timeout', provider: 'anthropic', message: 'the Anthropic request timed out (evals.timeoutMs)' });
  if (err instanceof Anthropic.APIConnectionError) return new ProviderError({ kind: 'connection', provider: 'anthropic', message: `could not reach Anthropic: ${err.message}` });
  if (err instanceof Anthropic.APIError && typeof err.status === 'number') {
    const after = retryAfterMs(err.headers);
    return new ProviderError({
      kind: kindOfStatus(err.status), provider: 'anthropic', status: err.status, message: `Anthropic answered ${err.status}: ${err.message}`,
      ...(after !== undefined ? { retryAfterSeconds: Math.max(1, Math.ceil(after / 1000)) } : {}),
    }, after);
  }
  return err;
}

/** Anthropic through the official `@anthropic-ai/sdk`; its own retries are off (retry.ts retries). */
export function anthropicClient(opts: { apiKey: string; baseUrl: string; timeoutMs: number }): ChatClient {
  // Loaded at the first call, as the OpenAI SDK is; authToken null so ANTHROPIC_AUTH_TOKEN is never read.
  let loaded: Promise<{ sdk: typeof import('@anthropic-ai/sdk').default; client: Anthropic }> | null = null;
  const load = () => (loaded ??= import('@anthropic-ai/sdk').then(({ default: sdk }) => ({
    sdk,
    client: new sdk({ apiKey: opts.apiKey, authToken: null, baseURL: opts.baseUrl || ANTHROPIC_DEFAULT_BASE_URL, timeout: opts.timeoutMs, maxRetries: 0 }),
  })));
  return {
    provider: 'anthropic',
    async chat(req, signal) {
      const { params, dropped } = anthropicParams(req);
      const { sdk, client } = await load();
      try {
        const out = req.stream ? await streamed(client, params, signal) : await whole(client, params, signal);
        return { ...out, provider: 'anthropic', dropped };
      } catch (err) {
        throw failure(sdk, err);
      }
    },
  };
}

type Answer = Pick<ChatResult, 'text' | 'toolCalls' | 'finishReason' | 'model' | 'usage'>;

/** Anthropic's input_tokens leave the cache reads and writes out; OTel (and every cost here) counts them in. */
function usageOf(u: { input_tokens?: number | null; output_tokens?: number | null; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null }): ChatResult['usage'] {
  const read = u.cache_read_input_tokens ?? null;
  const write = u.cache_creation_input_tokens ?? null;
  return {
    inputTokens: u.input_tokens == null ? null : u.input_tokens + (read ?? 0) + (write ?? 0),
    outputTokens: u.output_tokens ?? null,
    cacheReadTokens: read,
    cacheWriteTokens: write,
  };
}

async function whole(client: Anthropic, params: Params, signal?: AbortSignal): Promise<Answer> {
  const r = await client.messages.create(params, { signal });
  const texts: string[] = [];
  const calls: ToolCall[] = [];
  for (const b of r.content) {
    if (b.type === 'text') texts.push(b.text);
    else if (b.type === 'tool_use') calls.push({ id: b.id, name: b.name, arguments: JSON.stringify(b.input) });
  }
  return { text: texts.length > 0 ? texts.join('') : null, toolCalls: calls, finishReason: r.stop_reason ?? null, model: r.model ?? null, usage: usageOf(r.usage) };
}

/** A streamed message assembled from its events: text and tool-input JSON deltas per content block. */
async function streamed(client: Anthropic, params: Params, signal?: AbortSignal): Promise<Answer> {
  const stream = await client.messages.create({ ...params, stream: true }, { signal });
  const blocks = new Map<number, { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; json: string }>();
  let model: string | null = null;
  let finish: string | null = null;
  let usage: Parameters<typeof usageOf>[0] = {};
  for await (const ev of stream) {
    if (ev.type === 'message_start') {
      model = ev.message.model ?? null;
      usage = { ...ev.message.usage };
    } else if (ev.type === 'content_block_start') {
      const b = ev.content_block;
      if (b.type === 'text') blocks.set(ev.index, { type: 'text', text: b.text });
      else if (b.type === 'tool_use') blocks.set(ev.index, { type: 'tool_use', id: b.id, name: b.name, json: '' });
    } else if (ev.type === 'content_block_delta') {
      const b = blocks.get(ev.index);
      if (b?.type === 'text' && ev.delta.type === 'text_delta') b.text += ev.delta.text;
      else if (b?.type === 'tool_use' && ev.delta.type === 'input_json_delta') b.json += ev.delta.partial_json;
    } else if (ev.type === 'message_delta') {
      finish = ev.delta.stop_reason ?? finish;
      if (ev.usage.output_tokens != null) usage = { ...usage, output_tokens: ev.usage.output_tokens };
    }
  }
  const ordered = [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
  const texts = ordered.flatMap((b) => (b.type === 'text' ? [b.text] : []));
  const calls = ordered.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: b.json === '' ? '{}' : b.json }] : []));
  return { text: texts.length > 0 ? texts.join('') : null, toolCalls: calls, finishReason: finish, model, usage: usageOf(usage) };
}
