import { lookupTable } from '../model/lookup-table.js';
import type { AttrValue } from '../model/span-record.js';

/**
 * Which framework produced a span. The instrumentation scope names the
 * library it patches (`@arizeai/openinference-instrumentation-langchain`,
 * `opentelemetry.instrumentation.openai.v1`, `@traceloop/instrumentation-mcp`),
 * which is the most specific signal, so it is checked first; the target
 * framework or SDK beats the instrumentation family (OpenInference,
 * Traceloop, Langfuse), which is only the answer when the scope names no
 * target.
 *
 * Needles are checked in order against the lower-cased scope name; the first
 * hit wins, so frameworks precede the provider SDKs they call.
 */
const SCOPE_NEEDLES: ReadonlyArray<readonly [string, string]> = [
  ['instrumentation-mcp', 'mcp'],
  ['instrumentation.mcp', 'mcp'],
  ['modelcontextprotocol', 'mcp'],
  ['langgraph', 'langgraph'],
  ['langchain', 'langchain'],
  ['llama_index', 'llamaindex'],
  ['llama-index', 'llamaindex'],
  ['llamaindex', 'llamaindex'],
  ['crewai', 'crewai'],
  ['autogen', 'autogen'],
  ['openai_agents', 'openai-agents'],
  ['openai-agents', 'openai-agents'],
  ['semantic_kernel', 'semantic-kernel'],
  ['semantickernel', 'semantic-kernel'],
  ['haystack', 'haystack'],
  ['dspy', 'dspy'],
  ['pydantic-ai', 'pydantic-ai'],
  ['pydantic_ai', 'pydantic-ai'],
  ['strands', 'strands'],
  ['agent_framework', 'agent-framework'],
  ['smolagents', 'smolagents'],
  ['litellm', 'litellm'],
  ['langfuse', 'langfuse'],
  ['bedrock', 'bedrock'],
  ['vertexai', 'google-genai'],
  ['vertex-ai', 'google-genai'],
  ['google_genai', 'google-genai'],
  ['google-genai', 'google-genai'],
  ['google_generativeai', 'google-genai'],
  ['google-generativeai', 'google-genai'],
  ['anthropic', 'anthropic'],
  ['openai', 'openai'],
  ['cohere', 'cohere'],
  ['mistral', 'mistral'],
  ['groq', 'groq'],
  ['ollama', 'ollama'],
  ['together', 'together'],
  ['openinference', 'openinference'],
  ['traceloop', 'traceloop'],
];

/** Exact scope names that no needle can tell apart. */
const SCOPE_EXACT: Readonly<Record<string, string>> = lookupTable({
  ai: 'vercel-ai', // ai@≤6 core and @ai-sdk/otel LegacyOpenTelemetry
  gen_ai: 'vercel-ai', // @ai-sdk/otel OpenTelemetry (GenAI mode)
  'langfuse-sdk': 'langfuse',
});

const scopeCache = new Map<string, string | null>();

/** Framework named by the instrumentation scope, or null. Cached: scope names repeat. */
export function frameworkFromScope(scopeName: string): string | null {
  const hit = scopeCache.get(scopeName);
  if (hit !== undefined) return hit;
  let found: string | null = SCOPE_EXACT[scopeName] ?? null;
  if (found === null && scopeName.length > 0) {
    const s = scopeName.toLowerCase();
    for (const [needle, fw] of SCOPE_NEEDLES) {
      if (s.includes(needle)) {
        found = fw;
        break;
      }
    }
  }
  if (scopeCache.size > 1000) scopeCache.clear();
  scopeCache.set(scopeName, found);
  return found;
}

/**
 * Framework for a span: scope first; the instrumentation family only when the
 * scope names none; LangGraph refines LangChain (it runs on LangChain's
 * callbacks, and OpenInference puts `langgraph_*` keys in `metadata`).
 */
export function detectFramework(
  scopeName: string,
  metadata: AttrValue | undefined,
  conventionHint: string | null,
): string | null {
  let fw = frameworkFromScope(scopeName);
  if (fw === null || fw === 'openinference' || fw === 'traceloop') fw = conventionHint ?? fw;
  if (fw === 'langchain') {
    if (typeof metadata === 'string' && metadata.includes('"langgraph_')) return 'langgraph';
  }
  return fw;
}
