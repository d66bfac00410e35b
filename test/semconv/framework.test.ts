import { describe, expect, it } from 'vitest';
import { detectFramework, frameworkFromScope } from '../../src/semconv/framework.js';

describe('frameworkFromScope', () => {
  const cases: Array<[string, string | null]> = [
    ['@opentelemetry/instrumentation-openai', 'openai'],
    ['opentelemetry.instrumentation.openai_v2', 'openai'],
    ['@traceloop/instrumentation-openai', 'openai'],
    ['@traceloop/instrumentation-anthropic', 'anthropic'],
    ['@arizeai/openinference-instrumentation-openai', 'openai'],
    ['@arizeai/openinference-instrumentation-langchain', 'langchain'],
    ['openinference.instrumentation.llama_index', 'llamaindex'],
    ['openinference.instrumentation.crewai', 'crewai'],
    ['openinference.instrumentation.autogen_agentchat', 'autogen'],
    ['openinference.instrumentation.openai_agents', 'openai-agents'],
    ['opentelemetry.instrumentation.langchain', 'langchain'],
    ['@traceloop/instrumentation-mcp', 'mcp'],
    ['@traceloop/instrumentation-bedrock', 'bedrock'],
    ['@traceloop/instrumentation-vertexai', 'google-genai'],
    ['ai', 'vercel-ai'],
    ['gen_ai', 'vercel-ai'],
    ['langfuse-sdk', 'langfuse'],
    ['@traceloop/node-server-sdk', 'traceloop'],
    ['openinference.instrumentation', 'openinference'],
    ['@opentelemetry/instrumentation-http', null],
    ['', null],
  ];
  for (const [scope, fw] of cases) it(`${scope || '(empty)'} → ${fw}`, () => expect(frameworkFromScope(scope)).toBe(fw));
});

describe('detectFramework', () => {
  it('uses the convention hint when the scope names no target', () => {
    expect(detectFramework('my-app', undefined, 'openinference')).toBe('openinference');
    expect(detectFramework('@traceloop/node-server-sdk', undefined, 'traceloop')).toBe('traceloop');
    expect(detectFramework('@opentelemetry/instrumentation-http', undefined, 'mcp')).toBe('mcp');
  });

  it('refines langchain to langgraph from OpenInference metadata', () => {
    expect(detectFramework('openinference.instrumentation.langchain', '{"langgraph_node":"a"}', null)).toBe(
      'langgraph',
    );
  });
});
