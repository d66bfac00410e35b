import type { IngestSpan } from '../../receivers/native/ingest-payload.js';
import { toMicros } from '../../receivers/native/time.js';
import type { SemanticSpan } from '../index.js';
import { asAttributes, blankSemanticSpan, payloadText } from './blank.js';

/** One validated IngestPayload span (lookspan-http-api.txt, camelCase) as a semantic span. */
export function fromIngestSpan(s: IngestSpan, projectId: string | undefined, payloadMaxBytes: number): SemanticSpan & { project_id?: string } {
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
  return projectId ? { ...span, project_id: projectId } : span;
}
