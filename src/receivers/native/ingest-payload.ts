import { z } from 'zod';
import { invalid } from '../../errors.js';
import { MAX_TIMESTAMP_MS, timestampProblem } from '../../model/store-range.js';
import { nativeProjectId, nativeTraceId } from './ids.js';
import { toMicros } from './time.js';
import { parseOrThrow } from './validate.js';

// One range for both spellings: what the store's timestamps hold (store-range.ts).
const timestamp = z.union([
  z.iso.datetime({ offset: true, local: false }).refine((v) => timestampProblem(toMicros(v)) === null, { message: 'must be between 1970-01-01 and 2262-04-11' }),
  z.number().nonnegative().max(MAX_TIMESTAMP_MS),
]);
const count = z.number().int().nonnegative();
const text = z.string().max(4096);

/** One span of the native IngestPayload (lookspan-http-api.txt), camelCase. */
const ingestSpan = z.object({
  traceId: nativeTraceId,
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

/** The body POST /api/ingest accepts (the OpenAPI document is generated from it). */
export const ingestPayload = z.object({
  spans: z.array(ingestSpan).max(100_000),
  projectId: nativeProjectId.optional(),
});

export type IngestPayload = z.infer<typeof ingestPayload>;

export type IngestSpan = IngestPayload['spans'][number];

/** Validates an IngestPayload body; a 400 lists every bad field with its path. */
export function parseIngestPayload(body: unknown): IngestPayload {
  if (Array.isArray(body)) throw invalid('IngestPayload must be an object with a "spans" array');
  return parseOrThrow(ingestPayload, body, 'IngestPayload');
}
