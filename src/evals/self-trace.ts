import { randomBytes } from 'node:crypto';
import { parseIngestPayload } from '../receivers/native/ingest-payload.js';
import type { SpanSink } from '../receivers/sink.js';
import type { ChatRequest, ChatResult } from './providers/types.js';

/** The session every replay's own span belongs to. */
export const REPLAY_SESSION = 'replay';

export interface SelfSpan {
  traceId: string;
  spanId: string;
}

/** The request as the messages a chat span's input shows (system first, OpenAI style). */
function inputMessages(req: ChatRequest): unknown[] {
  const out: unknown[] = req.system !== null ? [{ role: 'system', content: req.system }] : [];
  for (const m of req.messages) {
    if (m.role === 'tool') out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.content });
    else if (m.role === 'assistant') out.push({ role: 'assistant', content: m.content, ...(m.toolCalls ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })) } : {}) });
    else out.push(m);
  }
  return out;
}

/**
 * Traces an evaluation's own model call into Lookspan as one `llm_call`
 * span, through the native ingest entry of the pipeline (validation,
 * redaction, cost, WAL) like any other span: it is acknowledged once
 * durable. The attributes link it to what it evaluated.
 */
export async function traceCall(sink: SpanSink, o: {
  projectId: string; sessionId: string; name: string; provider: string; model: string; request: ChatRequest;
  result: ChatResult | null; error: string | null; startedMs: number; endedMs: number; attributes: Record<string, string>;
}): Promise<SelfSpan> {
  const ids = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
  const r = o.result;
  const payload = parseIngestPayload({
    projectId: o.projectId,
    spans: [{
      traceId: ids.traceId, spanId: ids.spanId, type: 'llm_call', name: o.name,
      startedAt: o.startedMs, endedAt: Math.max(o.startedMs, o.endedMs),
      status: o.error === null ? 'ok' : 'error', ...(o.error !== null ? { statusMessage: o.error.slice(0, 4096) } : {}),
      framework: 'lookspan', serviceName: 'lookspan-evals', operation: 'chat', provider: o.provider, model: o.model,
      ...(r?.model ? { responseModel: r.model } : {}), sessionId: o.sessionId, ...(r?.finishReason ? { finishReason: r.finishReason } : {}),
      usage: r ? { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens, cacheReadTokens: r.usage.cacheReadTokens, cacheWriteTokens: r.usage.cacheWriteTokens, costUsd: 0 } : null,
      input: inputMessages(o.request),
      ...(r ? { output: [{ role: 'assistant', content: r.text, ...(r.toolCalls.length > 0 ? { tool_calls: r.toolCalls } : {}) }] } : {}),
      attributes: o.attributes,
    }],
  });
  await sink.submitIngestPayload(payload, 'evals', { project: o.projectId, bound: true });
  return ids;
}
