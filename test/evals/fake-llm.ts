/**
 * A local stand-in for the OpenAI Chat Completions and Anthropic Messages
 * wire protocols on 127.0.0.1 (port 0), enough for the official SDKs:
 * JSON and SSE streaming answers, tool calls, usage, and the failures a
 * provider gives. What it answers is chosen by the model name:
 *
 *   error-401 / bad key   401 in the provider's error shape
 *   error-429             429 with `retry-after: 1`
 *   flaky-429             429 (retry-after-ms: 5) on the first request of the model, then an answer
 *   error-500             500
 *   slow                  holds the answer until release() or close() (a timeout test's provider)
 *
 * and otherwise by `answers` (model → text), else an echo of the last user
 * text. A user text containing FAIL-500 also answers 500, so one item of a
 * dataset run can fail. Every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const OPENAI_KEY = 'sk-test-openai-key';
export const ANTHROPIC_KEY = 'sk-ant-test-key';
export const USAGE = { input: 120, output: 30 } as const;

export interface Recorded {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface FakeLlm {
  url: string;
  requests: Recorded[];
  /** Model → the text to answer (or a function of the request body). */
  answers: Map<string, string | ((body: any) => string)>;
  /** Resolves once `n` requests are being held (the `slow` model). */
  held(n: number): Promise<void>;
  /** Answers every held request. */
  release(): void;
  close(): Promise<void>;
}

function lastUserText(body: any, dialect: 'openai' | 'anthropic'): string {
  const msgs: any[] = Array.isArray(body.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      const t = m.content.filter((b: any) => b.type === 'text').map((b: any) => b.text).join('');
      if (t !== '' || dialect === 'openai') return t;
    }
  }
  return '';
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: Recorded[] = [];
  const answers = new Map<string, string | ((body: any) => string)>();
  const heldRes: Array<() => void> = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const seen = new Map<string, number>();
  let seq = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const path = (req.url ?? '').split('?')[0];
      requests.push({ path, headers: req.headers, body });
      const dialect = path.endsWith('/messages') ? 'anthropic' : 'openai';
      if (path !== '/v1/chat/completions' && path !== '/v1/messages') return json(res, 404, { error: { message: `no fake for ${path}` } });
      const model = String(body.model ?? '');
      const keyOk = dialect === 'openai' ? req.headers.authorization === `Bearer ${OPENAI_KEY}` : req.headers['x-api-key'] === ANTHROPIC_KEY;
      const fail = (status: number, headers: Record<string, string> = {}) => (dialect === 'openai'
        ? json(res, status, { error: { message: `fake ${status}`, type: status === 429 ? 'rate_limit_exceeded' : status === 401 ? 'invalid_api_key' : 'server_error', code: null, param: null } }, headers)
        : json(res, status, { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : 'api_error', message: `fake ${status}` } }, headers));
      if (!keyOk || model.includes('error-401')) return fail(401);
      if (model.includes('error-429')) return fail(429, { 'retry-after': '1' });
      if (model.includes('error-500') || lastUserText(body, dialect).includes('FAIL-500')) return fail(500);
      if (model.includes('flaky-429')) {
        const n = (seen.get(model) ?? 0) + 1;
        seen.set(model, n);
        if (n === 1) return fail(429, { 'retry-after-ms': '5' });
      }
      const id = ++seq;
      const answer = () => (dialect === 'openai' ? openai(res, body, id, answers) : anthropic(res, body, id, answers));
      if (model.includes('slow')) {
        heldRes.push(answer);
        for (const w of waiters.splice(0)) if (heldRes.length >= w.n) w.resolve(); else waiters.push(w);
        return;
      }
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answers,
    held: (n) => (heldRes.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    release: () => {
      for (const a of heldRes.splice(0)) a();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function textFor(body: any, answers: FakeLlm['answers'], dialect: 'openai' | 'anthropic'): string {
  const a = answers.get(String(body.model));
  if (typeof a === 'function') return a(body);
  if (typeof a === 'string') return a;
  return `echo: ${lastUserText(body, dialect)}`;
}

function wantsTool(body: any, dialect: 'openai' | 'anthropic'): string | null {
  const tools: any[] = Array.isArray(body.tools) ? body.tools : [];
  if (tools.length === 0) return null;
  const msgs: any[] = body.messages ?? [];
  const answered = dialect === 'openai'
    ? msgs.some((m) => m.role === 'tool')
    : msgs.some((m) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result'));
  if (answered) return null;
  return dialect === 'openai' ? tools[0].function.name : tools[0].name;
}

function openai(res: http.ServerResponse, body: any, id: number, answers: FakeLlm['answers']): void {
  const tool = wantsTool(body, 'openai');
  const text = tool ? null : textFor(body, answers, 'openai');
  const call = tool && { id: `call_${id}`, type: 'function', function: { name: tool, arguments: '{"city":"Paris"}' } };
  const usage = { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output, prompt_tokens_details: { cached_tokens: 0 } };
  const base = { id: `chatcmpl-${id}`, created: 1_700_000_000, model: `${body.model}-snapshot` };
  if (body.stream !== true) {
    return json(res, 200, {
      ...base, object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null, ...(call ? { tool_calls: [call] } : {}) }, finish_reason: call ? 'tool_calls' : 'stop', logprobs: null }],
      usage,
    });
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (choices: unknown[], extra: object = {}) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...extra })}\n\n`);
  send([{ index: 0, delta: { role: 'assistant', content: call ? null : '' }, finish_reason: null }]);
  if (call) {
    send([{ index: 0, delta: { tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, finish_reason: null }]);
    send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null }]);
    send([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null }]);
  } else {
    for (const piece of text!.split(/(?<= )/)) send([{ index: 0, delta: { content: piece }, finish_reason: null }]);
  }
  send([{ index: 0, delta: {}, finish_reason: call ? 'tool_calls' : 'stop' }]);
  if (body.stream_options?.include_usage) send([], { usage });
  res.end('data: [DONE]\n\n');
}

function anthropic(res: http.ServerResponse, body: any, id: number, answers: FakeLlm['answers']): void {
  const tool = wantsTool(body, 'anthropic');
  const text = tool ? null : textFor(body, answers, 'anthropic');
  const usage = { input_tokens: USAGE.input, output_tokens: USAGE.output, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
  const message = { id: `msg_${id}`, type: 'message', role: 'assistant', model: `${body.model}-snapshot`, stop_sequence: null };
  const content = tool ? [{ type: 'tool_use', id: `toolu_${id}`, name: tool, input: { city: 'Paris' } }] : [{ type: 'text', text }];
  if (body.stream !== true) return json(res, 200, { ...message, content, stop_reason: tool ? 'tool_use' : 'end_turn', usage });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  if (tool) {
    event('content_block_start', { index: 0, content_block: { type: 'tool_use', id: `toolu_${id}`, name: tool, input: {} } });
    event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":' } });
    event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } });
  } else {
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    for (const piece of text!.split(/(?<= )/)) event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
  }
  event('content_block_stop', { index: 0 });
  event('message_delta', { delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: USAGE.output } });
  event('message_stop', {});
  res.end();
}
