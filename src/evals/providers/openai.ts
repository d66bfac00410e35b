import type OpenAI from 'openai';
import { kindOfStatus, ProviderError, retryAfterMs } from './errors.js';
import type { ChatClient, ChatMessage, ChatRequest, ChatResult, ToolCall } from './types.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

type Params = OpenAI.Chat.Completions.ChatCompletionCreateParams;
type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

function wireMessage(m: ChatMessage): Message {
  if (m.role === 'user') return { role: 'user', content: m.content };
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  return {
    role: 'assistant',
    content: m.content,
    ...(m.toolCalls && m.toolCalls.length > 0
      ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) }
      : {}),
  };
}

/** The Chat Completions body of a request (top_k has no equivalent there). */
export function openAiParams(req: ChatRequest): { params: Params; dropped: string[] } {
  const p = req.parameters;
  const messages: Message[] = [...(req.system !== null ? [{ role: 'system' as const, content: req.system }] : []), ...req.messages.map(wireMessage)];
  const params: Params = { model: req.model, messages };
  if (p.temperature !== undefined) params.temperature = p.temperature;
  if (p.topP !== undefined) params.top_p = p.topP;
  // max_tokens rather than max_completion_tokens: the one OpenAI-compatible servers (vLLM, Ollama, LiteLLM) take.
  if (p.maxTokens !== undefined) params.max_tokens = p.maxTokens;
  if (p.stop !== undefined && p.stop.length > 0) params.stop = p.stop;
  if (p.frequencyPenalty !== undefined) params.frequency_penalty = p.frequencyPenalty;
  if (p.presencePenalty !== undefined) params.presence_penalty = p.presencePenalty;
  if (p.seed !== undefined) params.seed = p.seed;
  if (req.tools.length > 0) {
    params.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.parameters } }));
    const c = req.toolChoice;
    if (c !== undefined) params.tool_choice = typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };
  }
  if (req.jsonOutput) params.response_format = { type: 'json_object' };
  return { params, dropped: p.topK !== undefined ? ['topK'] : [] };
}

function failure(OpenAI: typeof import('openai').default, err: unknown): unknown {
  if (err instanceof OpenAI.APIUserAbortError) return new ProviderError({ kind: 'aborted', provider: 'openai', message: 'the OpenAI request was cancelled' });
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new ProviderError({ kind: 'timeout', provider: 'openai', message: 'the OpenAI request timed out (evals.timeoutMs)' });
  if (err instanceof OpenAI.APIConnectionError) return new ProviderError({ kind: 'connection', provider: 'openai', message: `could not reach OpenAI: ${err.message}` });
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const after = retryAfterMs(err.headers);
    return new ProviderError({
      kind: kindOfStatus(err.status), provider: 'openai', status: err.status, message: `OpenAI answered ${err.status}: ${err.message}`,
      ...(after !== undefined ? { retryAfterSeconds: Math.max(1, Math.ceil(after / 1000)) } : {}),
    }, after);
  }
  return err;
}

/** OpenAI and OpenAI-compatible endpoints through the official `openai` package; its own retries are off (retry.ts retries). */
export function openAiClient(opts: { apiKey: string; baseUrl: string; timeoutMs: number }): ChatClient {
  // Loaded at the first call: a server that never evaluates does not pay for the SDK at start-up.
  let loaded: Promise<{ sdk: typeof import('openai').default; client: OpenAI }> | null = null;
  const load = () => (loaded ??= import('openai').then(({ default: sdk }) => ({
    sdk,
    // Everything explicit, so the SDK never reads OPENAI_* itself: the config decided them already.
    client: new sdk({ apiKey: opts.apiKey, baseURL: opts.baseUrl || OPENAI_DEFAULT_BASE_URL, timeout: opts.timeoutMs, maxRetries: 0, organization: null, project: null }),
  })));
  return {
    provider: 'openai',
    async chat(req, signal) {
      const { params, dropped } = openAiParams(req);
      const { sdk, client } = await load();
      try {
        const out = req.stream ? await streamed(client, params, signal) : await whole(client, params, signal);
        return { ...out, provider: 'openai', dropped };
      } catch (err) {
        throw failure(sdk, err);
      }
    },
  };
}

type Answer = Pick<ChatResult, 'text' | 'toolCalls' | 'finishReason' | 'model' | 'usage'>;

function usageOf(u: OpenAI.CompletionUsage | null | undefined): ChatResult['usage'] {
  return {
    inputTokens: u?.prompt_tokens ?? null,
    outputTokens: u?.completion_tokens ?? null,
    cacheReadTokens: u?.prompt_tokens_details?.cached_tokens ?? null,
    cacheWriteTokens: null,
  };
}

async function whole(client: OpenAI, params: Params, signal?: AbortSignal): Promise<Answer> {
  const r = await client.chat.completions.create({ ...params, stream: false }, { signal });
  const choice = r.choices[0];
  const calls: ToolCall[] = (choice?.message.tool_calls ?? []).flatMap((c) => (c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : []));
  return { text: choice?.message.content ?? null, toolCalls: calls, finishReason: choice?.finish_reason ?? null, model: r.model ?? null, usage: usageOf(r.usage) };
}

/** A streamed completion assembled: text deltas joined, tool-call deltas merged by index, usage from the final chunk. */
async function streamed(client: OpenAI, params: Params, signal?: AbortSignal): Promise<Answer> {
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal });
  let text: string | null = null;
  let finish: string | null = null;
  let model: string | null = null;
  let usage: OpenAI.CompletionUsage | null = null;
  const calls = new Map<number, ToolCall>();
  for await (const chunk of stream) {
    model ??= chunk.model ?? null;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (typeof choice.delta.content === 'string') text = (text ?? '') + choice.delta.content;
    for (const d of choice.delta.tool_calls ?? []) {
      const c = calls.get(d.index) ?? { id: '', name: '', arguments: '' };
      if (d.id) c.id = d.id;
      if (d.function?.name) c.name += d.function.name;
      if (d.function?.arguments) c.arguments += d.function.arguments;
      calls.set(d.index, c);
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { text, toolCalls: [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c), finishReason: finish, model, usage: usageOf(usage) };
}
