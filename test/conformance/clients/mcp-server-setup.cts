/**
 * Tracing for mcp-server.cts, imported before `openai` so the OpenAI
 * instrumentation's require hook patches it as it loads.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { MCPInstrumentation } from '@arizeai/openinference-instrumentation-mcp';
import { McpInstrumentation } from '@traceloop/instrumentation-mcp';
import { startTracing } from './tracing.cjs';

export const tracing = startTracing('conformance-mcp-server');
export const openinference = new MCPInstrumentation();
export const traceloop = new McpInstrumentation({ traceContent: true });
registerInstrumentations({ instrumentations: [openinference, traceloop, new OpenAIInstrumentation()], tracerProvider: tracing.provider });
