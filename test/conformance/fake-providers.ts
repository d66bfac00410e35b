/**
 * Stand-ins for the OpenAI and Anthropic HTTP APIs on 127.0.0.1, speaking
 * enough of each wire protocol for the real SDKs and their instrumentations:
 *
 *  OpenAI     POST /v1/chat/completions  (usage with prompt_tokens_details.cached_tokens;
 *                                         SSE streaming with a final usage chunk when
 *                                         stream_options.include_usage; tool_calls when the
 *                                         request offers tools and no tool result came back)
 *             POST /v1/embeddings
 *             POST /v1/responses         (Responses API, non-streaming: one output message)
 *  Anthropic  POST /v1/messages          (usage with cache_read/cache_creation tokens; SSE events)
 *
 * Error modes are chosen by model name: a model containing `error-429`
 * answers 429 (rate limit), `error-500` answers 500.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake OpenAI reports for every chat completion. */
export const OPENAI_CHAT_USAGE = { prompt_tokens: 1200, completion_tokens: 80, cached_tokens: 1024 } as const;
/** Tokens per embedded input. */
export const OPENAI_EMBED_TOKENS_PER_INPUT = 8;
/**
 * What the fake Anthropic reports: input_tokens exclude the cache counts, as
 * the Messages API does; more uncached than cached input, so a consumer that
 * takes input_tokens for the total (as OTel defines it) prices it wrong.
 */
export const ANTHROPIC_USAGE = {
  input_tokens: 1500,
  cache_read_input_tokens: 1000,
  cache_creation_input_tokens: 200,
  output_tokens: 60,
} as const;

export const CHAT_TEXT = 'Hello from the fake provider.';
/** Arguments of every tool call the fake OpenAI makes. */
export const TOOL_ARGUMENTS = { city: 'Paris' } as const;

/** The dated snapshot a request for an alias runs on, as the real API answers. */
const SNAPSHOTS: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-08-06',
};

export interface RecordedRequest {
  path: string;
  model: string | null;
  stream: boolean;
  /** The W3C traceparent header, when an instrumentation propagated one. */
  traceparent: string | null;
}

export interface FakeProviders {
  /** Base URL without a path, e.g. http://127.0.0.1:40123 */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const requests: RecordedRequest[] = [];
  let seq = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: any = {};
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        return json(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
      }
      const path = (req.url ?? '').split('?')[0];
      const model = typeof body.model === 'string' ? body.model : null;
      const traceparent = req.headers.traceparent;
      requests.push({ path, model, stream: body.stream === true, traceparent: typeof traceparent === 'string' ? traceparent : null });
      const id = ++seq;
      if (req.method !== 'POST') return json(res, 405, { error: { message: 'POST only' } });
      if (path === '/v1/chat/completions') return openaiChat(res, body, id);
      if (path === '/v1/embeddings') return openaiEmbeddings(res, body);
      if (path === '/v1/responses') return openaiResponses(res, body, id);
      if (path === '/v1/messages') return anthropicMessages(res, body, id);
      json(res, 404, { error: { message: `no fake for ${path}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The error a model name asks for, in the OpenAI (`openai`) or Anthropic error shape; null for none. */
function errorMode(res: http.ServerResponse, model: string | null, dialect: 'openai' | 'anthropic'): boolean {
  if (model === null) return false;
  const status = model.includes('error-429') ? 429 : model.includes('error-500') ? 500 : 0;
  if (status === 0) return false;
  const message = status === 429 ? 'Rate limit reached for requests' : 'The server had an error while processing your request';
  if (dialect === 'openai') {
    const type = status === 429 ? 'rate_limit_exceeded' : 'server_error';
    json(res, status, { error: { message, type, param: null, code: type } }, { 'retry-after': '1' });
  } else {
    const type = status === 429 ? 'rate_limit_error' : 'api_error';
    json(res, status, { type: 'error', error: { type, message } }, { 'retry-after': '1' });
  }
  return true;
}

function openaiUsage() {
  const u = OPENAI_CHAT_USAGE;
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** A tool call when tools are offered and the conversation has no tool result yet. */
function wantsToolCall(body: any): { name: string } | null {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length === 0) return null;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  if (messages.some((m: any) => m?.role === 'tool')) return null;
  const name = tools[0]?.function?.name;
  return typeof name === 'string' ? { name } : null;
}

function openaiChat(res: http.ServerResponse, body: any, id: number): void {
  const model: string | null = typeof body.model === 'string' ? body.model : null;
  if (errorMode(res, model, 'openai')) return;
  const responseModel = model !== null ? SNAPSHOTS[model] ?? model : 'unknown';
  const call = wantsToolCall(body);
  const toolCall = call && { id: `call_${id}`, type: 'function', function: { name: call.name, arguments: JSON.stringify(TOOL_ARGUMENTS) } };
  const base = { id: `chatcmpl-${id}`, created: Math.floor(Date.now() / 1000), model: responseModel, system_fingerprint: 'fp_fake' };
  const finish = toolCall ? 'tool_calls' : 'stop';

  if (body.stream !== true) {
    return json(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{
        index: 0,
        message: toolCall
          ? { role: 'assistant', content: null, tool_calls: [toolCall], refusal: null }
          : { role: 'assistant', content: CHAT_TEXT, refusal: null },
        logprobs: null,
        finish_reason: finish,
      }],
      usage: openaiUsage(),
    });
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`);
  send([{ index: 0, delta: { role: 'assistant', content: toolCall ? null : '' }, logprobs: null, finish_reason: null }]);
  if (toolCall) {
    const args = toolCall.function.arguments;
    const half = Math.floor(args.length / 2);
    send([{ index: 0, delta: { tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] }, finish_reason: null }]);
    send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(0, half) } }] }, finish_reason: null }]);
    send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }, finish_reason: null }]);
  } else {
    for (const piece of CHAT_TEXT.split(/(?<= )/)) send([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
  }
  send([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]);
  if (body.stream_options?.include_usage === true) send([], { usage: openaiUsage() });
  res.end('data: [DONE]\n\n');
}

/** The Responses API (`client.responses.create`), non-streaming: one assistant message with CHAT_TEXT. */
function openaiResponses(res: http.ServerResponse, body: any, id: number): void {
  const model: string | null = typeof body.model === 'string' ? body.model : null;
  if (errorMode(res, model, 'openai')) return;
  const u = OPENAI_CHAT_USAGE;
  json(res, 200, {
    id: `resp_${id}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: model !== null ? SNAPSHOTS[model] ?? model : 'unknown',
    instructions: body.instructions ?? null,
    output: [{
      type: 'message', id: `msg_${id}`, status: 'completed', role: 'assistant',
      content: [{ type: 'output_text', text: CHAT_TEXT, annotations: [] }],
    }],
    usage: {
      input_tokens: u.prompt_tokens, input_tokens_details: { cached_tokens: u.cached_tokens },
      output_tokens: u.completion_tokens, output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: u.prompt_tokens + u.completion_tokens,
    },
  });
}

function openaiEmbeddings(res: http.ServerResponse, body: any): void {
  const model: string | null = typeof body.model === 'string' ? body.model : null;
  if (errorMode(res, model, 'openai')) return;
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const tokens = inputs.length * OPENAI_EMBED_TOKENS_PER_INPUT;
  // The SDK asks for base64 by default and decodes it; both encodings are honoured.
  const vector = [0.1, -0.2, 0.3, 0.4];
  const encoded = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
  json(res, 200, {
    object: 'list',
    data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: encoded })),
    model: model ?? 'unknown',
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

function anthropicMessages(res: http.ServerResponse, body: any, id: number): void {
  const model: string | null = typeof body.model === 'string' ? body.model : null;
  if (errorMode(res, model, 'anthropic')) return;
  const u = ANTHROPIC_USAGE;
  const message = {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: model ?? 'unknown',
    stop_sequence: null,
  };
  if (body.stream !== true) {
    return json(res, 200, {
      ...message,
      content: [{ type: 'text', text: CHAT_TEXT }],
      stop_reason: 'end_turn',
      usage: { ...u },
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', {
    message: { ...message, content: [], stop_reason: null, usage: { ...u, output_tokens: 1 } },
  });
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  event('ping', {});
  for (const piece of CHAT_TEXT.split(/(?<= )/)) event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
  event('content_block_stop', { index: 0 });
  event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: u.output_tokens } });
  event('message_stop', {});
  res.end();
}
