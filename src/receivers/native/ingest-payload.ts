import { z } from 'zod';
import type { SemanticSpan } from '../../semconv/index.js';
import { invalid } from '../../errors.js';
import { asAttributes, blankSemanticSpan, payloadText, toMicros } from './semantic.js';
import { parseOrThrow } from './validate.js';

const timestamp = z.union([z.iso.datetime({ offset: true, local: false }), z.number().nonnegative()]);
const count = z.number().int().nonnegative();
const text = z.string().max(4096);

/** One span of the native IngestPayload (lookspan-http-api.txt), camelCase. */
const ingestSpan = z.object({
  traceId: z.string().min(1).max(128),
  spanId: z.string().min(1).max(128),
  parentSpanId: z.string().min(1).max(128).nullish(),
  type: z.enum(['llm_call', 'tool_call', 'agent', 'chain', 'retriever', 'embedding', 'mcp', 'other']).default('other'),
  name: z.string().min(1).max(1024),
  startedAt: timestamp,
  endedAt: timestamp.nullish(),
  status: z.enum(['ok', 'error', 'cancelled', 'unset']).default('unset'),
  statusMessage: z.string().max(65536).nullish(),
  error: z.union([z.string().max(65536), z.object({ type: text.optional(), message: z.string().max(65536).optional() })]).nullish(),
  framework: text.nullish(),
  serviceName: text.nullish(),
  model: text.nullish(),
  responseModel: text.nullish(),
  provider: text.nullish(),
  operation: text.nullish(),
  agentId: text.nullish(),
  agentName: text.nullish(),
  sessionId: text.nullish(),
  userId: text.nullish(),
  toolName: text.nullish(),
  toolCallId: text.nullish(),
  serverName: text.nullish(),
  finishReason: text.nullish(),
  usage: z.object({
    inputTokens: count.nullish(),
    outputTokens: count.nullish(),
    cacheReadTokens: count.nullish(),
    cacheWriteTokens: count.nullish(),
    reasoningTokens: count.nullish(),
    costUsd: z.number().nonnegative().nullish(),
  }).nullish(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  attributes: z.record(z.string(), z.unknown()).nullish(),
}).refine((s) => s.endedAt == null || toMicros(s.endedAt) >= toMicros(s.startedAt), {
  message: 'endedAt must not be before startedAt',
  path: ['endedAt'],
});

const ingestPayload = z.object({
  spans: z.array(ingestSpan).max(100_000),
  projectId: z.string().min(1).max(128).optional(),
});

export type IngestPayload = z.infer<typeof ingestPayload>;

/** Validates an IngestPayload body and converts it into semantic spans. */
export function parseIngestPayload(body: unknown, payloadMaxBytes: number): Array<SemanticSpan & { project_id?: string }> {
  if (Array.isArray(body)) throw invalid('IngestPayload must be an object with a "spans" array');
  const payload = parseOrThrow(ingestPayload, body, 'IngestPayload');
  return payload.spans.map((s) => {
    const start = toMicros(s.startedAt);
    const end = s.endedAt == null ? start : toMicros(s.endedAt);
    const span = blankSemanticSpan(s.traceId, s.spanId, s.name, start, end);
    const errorMessage = typeof s.error === 'string' ? s.error : s.error?.message ?? null;
    const u = s.usage;
    Object.assign(span, {
      parent_span_id: s.parentSpanId ?? null,
      type: s.type,
      status: s.status,
      status_message: s.statusMessage ?? errorMessage,
      error_type: typeof s.error === 'object' && s.error ? s.error.type ?? null : null,
      framework: s.framework ?? 'custom',
      service_name: s.serviceName ?? null,
      provider: s.provider ?? null,
      operation: s.operation ?? null,
      request_model: s.model ?? null,
      response_model: s.responseModel ?? null,
      agent_name: s.agentName ?? s.agentId ?? null,
      session_id: s.sessionId ?? null,
      user_id: s.userId ?? null,
      tool_name: s.toolName ?? null,
      tool_call_id: s.toolCallId ?? null,
      server_name: s.serverName ?? null,
      finish_reason: s.finishReason ?? null,
      input_tokens: u?.inputTokens ?? null,
      output_tokens: u?.outputTokens ?? null,
      cache_read_tokens: u?.cacheReadTokens ?? null,
      cache_write_tokens: u?.cacheWriteTokens ?? null,
      reasoning_tokens: u?.reasoningTokens ?? null,
      // The contract: costUsd 0 means "compute it server-side".
      reported_cost_usd: u?.costUsd ? u.costUsd : null,
      input: payloadText(s.input, payloadMaxBytes),
      output: payloadText(s.output, payloadMaxBytes),
      attributes: asAttributes({ ...(s.attributes ?? {}), ...(s.agentId ? { 'lookspan.agent.id': s.agentId } : {}) }),
    } satisfies Partial<SemanticSpan>);
    return payload.projectId ? { ...span, project_id: payload.projectId } : span;
  });
}
