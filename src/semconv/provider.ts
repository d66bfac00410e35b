import { lookupTable } from '../model/lookup-table.js';

/**
 * One provider vocabulary for the `provider` column: the OTel
 * `gen_ai.provider.name` values. Every dialect names providers its own way
 * (fact sheet §7.4): deprecated `gen_ai.system` values, OpenInference
 * `llm.provider`/`llm.system`, Vercel AI SDK provider ids such as
 * `openai.chat` or `google.generative-ai`.
 */
const ALIASES: Readonly<Record<string, string>> = lookupTable({
  // deprecated gen_ai.system values
  'az.ai.inference': 'azure.ai.inference',
  'az.ai.openai': 'azure.ai.openai',
  gemini: 'gcp.gemini',
  vertex_ai: 'gcp.vertex_ai',
  xai: 'x_ai',
  // OpenInference llm.provider / llm.system
  mistralai: 'mistral_ai',
  google: 'gcp.gemini',
  vertexai: 'gcp.vertex_ai',
  aws: 'aws.bedrock',
  amazon: 'aws.bedrock',
  azure: 'azure.ai.openai',
  // Vercel AI SDK provider ids (same table as @ai-sdk/otel mapProviderName)
  'google.vertex': 'gcp.vertex_ai',
  'google-vertex': 'gcp.vertex_ai',
  'google.generative-ai': 'gcp.gemini',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  'azure-openai': 'azure.ai.openai',
  mistral: 'mistral_ai',
  'vertex.anthropic': 'anthropic',
  // common free-form spellings
  'x-ai': 'x_ai',
  'mistral-ai': 'mistral_ai',
  'together-ai': 'together',
  together_ai: 'together',
  'deepseek-ai': 'deepseek',
});

const cache = new Map<string, string>();

/** Maps any dialect's provider name to the OTel vocabulary; unknown names pass through lower-cased. */
export function normalizeProvider(raw: string | null): string | null {
  if (raw === null || raw.length === 0) return null;
  const hit = cache.get(raw);
  if (hit !== undefined) return hit;
  let p = raw.trim().toLowerCase();
  let mapped = ALIASES[p];
  if (mapped === undefined) {
    // Vercel ids carry the API flavour after a dot: `openai.chat`, `anthropic.messages`,
    // `azure-openai.chat`; OTel names with dots (`aws.bedrock`, `gcp.gemini`) are kept.
    const dot = p.indexOf('.');
    if (dot > 0 && !KNOWN_DOTTED.has(p)) {
      const head = p.slice(0, dot);
      const dot2 = p.indexOf('.', dot + 1);
      const two = dot2 > 0 ? p.slice(0, dot2) : p;
      mapped = ALIASES[two] ?? ALIASES[head] ?? (KNOWN_HEADS.has(head) ? head : p);
    } else {
      mapped = p;
    }
  }
  p = mapped;
  if (cache.size > 1000) cache.clear();
  cache.set(raw, p);
  return p;
}

const KNOWN_DOTTED = new Set([
  'aws.bedrock', 'azure.ai.inference', 'azure.ai.openai', 'gcp.gemini', 'gcp.gen_ai',
  'gcp.vertex_ai', 'ibm.watsonx.ai',
]);
const KNOWN_HEADS = new Set([
  'openai', 'anthropic', 'cohere', 'groq', 'deepseek', 'perplexity', 'xai', 'mistral',
  'togetherai', 'fireworks', 'cerebras', 'ollama', 'openrouter',
]);
