import { z } from 'zod';
import { HealthResponse, LivenessResponse, ReadinessResponse } from '../../routes/health.js';
import { ingestPayload } from '../../../receivers/native/ingest-payload.js';
import { ToolCallSpanBody } from '../../../receivers/native/tool-call-spans.js';
import type { Operation, RawContent } from '../operation.js';

const OTLP_SPEC = 'https://opentelemetry.io/docs/specs/otlp/#otlphttp';

const otlpRequest = (what: string): RawContent => ({
  raw: {
    'application/x-protobuf': { description: `an ${what} (protobuf); Content-Encoding: gzip is accepted` },
    'application/json': { description: `an ${what} in the OTLP JSON encoding (hex ids, lowerCamelCase fields; ${OTLP_SPEC})` },
  },
});

const otlpResponse = (what: string): RawContent => ({
  raw: {
    'application/x-protobuf': { description: `an ${what} in the request's encoding; partialSuccess names refused items` },
    'application/json': {
      description: `an ${what}; partialSuccess names refused items`,
      schema: {
        type: 'object',
        properties: {
          partialSuccess: {
            type: 'object',
            properties: { rejectedSpans: { type: ['string', 'integer'] }, rejectedLogRecords: { type: ['string', 'integer'] }, errorMessage: { type: 'string' } },
          },
        },
      },
    },
  },
});

const ingestCounts = z.object({
  accepted: z.number().int().describe('spans written durably (fsynced) before this answer'),
  rejected: z.number().int().describe('spans refused by validation'),
  duplicates: z.number().int().describe('spans already stored (same trace, span and content)'),
});

const otlpTraces = (path: string, alias: boolean): Operation => ({
  method: 'post', path, tag: 'Ingest',
  summary: alias ? 'OTLP/HTTP traces (langsight-compatible alias of /v1/traces)' : 'OTLP/HTTP traces',
  description: 'Acknowledged once the spans are fsynced to the write-ahead log. Errors are a google.rpc.Status in the request\'s encoding; 429 and 503 carry Retry-After.',
  headers: { 'Content-Encoding': 'gzip or identity' },
  body: otlpRequest('ExportTraceServiceRequest'),
  response: otlpResponse('ExportTraceServiceResponse'),
  errors: [413, 415, 503],
});

/** Probes, the scrape endpoint and every ingest route. */
export const INGEST_OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/health', tag: 'Health', summary: 'Status, store state, WAL lag and ingest counters', response: HealthResponse },
  { method: 'get', path: '/api/status', tag: 'Health', summary: 'Deprecated alias of /api/health (langsight clients)', response: HealthResponse },
  { method: 'get', path: '/api/liveness', tag: 'Health', summary: 'Liveness probe: the process answers', response: LivenessResponse },
  {
    method: 'get', path: '/api/readiness', tag: 'Health', summary: 'Readiness probe: 503 while the WAL replays or the server shuts down',
    response: ReadinessResponse, errors: [503],
  },
  {
    method: 'get', path: '/metrics', tag: 'Health', summary: 'Prometheus metrics (text exposition format; docs/metrics.md)',
    response: { raw: { 'text/plain': { description: 'Prometheus text exposition format 0.0.4' } } },
  },
  otlpTraces('/v1/traces', false),
  otlpTraces('/api/traces/otlp', true),
  {
    method: 'post', path: '/v1/logs', tag: 'Ingest', summary: 'OTLP/HTTP logs',
    description: 'Log records are stored next to the spans of their trace; acknowledged once fsynced.',
    headers: { 'Content-Encoding': 'gzip or identity' },
    body: otlpRequest('ExportLogsServiceRequest'), response: otlpResponse('ExportLogsServiceResponse'), errors: [413, 415, 503],
  },
  {
    method: 'post', path: '/api/ingest', tag: 'Ingest', summary: 'Native JSON ingest (IngestPayload of lookspan-http-api.txt)',
    body: ingestPayload, response: ingestCounts, errors: [413, 415, 503],
  },
  {
    method: 'post', path: '/api/traces/spans', tag: 'Ingest', summary: 'ToolCallSpan ingest (langsight-api.txt): a list or {spans: [...]}',
    body: ToolCallSpanBody, response: ingestCounts, status: 202, errors: [413, 415, 503],
  },
];
