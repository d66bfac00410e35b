/**
 * An MCP client session against mcp-server.cts over stdio, traced with
 * `@traceloop/instrumentation-mcp` (spans) and
 * `@arizeai/openinference-instrumentation-mcp` (context into `_meta`):
 * initialize, tools/list, a tool call, a tool returning isError, a tool that
 * calls an LLM and a tool that asks the client for its roots. Prints the
 * session's trace id as JSON.
 */
import path from 'node:path';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MCPInstrumentation } from '@arizeai/openinference-instrumentation-mcp';
import { McpInstrumentation } from '@traceloop/instrumentation-mcp';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import * as clientStdio from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { run, startTracing } from './tracing.cjs';

const tracing = startTracing('conformance-mcp-client');
const openinference = new MCPInstrumentation();
const traceloop = new McpInstrumentation({ traceContent: true });
registerInstrumentations({ instrumentations: [openinference, traceloop], tracerProvider: tracing.provider });
// Neither instrumentation's require hook matches the SDK's subpath exports; both document manual set-up.
openinference.manuallyInstrument({ clientStdioModule: clientStdio });
traceloop.manuallyInstrument({ Client });

/** Spans the client itself ends: session, initialize, tools/list and four tool calls. */
const CLIENT_SPANS = 7;

run(async () => {
  const results: Record<string, unknown> = {};
  await tracing.step('session', async () => {
    const transport = new clientStdio.StdioClientTransport({
      command: process.execPath,
      args: ['--require', 'tsx/cjs', '--eval', 'require(process.argv[1])', path.join(__dirname, 'mcp-server.cts')],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOOKSPAN_URL: process.env.LOOKSPAN_URL ?? '',
        FAKE_PROVIDER_URL: process.env.FAKE_PROVIDER_URL ?? '',
      },
      stderr: 'inherit',
    });
    const client = new Client({ name: 'conformance-client', version: '1.0.0' }, { capabilities: { roots: {} } });
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///workspace', name: 'workspace' }] }));
    await client.connect(transport);
    results.tools = (await client.listTools()).tools.map((t) => t.name).sort();
    results.add = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    results.divide = await client.callTool({ name: 'divide', arguments: { a: 1, b: 0 } });
    results.ask_llm = await client.callTool({ name: 'ask_llm', arguments: { question: 'Say hello.' } });
    results.list_roots = await client.callTool({ name: 'list_roots', arguments: {} });
    await client.close();
  }, { spans: CLIENT_SPANS });
  await tracing.finish({ results });
});
