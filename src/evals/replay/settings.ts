import type { ChatParameters, ToolChoice, ToolDefinition } from '../providers/types.js';

/**
 * The request settings a convention keeps in span attributes (payload keys
 * are moved to `input`/`output` by semconv; these stay as sent):
 *
 *  OTel GenAI / OpenLLMetry  gen_ai.request.{temperature,top_p,top_k,max_tokens,stop_sequences,
 *                            frequency_penalty,presence_penalty,seed}, gen_ai.tool.definitions,
 *                            llm.request.functions.N.*, llm.is_streaming
 *  OpenInference             llm.invocation_parameters (JSON), llm.tools.N.tool.json_schema
 *  Vercel AI SDK             ai.settings.*, ai.prompt.tools, ai.prompt.toolChoice, *.doStream
 *  Langfuse                  langfuse.observation.model.parameters (JSON)
 *
 * plus, for all of them, the fields of a request object captured whole as
 * the input (`{model, messages, temperature, tools, …}`).
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsed(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function strings(v: unknown): string[] | undefined {
  const p = parsed(v);
  if (typeof p === 'string') return [p];
  if (Array.isArray(p) && p.every((x) => typeof x === 'string')) return p as string[];
  return undefined;
}

/** The settings of one source object keyed in the OpenAI/OTel snake_case or camelCase spelling. */
function fromObject(o: Obj): ChatParameters {
  return {
    temperature: num(o.temperature),
    topP: num(o.top_p ?? o.topP),
    topK: num(o.top_k ?? o.topK),
    maxTokens: num(o.max_tokens ?? o.max_completion_tokens ?? o.max_output_tokens ?? o.maxTokens ?? o.maxOutputTokens),
    stop: strings(o.stop ?? o.stop_sequences ?? o.stopSequences),
    frequencyPenalty: num(o.frequency_penalty ?? o.frequencyPenalty),
    presencePenalty: num(o.presence_penalty ?? o.presencePenalty),
    seed: num(o.seed),
  };
}

/** Keys under a prefix as one object (`ai.settings.maxOutputTokens` → `{maxOutputTokens}`). */
function under(a: Obj, prefix: string): Obj {
  const out: Obj = {};
  for (const k of Object.keys(a)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = a[k];
  return out;
}

/** The first source that sets each parameter wins. */
function firstOf(...sources: ChatParameters[]): ChatParameters {
  const out: ChatParameters = {};
  for (const s of sources) {
    for (const [k, v] of Object.entries(s) as Array<[keyof ChatParameters, never]>) {
      if (v !== undefined && out[k] === undefined) out[k] = v;
    }
  }
  return out;
}

export function parametersOf(a: Obj, request: Obj | null): ChatParameters {
  const invocation = parsed(a['llm.invocation_parameters']);
  const langfuse = parsed(a['langfuse.observation.model.parameters']);
  return firstOf(
    fromObject(under(a, 'gen_ai.request.')),
    isObj(invocation) ? fromObject(invocation) : {},
    fromObject(under(a, 'ai.settings.')),
    isObj(langfuse) ? fromObject(langfuse) : {},
    request ? fromObject(request) : {},
  );
}

/** One tool definition of any convention: `{name, parameters}`, nested under `function`, or `inputSchema` / `input_schema`. */
function toolOf(v: unknown): ToolDefinition | null {
  const d = parsed(v);
  if (!isObj(d)) return null;
  const f = isObj(d.function) ? d.function : d;
  if (typeof f.name !== 'string' || f.name === '') return null;
  const schema = parsed(f.parameters ?? f.inputSchema ?? f.input_schema ?? d.inputSchema);
  const params = isObj(schema) && isObj(schema.jsonSchema) ? schema.jsonSchema : schema;
  return {
    name: f.name,
    ...(typeof f.description === 'string' && f.description !== '' ? { description: f.description } : {}),
    parameters: isObj(params) ? params : { type: 'object', properties: {} },
  };
}

function toolList(v: unknown): ToolDefinition[] {
  const p = parsed(v);
  return Array.isArray(p) ? p.map(toolOf).filter((t): t is ToolDefinition => t !== null) : [];
}

/** `<base>.N<suffix>` for N = 0, 1, … while present. */
function indexed(a: Obj, base: string, suffix: string): unknown[] {
  const out: unknown[] = [];
  for (let n = 0; n < 1000 && a[`${base}.${n}${suffix}`] !== undefined; n++) out.push(a[`${base}.${n}${suffix}`]);
  return out;
}

/** OpenLLMetry's flattened functions: `llm.request.functions.N.{name,description,parameters}`. */
function openLlmetryFunctions(a: Obj): ToolDefinition[] {
  return indexed(a, 'llm.request.functions', '.name').map((name, n) => toolOf({
    name, description: a[`llm.request.functions.${n}.description`], parameters: a[`llm.request.functions.${n}.parameters`],
  })).filter((t): t is ToolDefinition => t !== null);
}

export function toolsOf(a: Obj, request: Obj | null): ToolDefinition[] {
  const lists = [
    toolList(a['gen_ai.tool.definitions']),
    indexed(a, 'llm.tools', '.tool.json_schema').map(toolOf).filter((t): t is ToolDefinition => t !== null),
    openLlmetryFunctions(a),
    toolList(a['ai.prompt.tools']),
    request ? toolList(request.tools ?? request.functions) : [],
  ];
  return lists.find((l) => l.length > 0) ?? [];
}

/** `auto` / `none` / `required` / one named tool, from the AI SDK's `ai.prompt.toolChoice` or a captured request. */
export function toolChoiceOf(a: Obj, request: Obj | null): ToolChoice | undefined {
  const v = parsed(a['ai.prompt.toolChoice'] ?? request?.tool_choice ?? request?.toolChoice);
  const of = (t: unknown, name: unknown): ToolChoice | undefined => {
    if (t === 'auto' || t === 'none') return t;
    if (t === 'required' || t === 'any') return 'required';
    if ((t === 'tool' || t === 'function') && typeof name === 'string') return { name };
    return undefined;
  };
  if (typeof v === 'string') return of(v, undefined);
  if (isObj(v)) return of(v.type, v.toolName ?? v.name ?? (isObj(v.function) ? v.function.name : undefined));
  return undefined;
}

/** Whether the captured call streamed its answer. */
export function streamedOf(a: Obj, request: Obj | null, spanName: string): boolean {
  const invocation = parsed(a['llm.invocation_parameters']);
  const op = typeof a['ai.operationId'] === 'string' ? (a['ai.operationId'] as string) : spanName;
  return a['llm.is_streaming'] === true || a['gen_ai.request.stream'] === true || (isObj(invocation) && invocation.stream === true) ||
    op.endsWith('.doStream') || request?.stream === true;
}

/** Which convention a stored span came from (what the replay says it rebuilt). */
export function conventionOf(a: Obj, framework: string | null, scope: string | null): string {
  const keys = Object.keys(a);
  const has = (p: string) => keys.some((k) => k.startsWith(p));
  if (has('openinference.') || has('llm.invocation_parameters') || has('llm.input_messages') || framework === 'openinference') return 'openinference';
  if (has('ai.') || framework === 'vercel-ai') return 'vercel-ai';
  if (has('langfuse.') || framework === 'langfuse' || scope === 'langfuse-sdk') return 'langfuse';
  if (has('traceloop.') || has('llm.request.') || has('llm.is_streaming') || framework === 'traceloop' || scope?.startsWith('@traceloop/')) return 'openllmetry';
  if (has('gen_ai.')) return 'otel-genai';
  return 'native';
}
