/**
 * An MCP server over stdio, started by mcp-client.cts. Traced as its own
 * service: `@arizeai/openinference-instrumentation-mcp` extracts the
 * client's context from each request's `params._meta`,
 * `@traceloop/instrumentation-mcp` traces the requests the server sends
 * back (roots/list), and `@opentelemetry/instrumentation-openai` the LLM call
 * one tool makes, so every server-side span joins the client's trace.
 * stdout is the protocol channel: nothing else may be printed there.
 */
import { openinference, traceloop, tracing } from './mcp-server-setup.cjs';
import OpenAI from 'openai';
import * as serverIndex from '@modelcontextprotocol/sdk/server/index.js';
import * as serverStdio from '@modelcontextprotocol/sdk/server/stdio.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

// Neither MCP instrumentation's require hook matches the SDK's subpath exports; both document manual set-up.
openinference.manuallyInstrument({ serverStdioModule: serverStdio });
traceloop.manuallyInstrument({ Server: serverIndex.Server });

const openai = new OpenAI({ baseURL: `${process.env.FAKE_PROVIDER_URL}/v1`, apiKey: 'sk-fake', maxRetries: 0 });
const server = new McpServer({ name: 'conformance-tools', version: '1.0.0' });
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => text(String(a + b)));

server.registerTool('divide', { description: 'Divides a by b', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) =>
  b === 0 ? { ...text('division by zero'), isError: true } : text(String(a / b)));

/**
 * Exports the spans a tool made before it answers: the client closes the
 * session right after its last call and gives the server only two seconds
 * to exit.
 */
async function exported<T>(result: T): Promise<T> {
  await tracing.provider.forceFlush();
  return result;
}

server.registerTool('ask_llm', { description: 'Asks a model', inputSchema: { question: z.string() } }, async ({ question }) => {
  const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: question }] });
  return exported(text(completion.choices[0]?.message.content ?? ''));
});

server.registerTool('list_roots', { description: 'Lists the client roots' }, async () => {
  const { roots } = await server.server.listRoots();
  return exported(text(roots.map((r) => r.uri).join('\n')));
});

async function main(): Promise<void> {
  // The client ends stdin to close the session; flush before it gives up waiting.
  process.stdin.on('end', () => {
    tracing.provider.shutdown().finally(() => process.exit(0));
  });
  await server.connect(new serverStdio.StdioServerTransport());
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
