import { randomBytes } from 'node:crypto';
import type { CostModel } from '../../enrich/cost.js';
import { invalid } from '../../errors.js';
import type { SpanSink } from '../../receivers/sink.js';
import { capPayload } from '../../semconv/payload.js';
import type { Database } from '../../store/index.js';
import { answerCost } from '../cost.js';
import { diffAnswers } from '../diff.js';
import { ProviderError, recordedFailure, type Providers } from '../providers/index.js';
import type { ChatResult } from '../providers/types.js';
import { REPLAY_SESSION, traceCall, type SelfSpan } from '../self-trace.js';
import { pickSpan, readTrace } from '../trace-read.js';
import { rebuildRequest } from './rebuild.js';
import type { ReplayRecord, ReplayTable } from './store.js';

export interface ReplayDeps {
  db: Database;
  providers: Providers;
  costs: CostModel;
  sink: SpanSink;
  replays: ReplayTable;
  payloadMaxBytes: number;
  log?: { warn(o: object, msg: string): void };
}

export interface ReplayAsk {
  model?: string;
  provider?: string;
  spanId?: string;
}

/**
 * POST /api/traces/:id/replay: rebuilds the captured request of the span
 * (or the trace's first model call), sends it to the model asked for (the
 * captured one by default), and records the answer with tokens, cost,
 * latency and a diff against the captured answer. What can be decided
 * before calling (unknown trace, nothing replayable, no key) is an error
 * with nothing recorded; a provider failure is recorded as a failed replay.
 */
export async function replayTrace(deps: ReplayDeps, projectId: string, traceId: string, ask: ReplayAsk): Promise<ReplayRecord> {
  const trace = await readTrace(deps.db, projectId, traceId);
  const span = pickSpan(trace, ask.spanId);
  const rebuilt = rebuildRequest(span);
  const model = ask.model ?? rebuilt.request.model;
  if (model === '') throw invalid(`span ${span.id} names no model; pass "model"`, [{ path: 'model', message: 'required: the span names none' }]);
  const provider = deps.providers.choose(ask.provider, model, ask.model === undefined ? span.provider : null);
  deps.providers.require(provider);
  const request = { ...rebuilt.request, model };

  const startedMs = Date.now();
  let result: ChatResult | null = null;
  let failure: unknown = null;
  try {
    result = await deps.providers.chat(provider, request);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    failure = err;
  }
  const endedMs = Date.now();
  const id = `rp_${randomBytes(8).toString('hex')}`;
  const error = failure === null ? null : recordedFailure(failure);
  let self: SelfSpan | null = null;
  try {
    self = await traceCall(deps.sink, {
      projectId, sessionId: REPLAY_SESSION, name: `replay ${model}`, provider, model, request, result,
      error: error?.message ?? null, startedMs, endedMs,
      attributes: { 'lookspan.replay.id': id, 'lookspan.replay.trace_id': traceId, 'lookspan.replay.span_id': span.id, 'lookspan.replay.convention': rebuilt.convention },
    });
  } catch (err) {
    // The replay happened and was paid for: it is recorded even when its own span could not be (an overloaded pipeline).
    deps.log?.warn({ err, replay: id }, 'the replay\'s own span could not be ingested');
  }
  const output = result && { text: capPayload(result.text, deps.payloadMaxBytes), toolCalls: result.toolCalls, finishReason: result.finishReason };
  const { model: _captured, ...shown } = request;
  return deps.replays.insert({
    id, projectId, traceId, spanId: span.id, convention: rebuilt.convention, status: result ? 'ok' : 'error', provider, model,
    originalModel: rebuilt.original.model,
    request: { ...shown, dropped: result?.dropped ?? [], skipped: rebuilt.skipped },
    output, original: rebuilt.original,
    diff: result ? diffAnswers(rebuilt.original, result) : null,
    usage: { inputTokens: result?.usage.inputTokens ?? null, outputTokens: result?.usage.outputTokens ?? null, costUsd: result ? answerCost(deps.costs, model, result) : null },
    latencyMs: result?.latencyMs ?? null, error, replayTraceId: self?.traceId ?? null, replaySpanId: self?.spanId ?? null,
    traceStartedUs: trace.startedUs,
  });
}
