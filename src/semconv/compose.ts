import type { OtlpSpanInput } from '../model/otlp-span.js';
import type { Attributes, SpanStatus } from '../model/span-record.js';
import {
  type AttrMap,
  type Convention,
  type ConventionFields,
  F_AI,
  F_CONTEXT,
  F_GEN_AI,
  F_LANGFUSE,
  F_LLM,
  F_MCP,
  F_OPENINFERENCE,
  F_TRACELOOP,
  type SpanView,
  type Usage,
  str,
} from './fields.js';
import { detectFramework } from './framework.js';
import type { SemanticSpan, SemconvOptions } from './index.js';
import { fromMcp } from './mcp.js';
import { fromLangfuse } from './langfuse.js';
import { fromOpenInference } from './openinference.js';
import { fromOtelGenAI } from './otel-genai.js';
import { fromOtelGenAIDeprecated } from './otel-genai-deprecated.js';
import { fromTraceloop } from './traceloop.js';
import { fromTraceloopMcp } from './traceloop-mcp.js';
import { fromVercelAI } from './vercel-ai.js';
import { capPayload } from './payload.js';
import { withoutCapturedPayload } from './payload-keys.js';

/**
 * Precedence (docs/semconv.md): for every field the first convention in this
 * list with a non-null value wins.
 *
 *  1. MCP (`mcp.*`, then the Traceloop MCP span shapes): the most specific
 *     statement about a span.
 *  2. OTel GenAI, current names: the standard, written explicitly.
 *  3. Dialects with their own explicit keys: OpenInference, Traceloop,
 *     Langfuse, Vercel AI SDK (`ai.*`).
 *  4. OTel GenAI deprecated names (current names always win over them).
 *  5. Derived values, in toSemanticSpan: type from tool/model presence,
 *     framework from the instrumentation scope.
 *
 * Usage is taken whole from one convention (never mixed across families;
 * a later one that agrees on input and output only fills cache/reasoning
 * gaps); a convention that flags `aggregate_usage` drops it. A reported cost is
 * carried in `reported_cost_usd` for enrich to prefer.
 */
const CONVENTIONS: readonly Convention[] = [
  fromMcp,
  fromTraceloopMcp,
  fromOtelGenAI,
  fromOpenInference,
  fromTraceloop,
  fromLangfuse,
  fromVercelAI,
  fromOtelGenAIDeprecated,
];

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/** Normalizes one decoded OTLP span into every semantic column. */
export function toSemanticSpan(input: OtlpSpanInput, opts: SemconvOptions): SemanticSpan {
  const v = viewOf(input);
  const m = merge(v);
  const a = v.attrs;

  const exception = findException(input);
  const errorTypeAttr = str(a.get('error.type'));
  const status = resolveStatus(input.status.code, m.status ?? null, errorTypeAttr);
  const errorType =
    errorTypeAttr ?? m.error_type ?? (exception !== null ? str(exception['exception.type']) : null);
  let statusMessage: string | null = input.status.message.length > 0 ? input.status.message : null;
  if (statusMessage === null) statusMessage = m.status_message ?? null;
  if (statusMessage === null && status === 'error' && exception !== null) {
    statusMessage = str(exception['exception.message']);
  }

  const usage: Usage | null = m.aggregate_usage === true ? null : m.usage ?? null;
  const requestModel = m.request_model ?? null;
  const framework = detectFramework(input.scope.name, a.get('metadata'), m.framework ?? null) ??
    (requestModel !== null || usage !== null || m.provider != null ? 'custom' : null);

  let type = m.type ?? null;
  if (type === null) {
    if (m.tool_name != null) type = 'tool_call';
    else if (requestModel !== null || usage !== null) type = 'llm_call';
    else type = 'other';
  }

  const duration = (input.endUs - input.startUs) / 1000;
  const inputText = capPayload(m.input ?? null, opts.payloadMaxBytes);
  const outputText = capPayload(m.output ?? null, opts.payloadMaxBytes);
  return {
    trace_id: input.traceId,
    span_id: input.spanId,
    parent_span_id: input.parentSpanId !== null && input.parentSpanId.length > 0 ? input.parentSpanId : null,
    started_us: input.startUs,
    ended_us: input.endUs,
    duration_ms: duration > 0 ? duration : 0,
    name: input.name,
    span_kind: SPAN_KINDS[input.kind] ?? 'unspecified',
    type,
    status,
    status_message: statusMessage,
    error_type: errorType,
    service_name: str(input.resource['service.name']),
    scope_name: input.scope.name.length > 0 ? input.scope.name : null,
    framework,
    session_id: m.session_id ?? null,
    user_id: m.user_id ?? null,
    agent_name: m.agent_name ?? null,
    provider: m.provider ?? null,
    operation: m.operation ?? null,
    request_model: requestModel,
    response_model: m.response_model ?? null,
    input_tokens: usage?.input_tokens ?? null,
    output_tokens: usage?.output_tokens ?? null,
    cache_read_tokens: usage?.cache_read_tokens ?? null,
    cache_write_tokens: usage?.cache_write_tokens ?? null,
    reasoning_tokens: usage?.reasoning_tokens ?? null,
    reported_cost_usd: m.reported_cost_usd ?? null,
    finish_reason: normalizeFinishReason(m.finish_reason ?? null),
    tool_name: m.tool_name ?? null,
    tool_call_id: m.tool_call_id ?? null,
    server_name: m.server_name ?? null,
    mcp_method: m.mcp_method ?? null,
    mcp_session_id: m.mcp_session_id ?? null,
    mcp_resource_uri: m.mcp_resource_uri ?? null,
    input: inputText,
    output: outputText,
    attributes: withoutCapturedPayload(input.attributes, inputText !== null, outputText !== null),
    resource: input.resource,
    events: input.events,
    links: input.links,
  };
}

/**
 * One pass over the attribute keys: copies them into a Map and notes which
 * namespaces occur. Measured on the fixture mix: the modules' lookups of
 * absent keys on plain objects of many different shapes went megamorphic and
 * walked the prototype chain (about 20k spans/s); Map lookups plus skipping
 * absent conventions keep it several times faster.
 */
export function viewOf(input: OtlpSpanInput): SpanView {
  const attrs: AttrMap = new Map();
  let families = 0;
  const src = input.attributes;
  for (const k in src) {
    attrs.set(k, src[k]);
    families |= familyOf(k);
  }
  return { span: input, attrs, families };
}

/** Namespace bit of one key: a first-character switch, then one prefix check. */
function familyOf(k: string): number {
  switch (k.charCodeAt(0)) {
    case 103: // g
      return k.startsWith('gen_ai.') ? F_GEN_AI : 0;
    case 109: // m
      return k.startsWith('mcp.') ? F_MCP : k === 'metadata' ? F_OPENINFERENCE : 0;
    case 108: // l
      return k.startsWith('llm.') ? F_LLM : k.startsWith('langfuse.') ? F_LANGFUSE : 0;
    case 111: // o
      return k.startsWith('openinference.') || k.startsWith('output.') ? F_OPENINFERENCE : 0;
    case 105: // i
      return k.startsWith('input.') ? F_OPENINFERENCE : 0;
    case 116: // t
      return k.startsWith('traceloop.') ? F_TRACELOOP : k.startsWith('tool.') ? F_OPENINFERENCE : 0;
    case 97: // a
      return k.startsWith('ai.') ? F_AI : k === 'agent.name' ? F_OPENINFERENCE : 0;
    case 101: // e
      return k.startsWith('embedding.') ? F_OPENINFERENCE : 0;
    case 114: // r
      return k.startsWith('reranker.') ? F_OPENINFERENCE : 0;
    case 115: // s
      return k === 'session.id' ? F_CONTEXT : 0;
    case 117: // u
      return k === 'user.id' ? F_CONTEXT : 0;
    default:
      return 0;
  }
}

/** Runs every convention and keeps, per field, the first non-null value. */
export function merge(v: SpanView): ConventionFields {
  const out: Record<string, unknown> = {};
  for (const convention of CONVENTIONS) {
    const f = convention(v);
    if (f === null) continue;
    for (const key in f) {
      const v = (f as Record<string, unknown>)[key];
      if (v === null || v === undefined) continue;
      if (key === 'aggregate_usage') {
        if (v === true) out[key] = true;
      } else if (out[key] === undefined) {
        out[key] = v;
      } else if (key === 'usage') {
        out[key] = fillUsage(out[key] as Usage, v as Usage);
      }
    }
  }
  return out as ConventionFields;
}

/**
 * Usage stays one family per span, but a later family that reports the same
 * input and output counts agrees on what they include, so its cache and
 * reasoning detail may fill the gaps. The AI SDK's provider-call spans carry
 * `gen_ai.usage.input_tokens|output_tokens` (no cache keys) next to
 * `ai.usage.*` with the cache-read count, which would otherwise be lost.
 */
function fillUsage(first: Usage, later: Usage): Usage {
  if (first.input_tokens !== later.input_tokens || first.output_tokens !== later.output_tokens) return first;
  return {
    input_tokens: first.input_tokens,
    output_tokens: first.output_tokens,
    cache_read_tokens: first.cache_read_tokens ?? later.cache_read_tokens,
    cache_write_tokens: first.cache_write_tokens ?? later.cache_write_tokens,
    reasoning_tokens: first.reasoning_tokens ?? later.reasoning_tokens,
  };
}

/**
 * The OTLP status is explicit and wins when it says error. A convention's
 * error (MCP `isError`, Langfuse level ERROR) beats an OK/UNSET status,
 * because those emitters report a tool or model failure inside a
 * transport-level success. `error.type` alone marks an unset span failed, as
 * the OTel conventions define it ("set when the operation ended in an error").
 */
function resolveStatus(code: number, conventionStatus: 'error' | null, errorType: string | null): SpanStatus {
  if (code === 2) return 'error';
  if (conventionStatus === 'error') return 'error';
  if (code === 1) return 'ok';
  if (errorType !== null) return 'error';
  return 'unset';
}

/**
 * The AI SDK's hyphenated values reach `gen_ai.response.finish_reasons` too
 * (classic mode copies them raw); the OTel/Traceloop spelling is kept.
 */
function normalizeFinishReason(r: string | null): string | null {
  if (r === 'tool-calls') return 'tool_call';
  if (r === 'content-filter') return 'content_filter';
  return r;
}

function findException(input: OtlpSpanInput): Attributes | null {
  for (const e of input.events) if (e.name === 'exception') return e.attributes;
  return null;
}
