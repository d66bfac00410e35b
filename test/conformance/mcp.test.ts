/**
 * `@modelcontextprotocol/sdk` client and server in two processes over stdio.
 * `@traceloop/instrumentation-mcp` makes the spans (client requests, and the
 * server's own request back to the client); `@arizeai/openinference-
 * instrumentation-mcp` only carries the trace context in `params._meta`, so
 * the server's spans (an LLM call inside a tool, the roots/list request) land
 * in the client's trace. Read back from the traces API as one trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAI_CHAT_USAGE } from './fake-providers.js';
import { onlyTrace, payload, spanNamed, startConformance, tablePrice, type ClientOutput, type Conformance } from './harness.js';

const CLIENT = 'conformance-mcp-client';
const SERVER = 'conformance-mcp-server';
/** Seven client spans (session, initialize, tools/list, four tool calls) and two from the server. */
const SPANS = 9;
let c: Conformance;
let out: ClientOutput;
let t: any;

beforeAll(async () => {
  c = await startConformance();
  out = await c.runClient('mcp-client.cts');
  t = await c.readTrace(onlyTrace(out.steps.session), SPANS);
});
afterAll(() => c?.stop());

describe('MCP client and server → Lookspan', () => {
  it('client and server spans land in one trace, server spans under the client call that caused them', () => {
    expect(t.spans).toHaveLength(SPANS);
    expect(new Set(t.spans.map((s: any) => s.traceId))).toEqual(new Set([onlyTrace(out.steps.session)]));
    expect(t.spans.filter((s: any) => s.serviceName === CLIENT)).toHaveLength(7);
    expect(t.spans.filter((s: any) => s.serviceName === SERVER)).toHaveLength(2);
    expect(spanNamed(t, 'chat gpt-4o-mini').parentSpanId).toBe(spanNamed(t, 'ask_llm.tool').id);
    expect(spanNamed(t, 'roots/list.mcp').parentSpanId).toBe(spanNamed(t, 'list_roots.tool').id);
    expect(t.rootSpanId).toBe(spanNamed(t, 'mcp.client.session').id);
  });

  it('session and protocol methods are mcp spans with their method', () => {
    const session = spanNamed(t, 'mcp.client.session');
    expect(session).toMatchObject({ type: 'mcp', framework: 'mcp', status: 'ok', kind: 'client', parentSpanId: null });
    expect(spanNamed(t, 'initialize.mcp')).toMatchObject({ type: 'mcp', framework: 'mcp', mcp: { method: 'initialize' }, parentSpanId: session.id });
    const list = spanNamed(t, 'tools/list.mcp');
    expect(list).toMatchObject({ type: 'mcp', mcp: { method: 'tools/list' }, status: 'ok' });
    expect((payload(list.output) as any).tools.map((x: any) => x.name).sort()).toEqual(out.results && (out.results as any).tools);
  });

  it('a tool call is a tool_call with its name, arguments and result', () => {
    const add = spanNamed(t, 'add.tool');
    expect(add).toMatchObject({ type: 'tool_call', framework: 'mcp', toolName: 'add', mcp: { method: 'tools/call' }, status: 'ok', errorType: null, kind: 'client' });
    expect(payload(add.input)).toEqual({ tool_name: 'add', arguments: { a: 2, b: 3 } });
    expect(payload(add.output)).toEqual({ result: '5' });
  });

  it('a tool result with isError:true is an error span (tool_error) although the JSON-RPC call succeeded', () => {
    expect((out.results as any).divide).toMatchObject({ isError: true });
    const divide = spanNamed(t, 'divide.tool');
    expect(divide).toMatchObject({ type: 'tool_call', toolName: 'divide', status: 'error', errorType: 'tool_error', statusMessage: 'division by zero' });
    expect(t.errorCount).toBe(1);
    expect(t.status).toBe('error');
  });

  it('the LLM call inside a server tool is priced and attributed to the server', () => {
    const chat = spanNamed(t, 'chat gpt-4o-mini');
    expect(chat).toMatchObject({ serviceName: SERVER, type: 'llm_call', provider: 'openai', framework: 'openai', responseModel: 'gpt-4o-mini-2024-07-18' });
    expect(chat.usage).toMatchObject({ inputTokens: OPENAI_CHAT_USAGE.prompt_tokens, outputTokens: OPENAI_CHAT_USAGE.completion_tokens, costSource: 'computed' });
    expect(chat.usage.costUsd).toBeCloseTo(tablePrice('gpt-4o-mini-2024-07-18', 'openai', { input_tokens: OPENAI_CHAT_USAGE.prompt_tokens, output_tokens: OPENAI_CHAT_USAGE.completion_tokens }), 12);
    expect(t.llmCallCount).toBe(1);
    // Tool calls only (the 4 tools/call spans); MCP protocol spans (session, initialize, tools/list, roots/list) are not tool calls.
    expect(t.toolCallCount).toBe(4);
    expect(t.spans.filter((s: any) => s.type === 'mcp').length).toBeGreaterThanOrEqual(4);
  });

  it("the server's request back to the client names the server", () => {
    const roots = spanNamed(t, 'roots/list.mcp');
    expect(roots).toMatchObject({ kind: 'server', type: 'mcp', framework: 'mcp', mcp: { method: 'roots/list' }, serverName: SERVER, status: 'ok' });
    expect(payload(roots.output)).toEqual({ roots: [{ uri: 'file:///workspace', name: 'workspace' }] });
  });
});
