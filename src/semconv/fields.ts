import type { OtlpSpanInput } from '../model/otlp-span.js';
import type { AttrValue, SpanStatus, SpanType } from '../model/span-record.js';

/**
 * Token counts as one unit: the composer takes the whole object from the
 * first convention that reported any count, because the families (OTel,
 * OpenInference, Vercel, …) differ in what they include and must never be
 * mixed or summed on one span.
 */
export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
}

/** What one convention module recognized on a span; absent or null means "no opinion". */
export interface ConventionFields {
  type?: SpanType | null;
  framework?: string | null;
  session_id?: string | null;
  user_id?: string | null;
  agent_name?: string | null;
  provider?: string | null;
  operation?: string | null;
  request_model?: string | null;
  response_model?: string | null;
  usage?: Usage | null;
  /**
   * The span's token counts are totals of its child spans (e.g. the Vercel AI
   * SDK's outer `ai.generateText`), so storing them would double count a trace.
   */
  aggregate_usage?: boolean;
  reported_cost_usd?: number | null;
  finish_reason?: string | null;
  tool_name?: string | null;
  tool_call_id?: string | null;
  server_name?: string | null;
  mcp_method?: string | null;
  mcp_session_id?: string | null;
  mcp_resource_uri?: string | null;
  /** JSON text before the size cap. */
  input?: string | null;
  output?: string | null;
  /** Only 'error' is ever asserted by a convention (e.g. MCP `isError`, Langfuse level ERROR). */
  status?: Extract<SpanStatus, 'error'> | null;
  status_message?: string | null;
  error_type?: string | null;
}

/** Attributes copied into a Map once per span (see compose.ts for why). */
export type AttrMap = Map<string, AttrValue>;

/**
 * What every convention module reads. `families` says which attribute
 * namespaces occur on the span, so a module whose keys are absent returns
 * without a single lookup.
 */
export interface SpanView {
  span: OtlpSpanInput;
  attrs: AttrMap;
  families: number;
}

/** Attribute namespace bits for SpanView.families. */
export const F_GEN_AI = 1; // gen_ai.*
export const F_MCP = 2; // mcp.*
export const F_LLM = 4; // llm.* (OpenInference and Traceloop share it)
export const F_OPENINFERENCE = 8; // openinference.*, input./output.value, tool.*, agent.name, embedding.*, reranker.*, metadata
export const F_TRACELOOP = 16; // traceloop.*
export const F_AI = 32; // ai.* (Vercel AI SDK classic)
export const F_LANGFUSE = 64; // langfuse.*
export const F_CONTEXT = 128; // session.id, user.id (OpenInference and Langfuse)

/** A convention module: pure, returns null when the span does not speak it. */
export type Convention = (v: SpanView) => ConventionFields | null;

export function str(v: AttrValue | undefined): string | null {
  if (typeof v === 'string') return v.length > 0 ? v : null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** Token counts arrive as int, decimal string (int64 beyond 2^53) or double. */
export function int(v: AttrValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : null;
  if (typeof v === 'string' && v.length > 0) {
    const n = Number(v);
    return Number.isFinite(n) && n >= 0 ? Math.round(n) : null;
  }
  return null;
}

export function float(v: AttrValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.length > 0) {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** First element of an array attribute, or the scalar itself. */
export function first(v: AttrValue | undefined): string | null {
  if (Array.isArray(v)) return v.length > 0 ? str(v[0]) : null;
  if (typeof v === 'string' && v.startsWith('[')) {
    // Some SDKs send string[] attributes JSON-encoded.
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed) && parsed.length > 0) return str(parsed[0] as AttrValue);
    } catch {
      return v;
    }
    return null;
  }
  return str(v);
}

/**
 * Attribute value as JSON text, the form of the `input`/`output` columns.
 * Emitters send payloads as JSON text or as plain text (a Langfuse string
 * input, a tool returning prose): object- and array-shaped text is taken as
 * JSON without a full parse (a parse per chat payload was measurable on the
 * ingest path), other text is kept when it parses (`42`, `"x"`, `true`) and
 * JSON-encoded otherwise, so plain text never lands as invalid JSON.
 */
export function jsonText(v: AttrValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return JSON.stringify(v);
  if (v.length === 0) return null;
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(v.length - 1);
  if ((first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d)) return v;
  try {
    JSON.parse(v);
    return v;
  } catch {
    return JSON.stringify(v);
  }
}

export function usageOf(
  input: number | null,
  output: number | null,
  cacheRead: number | null,
  cacheWrite: number | null,
  reasoning: number | null,
): Usage | null {
  if (input === null && output === null && cacheRead === null && cacheWrite === null && reasoning === null) {
    return null;
  }
  return {
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: reasoning,
  };
}

/** JSON array of role/content messages, the normalized payload shape. */
export function messagesJson(messages: Array<Record<string, unknown>>): string | null {
  return messages.length > 0 ? JSON.stringify(messages) : null;
}
