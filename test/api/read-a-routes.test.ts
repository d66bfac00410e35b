/**
 * The route table of the read side's trace, session, lineage and catalog
 * features, from the two reference documents: each route is registered,
 * answers with the shape its exported zod schema documents (no field more,
 * none missing), and uses its surface's one field-naming convention
 * (camelCase on the Lookspan routes, snake_case on the langsight ones).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { registeredRoutes } from '../access/routes.js';
import { SpanListResponse, TraceDetailResponse, TraceListResponse } from '../../src/api/routes/traces.js';
import { SessionDetailResponse, SessionListResponse } from '../../src/api/routes/sessions.js';
import { AgentSessionDetailResponse, AgentSessionListResponse, LineageResponse } from '../../src/api/routes/agents.js';
import { AgentCatalogEntry, AgentCatalogListResponse, AgentDiscoverResponse, ServerDiscoverResponse } from '../../src/api/routes/catalog.js';

/** The reference's line for each route, the route as registered, a request and the schema of its answer. */
const ROUTES: Array<{ ref: string; key: string; method: string; path: string; body?: unknown; schema: z.ZodType; naming: 'camel' | 'snake'; status?: number }> = [
  { ref: 'GET | /api/traces | List traces (paginated; filter by framework, status, sessionId).', key: 'GET /api/traces', method: 'GET', path: '/api/traces?sessionId=sess-r&total=1', schema: TraceListResponse, naming: 'camel' },
  { ref: 'GET | /api/traces/:id | Trace detail with all its spans and scores.', key: 'GET /api/traces/:traceId', method: 'GET', path: '/api/traces/tr-r', schema: TraceDetailResponse, naming: 'camel' },
  { ref: 'GET | /api/sessions | List sessions (agents, traces, cost, errors, time range).', key: 'GET /api/sessions', method: 'GET', path: '/api/sessions', schema: SessionListResponse, naming: 'camel' },
  { ref: 'GET | /api/sessions/:id | Session summary + its traces (multi-agent timeline).', key: 'GET /api/sessions/:id', method: 'GET', path: '/api/sessions/sess-r', schema: SessionDetailResponse, naming: 'camel' },
  { ref: 'GET | /api/traces/spans | Query spans by server, tool, session, time range', key: 'GET /api/traces/spans', method: 'GET', path: '/api/traces/spans?server_name=pg-mcp&session_id=sess-r&total=1', schema: SpanListResponse, naming: 'snake' },
  { ref: 'GET | /api/agents/sessions | List agent sessions with aggregated cost, call count, failure count', key: 'GET /api/agents/sessions', method: 'GET', path: '/api/agents/sessions', schema: AgentSessionListResponse, naming: 'snake' },
  { ref: 'GET | /api/agents/sessions/{session_id} | Full span tree for one session with parent_span_id hierarchy', key: 'GET /api/agents/sessions/:session_id', method: 'GET', path: '/api/agents/sessions/sess-r', schema: AgentSessionDetailResponse, naming: 'snake' },
  { ref: 'GET | /api/agents/lineage | Aggregated lineage graph of agents, MCP servers, and handoffs', key: 'GET /api/agents/lineage', method: 'GET', path: '/api/agents/lineage?from=2026-03-17&to=2026-03-18', schema: LineageResponse, naming: 'snake' },
  { ref: 'GET | /api/agents/metadata | List agent catalog metadata for the active project', key: 'GET /api/agents/metadata', method: 'GET', path: '/api/agents/metadata', schema: AgentCatalogListResponse, naming: 'snake' },
  { ref: 'PUT | /api/agents/metadata/{agent_name} | Create or update metadata for one agent', key: 'PUT /api/agents/metadata/:agent_name', method: 'PUT', path: '/api/agents/metadata/writer', body: { description: 'drafts replies', tags: ['prod'] }, schema: AgentCatalogEntry, naming: 'snake' },
  { ref: 'GET | /api/agents/metadata/{agent_name} | Read metadata for one agent', key: 'GET /api/agents/metadata/:agent_name', method: 'GET', path: '/api/agents/metadata/writer', schema: AgentCatalogEntry, naming: 'snake' },
  { ref: 'POST | /api/agents/discover | Scan … for distinct agent_name values and auto-register any missing from the catalog', key: 'POST /api/agents/discover', method: 'POST', path: '/api/agents/discover', schema: AgentDiscoverResponse, naming: 'snake' },
  { ref: 'POST | /api/servers/discover | Scan … for distinct server_name values and auto-register any missing from the catalog', key: 'POST /api/servers/discover', method: 'POST', path: '/api/servers/discover', schema: ServerDiscoverResponse, naming: 'snake' },
  { ref: 'DELETE | /api/agents/metadata/{agent_name} | Delete metadata for one agent', key: 'DELETE /api/agents/metadata/:agent_name', method: 'DELETE', path: '/api/agents/metadata/writer', schema: null as never, naming: 'snake', status: 204 },
];

/** The session object of langsight-api.txt, field by field. */
const SESSION_OBJECT = ['session_id', 'agent_name', 'first_call_at', 'last_call_at', 'duration_ms', 'tool_calls', 'failed_calls', 'servers_used', 'health_tag'];

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  const at = (x: string) => `2026-03-17T12:00:${x}Z`;
  const r = await postJson(`${s.httpUrl}/api/traces/spans`, [
    { trace_id: 'tr-r', span_id: 'root', span_type: 'agent', server_name: 'writer-runtime', tool_name: 'run', agent_name: 'writer', session_id: 'sess-r', started_at: at('00'), ended_at: at('05') },
    { trace_id: 'tr-r', span_id: 'q', parent_span_id: 'root', server_name: 'pg-mcp', tool_name: 'query', agent_name: 'writer', session_id: 'sess-r', started_at: at('01'), ended_at: at('01.250'), status: 'error', error: 'boom' },
    { trace_id: 'tr-r', span_id: 'sub', parent_span_id: 'root', span_type: 'agent', server_name: 'editor-runtime', tool_name: 'run', agent_name: 'editor', session_id: 'sess-r', started_at: at('02'), ended_at: at('04') },
    { trace_id: 'tr-r', span_id: 'p', parent_span_id: 'sub', server_name: 'slack-mcp', tool_name: 'post', agent_name: 'editor', session_id: 'sess-r', started_at: at('03'), ended_at: at('03.100') },
  ]);
  expect(r.status).toBe(202);
  await waitLoaded(s);
});
afterAll(async () => s?.dispose());

/** Fields that carry what the sender wrote (attribute maps, payloads), not names of ours. */
const SENDER_DATA = new Set(['attributes', 'resource', 'events', 'links', 'input', 'output']);

/** Every object key in `v`, at any depth, outside sender data. */
function keys(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => keys(x, out));
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      if (!SENDER_DATA.has(k)) keys(x, out);
    }
  }
  return out;
}

describe('read side routes of both references', () => {
  it('are all registered', () => {
    const served = new Set(registeredRoutes(s.router));
    expect(ROUTES.map((r) => r.key).filter((k) => !served.has(k))).toEqual([]);
  });

  it.each(ROUTES.map((r) => [r.ref, r] as const))('%s — answers with its documented shape', async (_, r) => {
    const res = await fetch(`${s.httpUrl}${r.path}`, {
      method: r.method,
      ...(r.body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(r.body) }),
    });
    expect(res.status).toBe(r.status ?? 200);
    if (r.status === 204) return;
    const body = await res.json();
    // Parsing strips fields the schema does not name: equal means nothing undocumented and nothing missing.
    expect(r.schema.parse(body)).toEqual(body);
    const names = keys(body).filter((k) => k.length > 1);
    if (r.naming === 'snake') expect(names.filter((k) => /[A-Z]/.test(k)), r.key).toEqual([]);
    else expect(names.filter((k) => k.includes('_')), r.key).toEqual([]);
  });

  it('answer what the references name: the session object, the span tree, the graph, the discovery counts', async () => {
    const list = (await (await fetch(`${s.httpUrl}/api/agents/sessions`)).json()) as any[];
    expect(Object.keys(list[0])).toEqual(expect.arrayContaining(SESSION_OBJECT));
    expect(list[0]).toMatchObject({ session_id: 'sess-r', agent_name: 'writer', tool_calls: 2, failed_calls: 1, servers_used: ['pg-mcp', 'slack-mcp'], health_tag: 'tool_failure', duration_ms: 5000 });
    const detail = (await (await fetch(`${s.httpUrl}/api/agents/sessions/sess-r`)).json()) as any;
    expect(detail.root_spans.map((x: any) => x.span_id)).toEqual(['root']);
    expect(detail.root_spans[0].children.map((x: any) => x.span_id)).toEqual(['q', 'sub']);
    expect(detail.root_spans[0].children[1].children.map((x: any) => [x.span_id, x.parent_span_id])).toEqual([['p', 'sub']]);
    const trace = (await (await fetch(`${s.httpUrl}/api/traces/tr-r`)).json()) as any;
    expect(trace.spans.map((x: any) => [x.id, x.parentIndex, x.depth])).toEqual([['root', null, 0], ['q', 0, 1], ['sub', 0, 1], ['p', 2, 2]]);
    const graph = (await (await fetch(`${s.httpUrl}/api/agents/lineage?from=2026-03-17&to=2026-03-18`)).json()) as any;
    expect(graph.edges.map((e: any) => `${e.type} ${e.source} ${e.target} ${e.metrics.call_count}/${e.metrics.error_count}`).sort())
      .toEqual(['calls agent:editor server:slack-mcp 1/0', 'calls agent:writer server:pg-mcp 1/1', 'handoff agent:writer agent:editor 1/0']);
    const servers = (await (await fetch(`${s.httpUrl}/api/servers/discover`, { method: 'POST' })).json()) as any;
    expect(servers).toEqual({ discovered: 0, servers: [] });
  });
});
