import { z } from 'zod';
import {
  AgentSessionDetailQuery, AgentSessionDetailResponse, AgentSessionListQuery, AgentSessionListResponse, LineageQuery, LineageResponse,
} from '../../routes/agents.js';
import {
  AgentCatalogEntry, AgentCatalogListQuery, AgentCatalogListResponse, AgentDiscoverResponse, AgentMetadataBody, CatalogQuery, ServerDiscoverResponse,
} from '../../routes/catalog.js';
import { CostBreakdownQuery, CostBreakdownResponse, CostSummaryQuery, CostSummaryResponse } from '../../routes/costs.js';
import { ExportHeaders, ExportQuery } from '../../routes/export.js';
import { HealthCheckData, LiveStreamQuery, SpanIngestedData, SpanNewData, TraceUpdatedData } from '../../routes/live.js';
import { AnomalyQuery, AnomalyResponse } from '../../routes/reliability.js';
import { SessionDetailQuery, SessionDetailResponse, SessionListQuery, SessionListResponse } from '../../routes/sessions.js';
import { SloCreateBody, SloDeleteResponse, SloListResponse, SloObject, SloPatchBody, SloQuery, SloStatusResponse } from '../../routes/slos.js';
import { StatsQuery, StatsResponse } from '../../routes/stats.js';
import {
  SpanListQuery, SpanListResponse, TraceDetailQuery, TraceDetailResponse, TraceListQuery, TraceListResponse,
} from '../../routes/traces.js';
import { AlertRecordSchema } from '../../routes/alerts.js';
import type { Operation } from '../operation.js';

const hasMore = z.object({ 'x-has-more': z.enum(['true', 'false']).describe('whether more entries follow this page') });

const sse = (description: string, events: Record<string, z.ZodType>) => ({
  raw: {
    'text/event-stream': {
      description: `${description} Events: ${Object.keys(events).join(', ')}; each \`data:\` line is one JSON object (the schemas under x-events). Resume with the Last-Event-ID header or ?lastEventId.`,
      schema: { 'x-events': Object.fromEntries(Object.entries(events).map(([k, v]) => [k, z.toJSONSchema(v, { target: 'draft-2020-12', unrepresentable: 'any' })])) },
    },
  },
});

/** Traces, sessions, agents, costs, stats, reliability, SLOs, exports and live streams. */
export const READ_OPERATIONS: Operation[] = [
  // Traces and spans (camelCase; /api/traces/spans keeps the ToolCallSpan names of langsight-api.txt).
  { method: 'get', path: '/api/traces', tag: 'Traces', summary: 'Trace summaries, newest first, filtered', query: TraceListQuery, response: TraceListResponse },
  { method: 'get', path: '/api/traces/spans', tag: 'Traces', summary: 'Spans as ToolCallSpan objects (snake_case), filtered', query: SpanListQuery, response: SpanListResponse },
  {
    method: 'get', path: '/api/traces/:traceId', tag: 'Traces', summary: 'One trace: summary, the span tree and its log events',
    description: 'The span tree is a parent index, not nested children: `spans` is flat in start order and each span gives `parentIndex` (the index of its parent in `spans`, null for a root) and `depth`.',
    params: { traceId: '32 hex digits (OTLP) or the native trace id' }, query: TraceDetailQuery, response: TraceDetailResponse, errors: [404],
  },

  // Sessions: the Lookspan shape and the langsight shape over one implementation.
  { method: 'get', path: '/api/sessions', tag: 'Sessions', summary: 'Sessions with health tags, newest first', query: SessionListQuery, response: SessionListResponse },
  {
    method: 'get', path: '/api/sessions/:id', tag: 'Sessions', summary: 'One session as a multi-agent timeline: agents, traces, cost, errors, time range',
    params: { id: 'session id' }, query: SessionDetailQuery, response: SessionDetailResponse, errors: [404],
  },
  {
    method: 'get', path: '/api/agents/sessions', tag: 'Sessions', summary: 'Sessions (langsight-api.txt session objects, snake_case)',
    query: AgentSessionListQuery, response: AgentSessionListResponse, responseHeaders: hasMore,
  },
  {
    method: 'get', path: '/api/agents/sessions/:session_id', tag: 'Sessions', summary: 'One session with its span tree (parent_span_id)',
    params: { session_id: 'session id' }, query: AgentSessionDetailQuery, response: AgentSessionDetailResponse, errors: [404],
  },
  {
    method: 'get', path: '/api/agents/lineage', tag: 'Agents', summary: 'Agents, MCP servers and handoffs as nodes and edges with calls, errors and p95 latency',
    query: LineageQuery, response: LineageResponse,
  },

  // The agent catalog.
  {
    method: 'get', path: '/api/agents/metadata', tag: 'Agents', summary: 'Agent catalog: metadata and what the spans show (first seen, last seen, calls)',
    query: AgentCatalogListQuery, response: AgentCatalogListResponse, responseHeaders: hasMore,
  },
  {
    method: 'get', path: '/api/agents/metadata/:agent_name', tag: 'Agents', summary: 'One agent\'s catalog entry',
    params: { agent_name: 'agent name' }, query: CatalogQuery, response: AgentCatalogEntry, errors: [404],
  },
  {
    method: 'put', path: '/api/agents/metadata/:agent_name', tag: 'Agents', summary: 'Create or update an agent\'s metadata',
    params: { agent_name: 'agent name' }, query: CatalogQuery, body: AgentMetadataBody, response: AgentCatalogEntry, errors: [415],
  },
  {
    method: 'delete', path: '/api/agents/metadata/:agent_name', tag: 'Agents', summary: 'Delete an agent\'s metadata (what the spans show stays)',
    params: { agent_name: 'agent name' }, query: CatalogQuery, status: 204, errors: [404],
  },
  { method: 'post', path: '/api/agents/discover', tag: 'Agents', summary: 'Agents seen in stored spans, with first/last seen and call counts', query: CatalogQuery, response: AgentDiscoverResponse },
  { method: 'post', path: '/api/servers/discover', tag: 'Agents', summary: 'MCP servers seen in stored spans, with their tools and call counts', query: CatalogQuery, response: ServerDiscoverResponse },

  // Costs, stats, reliability.
  { method: 'get', path: '/api/costs/summary', tag: 'Costs', summary: 'Cost and tokens: total, by model, provider and agent', query: CostSummaryQuery, response: CostSummaryResponse },
  { method: 'get', path: '/api/costs/breakdown', tag: 'Costs', summary: 'Cost by model and by tool call (langsight-api.txt)', query: CostBreakdownQuery, response: CostBreakdownResponse },
  { method: 'get', path: '/api/stats', tag: 'Stats', summary: 'Totals, error rate, latency p50/p95/p99, cost per day', query: StatsQuery, response: StatsResponse },
  {
    method: 'get', path: '/api/reliability/anomalies', tag: 'Reliability', summary: 'z-score of the current window against a 7-day baseline per server/tool and agent/model',
    query: AnomalyQuery, response: AnomalyResponse,
  },

  // SLOs (snake_case, langsight-api.txt).
  { method: 'get', path: '/api/slos', tag: 'SLOs', summary: 'SLO definitions', query: SloQuery, response: SloListResponse },
  { method: 'post', path: '/api/slos', tag: 'SLOs', summary: 'Create an SLO (success_rate or latency_p99)', body: SloCreateBody, response: SloObject, status: 201, errors: [409, 415] },
  { method: 'get', path: '/api/slos/status', tag: 'SLOs', summary: 'Each SLO evaluated now over its window', query: SloQuery, response: SloStatusResponse },
  {
    method: 'patch', path: '/api/slos/:slo_id', tag: 'SLOs', summary: 'Change an SLO', params: { slo_id: 'SLO id' }, query: SloQuery,
    body: SloPatchBody, response: SloObject, errors: [404, 415],
  },
  { method: 'delete', path: '/api/slos/:slo_id', tag: 'SLOs', summary: 'Delete an SLO', params: { slo_id: 'SLO id' }, query: SloQuery, response: SloDeleteResponse, errors: [404] },

  // Exports.
  {
    method: 'get', path: '/api/export/traces', tag: 'Export', summary: 'Traces as CSV (default), JSON, a self-contained HTML report or Parquet',
    description: 'Ordered started_at ASC, trace_id ASC; streamed. PII redacted unless raw=1 (JSON); CSV cells starting with = + - @ tab or CR are neutralized.',
    query: ExportQuery,
    response: {
      raw: {
        'text/csv': { description: 'UTF-8 with BOM' },
        'application/json': { description: 'provenance block, totalAvailable and the traces' },
        'text/html': { description: 'a self-contained report with inline SVG charts' },
        'application/vnd.apache.parquet': { description: 'one Parquet file' },
      },
    },
    responseHeaders: ExportHeaders.omit({ 'content-type': true }), errors: [429],
  },

  // Live streams.
  {
    method: 'get', path: '/api/stream', tag: 'Live', summary: 'Server-sent events (lookspan-http-api.txt dialect)', query: LiveStreamQuery,
    headers: { 'Last-Event-ID': 'resume after this event id' },
    response: sse('One event per acknowledged span and trace change, and every alert.', {
      'span.ingested': SpanIngestedData, 'trace.updated': TraceUpdatedData, 'alert.triggered': AlertRecordSchema,
    }),
  },
  {
    method: 'get', path: '/api/live/events', tag: 'Live', summary: 'Server-sent events (langsight-api.txt dialect)', query: LiveStreamQuery,
    headers: { 'Last-Event-ID': 'resume after this event id' },
    response: sse('The same stream in the langsight dialect.', { 'span:new': SpanNewData, 'health:check': HealthCheckData }),
  },
  {
    method: 'get', path: '/api/live', tag: 'Live', summary: 'WebSocket: the live stream with filters changed while connected (docs/live.md)',
    description: 'An HTTP/1.1 Upgrade to the WebSocket protocol; server messages are JSON objects with a `type` (subscribed, span.ingested, trace.updated, alert.triggered, error); the client sends {"type": "subscribe", "filter": {...}, "lastEventId"?} to change its filter.',
    query: LiveStreamQuery, status: 101,
  },
];
