import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';

/** Deterministic PRNG so every run builds the same mix. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'order invoice refund customer shipping account ticket status billing payment plan upgrade question support agent tool result error retry latency'.split(' ');
function words(r: () => number, bytes: number): string {
  let s = '';
  while (s.length < bytes) s += WORDS[(r() * WORDS.length) | 0] + (r() < 0.1 ? '. ' : ' ') + (r() < 0.05 ? String((r() * 1e5) | 0) + ' ' : '');
  return s;
}

const MODELS = [['openai', 'gpt-4o-2024-08-06'], ['openai', 'gpt-4o-mini'], ['anthropic', 'claude-3-5-sonnet-20241022'], ['gcp.gemini', 'gemini-2.5-flash']];
const TOOLS = ['search_orders', 'get_weather', 'create_ticket', 'lookup_invoice', 'run_sql'];

/**
 * The span mix of measured-floors.md: per trace one invoke_agent, 4 chat
 * spans with ~1.5 KB input / ~0.5 KB output messages, 3 execute_tool and 2
 * MCP tools/call spans; built with the real SDK.
 */
export function buildSpans(traces: number, seed = 42): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-agent', 'service.version': '1.0.0' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const r = rng(seed);
  for (let t = 0; t < traces; t++) {
    const session = `sess-${(r() * 1000) | 0}`;
    const agent = tracer.startSpan('invoke_agent support', { kind: SpanKind.INTERNAL, attributes: {
      'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'gen_ai.conversation.id': session } });
    const ctx = trace.setSpan(context.active(), agent);
    for (let i = 0; i < 4; i++) {
      const [provider_, model] = MODELS[(r() * MODELS.length) | 0];
      const s = tracer.startSpan(`chat ${model}`, { kind: SpanKind.CLIENT, attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': provider_, 'gen_ai.request.model': model,
        'gen_ai.response.model': model, 'gen_ai.usage.input_tokens': 300 + ((r() * 2000) | 0),
        'gen_ai.usage.output_tokens': 50 + ((r() * 500) | 0), 'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.conversation.id': session, 'gen_ai.request.temperature': 0.2, 'gen_ai.request.max_tokens': 1024,
        'gen_ai.input.messages': JSON.stringify([{ role: 'system', parts: [{ type: 'text', content: words(r, 600) }] },
          { role: 'user', parts: [{ type: 'text', content: words(r, 900) }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: words(r, 450) }], finish_reason: 'stop' }]),
      } }, ctx);
      if (r() < 0.03) s.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
      s.end();
    }
    for (let i = 0; i < 3; i++) {
      const tool = TOOLS[(r() * TOOLS.length) | 0];
      tracer.startSpan(`execute_tool ${tool}`, { attributes: {
        'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': tool, 'gen_ai.tool.call.id': `call_${t}_${i}`,
        'gen_ai.tool.call.arguments': JSON.stringify({ query: words(r, 60) }) } }, ctx).end();
    }
    for (let i = 0; i < 2; i++) {
      tracer.startSpan('tools/call run_sql', { kind: SpanKind.CLIENT, attributes: {
        'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'run_sql', 'mcp.session.id': `mcp-${t}`,
        'jsonrpc.request.id': String(i), 'gen_ai.operation.name': 'execute_tool' } }, ctx).end();
    }
    agent.end();
  }
  return exporter.getFinishedSpans();
}
