/**
 * The agent catalog and discovery: every agent the stored spans name is in
 * GET /api/agents/metadata with first/last seen and call counts equal to a
 * count over the generated spans, over days that are hot, sealed, sealed
 * and then grown, and compacted; PUT/GET/DELETE keep the metadata; the
 * discover routes store a row for each name without one, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { isoMicros, rng } from './agent-model.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 14);
const AGENTS = ['triage', 'billing', 'refunds'];
const SERVERS = ['crm-mcp', 'pay-mcp'];

interface Sent { agent: string; server: string | null; atMs: number; failed: boolean }
const sent: Sent[] = [];
let seq = 0;

/** `n` spans over days [fromDay, toDay): tool calls to a server, or agent spans (which name no MCP server). */
function batch(n: number, fromDay: number, toDay: number, seed: number) {
  const rand = rng(seed);
  return Array.from({ length: n }, () => {
    const agent = AGENTS[Math.floor(rand() * AGENTS.length)];
    const tool = rand() < 0.7;
    const server = tool ? SERVERS[Math.floor(rand() * SERVERS.length)] : null;
    const atMs = T0 + fromDay * DAY + Math.floor(rand() * (toDay - fromDay) * DAY);
    const failed = rand() < 0.2;
    sent.push({ agent, server, atMs, failed });
    const id = `c${seq++}`;
    return {
      trace_id: id, span_id: id, span_type: tool ? 'tool_call' : 'agent', server_name: server ?? `${agent}-runtime`, tool_name: tool ? 'call' : 'run',
      agent_name: agent, session_id: `s-${id}`, started_at: new Date(atMs).toISOString(), ended_at: new Date(atMs + 10).toISOString(),
      status: failed ? 'error' : 'success',
    };
  });
}

let s: TestServer;
const url = (p: string) => `${s.httpUrl}${p}`;
const get = async (p: string) => {
  const r = await fetch(url(p));
  return { status: r.status, body: (await r.json()) as any, hasMore: r.headers.get('x-has-more') };
};
const call = async (method: string, p: string, body?: unknown) => {
  const r = await fetch(url(p), { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
};
async function ingest(spans: unknown[]): Promise<void> {
  expect((await postJson(url('/api/traces/spans'), spans)).status).toBe(202);
  await waitLoaded(s);
}

/** first/last seen and counts per agent, counted over what was sent. */
function expectedSeen() {
  const by = new Map<string, Sent[]>();
  for (const x of sent) by.set(x.agent, [...(by.get(x.agent) ?? []), x]);
  return new Map([...by].map(([a, xs]) => [a, {
    first_seen_at: isoMicros(Math.min(...xs.map((x) => x.atMs)) * 1000),
    last_seen_at: isoMicros(Math.max(...xs.map((x) => x.atMs)) * 1000),
    call_count: xs.length,
    error_count: xs.filter((x) => x.failed).length,
  }]));
}

async function checkSeen(): Promise<void> {
  const list = await get('/api/agents/metadata');
  expect(list.status).toBe(200);
  const want = expectedSeen();
  expect(list.body.map((e: any) => e.agent_name)).toEqual([...want.keys()].sort());
  for (const e of list.body) {
    expect({ first_seen_at: e.first_seen_at, last_seen_at: e.last_seen_at, call_count: e.call_count, error_count: e.error_count }, e.agent_name)
      .toEqual(want.get(e.agent_name));
  }
}

beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.dispose());

describe('agent catalog and discovery', () => {
  it('lists every agent the spans name, with first/last seen and counts, hot, sealed, grown and compacted', async () => {
    await ingest(batch(150, 0, 3, 1));
    const before = await get('/api/agents/metadata');
    expect(before.body.every((e: any) => e.source === 'traces' && e.id === null && e.created_at === null)).toBe(true);
    await checkSeen();
    expect((await call('POST', '/api/storage/seal')).status).toBe(200);
    await checkSeen();
    // A sealed day grows again (its count is no longer the cached one), and a new day appears.
    await ingest(batch(60, 2, 4, 2));
    await checkSeen();
    expect((await call('POST', '/api/storage/seal')).status).toBe(200);
    await checkSeen();
    expect((await call('POST', '/api/storage/compact')).status).toBe(200);
    await checkSeen();
    expect((await get('/api/agents/metadata?project_id=elsewhere')).body).toEqual([]);
    const page = await get('/api/agents/metadata?limit=2&offset=1');
    expect(page.body.map((e: any) => e.agent_name)).toEqual([...expectedSeen().keys()].sort().slice(1, 3));
    expect(page.hasMore).toBe('false');
  });

  it('keeps metadata written with PUT, beside what the spans say', async () => {
    const put = await call('PUT', '/api/agents/metadata/triage', { description: 'sorts tickets', owner: 'support', tags: ['prod', 'tier-1'], status: 'experimental', runbook_url: 'https://runbooks.example/triage' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      agent_name: 'triage', description: 'sorts tickets', owner: 'support', tags: ['prod', 'tier-1'], status: 'experimental',
      runbook_url: 'https://runbooks.example/triage', source: 'manual', project_id: 'default', ...expectedSeen().get('triage'),
    });
    expect(put.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await get('/api/agents/metadata/triage');
    expect(got.body).toEqual(put.body);
    // PUT replaces the row: absent fields take their defaults; the id and creation time stay.
    const again = await call('PUT', '/api/agents/metadata/triage', { owner: 'ops' });
    expect(again.body).toMatchObject({ id: put.body.id, created_at: put.body.created_at, owner: 'ops', description: '', tags: [], status: 'active' });
    const planned = await call('PUT', '/api/agents/metadata/planned-agent', { description: 'not deployed yet' });
    expect(planned.body).toMatchObject({ source: 'manual', call_count: 0, error_count: 0, first_seen_at: null, last_seen_at: null });
    expect((await get('/api/agents/metadata')).body.map((e: any) => e.agent_name)).toContain('planned-agent');
    for (const [body, field] of [[{ status: 'retired' }, 'status'], [{ tags: 'prod' }, 'tags'], [{ color: 'red' }, '(root)'], [{ runbook_url: 'x'.repeat(3000) }, 'runbook_url']] as const) {
      const bad = await call('PUT', '/api/agents/metadata/triage', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(bad.body.error), JSON.stringify(body)).toContain(field === '(root)' ? 'color' : field);
    }
    expect((await get('/api/agents/metadata/nobody')).status).toBe(404);
  });

  it('registers the agents and servers the spans name, once', async () => {
    const agents = await call('POST', '/api/agents/discover');
    expect(agents.body).toEqual({ discovered: 2, agents: ['billing', 'refunds'] });
    expect((await call('POST', '/api/agents/discover')).body).toEqual({ discovered: 0, agents: [] });
    expect((await get('/api/agents/metadata/billing')).body).toMatchObject({ source: 'discover', description: '', status: 'active', ...expectedSeen().get('billing') });
    // Agent spans name their own runtime as the server; only MCP calls count as servers.
    expect((await call('POST', '/api/servers/discover')).body).toEqual({ discovered: 2, servers: [...SERVERS].sort() });
    expect((await call('POST', '/api/servers/discover')).body).toEqual({ discovered: 0, servers: [] });
  });

  it('deletes the metadata; the agent stays listed while its spans are stored', async () => {
    expect((await call('DELETE', '/api/agents/metadata/triage')).status).toBe(204);
    expect((await get('/api/agents/metadata/triage')).body).toMatchObject({ id: null, source: 'traces', description: '', ...expectedSeen().get('triage') });
    expect((await call('DELETE', '/api/agents/metadata/triage')).status).toBe(404);
    expect((await call('DELETE', '/api/agents/metadata/planned-agent')).status).toBe(204);
    expect((await get('/api/agents/metadata/planned-agent')).status).toBe(404);
  });
});
