/**
 * Model names as spans carry them are often not the ids a price table knows:
 * router prefixes (`openai/gpt-4o`, `openai:gpt-4o`), Google resource paths
 * (`models/gemini-2.5-pro`, `publishers/google/models/…`), dated snapshots
 * (`-2024-08-06`, `-20241022`, Vertex `@20241022`), `-latest` aliases and
 * dotted versions (`claude-3.5-sonnet`). Runs only on a price-cache miss.
 */
export interface ModelName {
  /** Lookup candidates, most specific first; the raw name is always first. */
  candidates: string[];
  /** Provider named by a `provider/model` prefix, when there was one. */
  providerHint: string | null;
}

const DATE_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-\d{4})$/;
const VERSION_SUFFIX = /(?:-v\d+(?::\d+)?|:\d+)$/;

const COLON_PROVIDERS = new Set([
  'openai', 'anthropic', 'google', 'google-gla', 'google-vertex', 'gemini', 'vertex_ai', 'vertexai',
  'groq', 'mistral', 'cohere', 'bedrock', 'azure', 'deepseek', 'xai', 'x-ai', 'openrouter',
  'together', 'fireworks', 'cerebras', 'perplexity',
]);

/** Lookup candidates for one model name; see the module comment for the forms handled. */
export function modelName(raw: string): ModelName {
  const candidates: string[] = [];
  const add = (s: string): void => {
    const t = s.trim();
    if (t.length > 0 && !candidates.includes(t)) candidates.push(t);
  };
  add(raw);
  let m = raw.trim();
  let providerHint: string | null = null;

  const models = m.lastIndexOf('/models/');
  if (models >= 0) m = m.slice(models + '/models/'.length);
  else if (m.startsWith('models/')) m = m.slice('models/'.length);
  const slash = m.lastIndexOf('/');
  if (slash > 0) {
    providerHint = m.slice(0, m.indexOf('/')).toLowerCase();
    m = m.slice(slash + 1);
  } else {
    // `provider:model` (pydantic-ai style), but not Bedrock's `…-v2:0` or Ollama's `llama3:8b`.
    const colon = m.indexOf(':');
    if (colon > 0 && COLON_PROVIDERS.has(m.slice(0, colon).toLowerCase())) {
      providerHint = m.slice(0, colon).toLowerCase();
      m = m.slice(colon + 1);
    }
  }
  add(m);
  const lower = m.toLowerCase();
  add(lower);
  let base = lower.endsWith('-latest') ? lower.slice(0, -'-latest'.length) : lower;
  add(base);
  const undated = base.replace(DATE_SUFFIX, '');
  add(undated);
  base = undated.replace(VERSION_SUFFIX, '').replace(DATE_SUFFIX, '');
  add(base);
  // `claude-3.5-sonnet` (OpenRouter) vs `claude-3-5-sonnet` (Anthropic).
  if (/\d\.\d/.test(base) && base.startsWith('claude')) add(base.replace(/(\d)\.(\d)/g, '$1-$2'));
  return { candidates, providerHint };
}
