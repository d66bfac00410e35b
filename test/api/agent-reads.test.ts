/**
 * Sessions, health tags and the lineage graph against an independent model
 * (agent-model.ts) of a generated multi-agent data set: the spans arrive in
 * two rounds with a seal between them (so traces and sessions have parts in
 * the lake and in the hot tables), every answer is checked, then the rest
 * is sealed with POST /api/storage/seal and every answer is checked again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { HEALTH_TAGS } from '../../src/analysis/health-tags.js';
import { AgentSessionDetailResponse, AgentSessionListResponse, LineageResponse } from '../../src/api/routes/agents.js';
import { SessionDetailResponse, SessionListResponse } from '../../src/api/routes/sessions.js';
import { expectedLineage, expectedSessions, generate, isoMicros, stored, type GenSpan } from './agent-model.js';

const HOUR = 3_600_000;
const START = Math.floor(Date.now() / HOUR) * HOUR - 72 * HOUR;
const SPREAD = 60 * HOUR;
const spans = generate(17, START, SPREAD);
const verdicts = { 's-budgeted': 'budget_exceeded' };
let s: TestServer;

async function get(path: string): Promise<{ status: number; body: any; hasMore: string | null }> {
  const r = await fetch(`${s.httpUrl}${path}`);
  return { status: r.status, body: await r.json(), hasMore: r.headers.get('x-has-more') };
}

async function send(list: GenSpan[]): Promise<void> {
  for (let i = 0; i < list.length; i += 400) {
    const r = await postJson(`${s.httpUrl}/api/traces/spans`, list.slice(i, i + 400));
    expect(r.status).toBe(202);
  }
}

async function put(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${s.httpUrl}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status, await r.text()).toBeLessThan(300);
}

beforeAll(async () => {
  s = await startTestServer();
  // The prevention engine's loop and breaker rules stay out of the random sessions; one agent gets a step budget.
  await put('/api/projects/default/prevention-config', { loop_enabled: false, cb_enabled: false });
  await put('/api/agents/budgeted/prevention-config', { max_steps: 2 });
  // Round one: every span of two thirds of the traces and the first spans of the others; sealed into the lake.
  const late = new Set(spans.filter((_, i) => i % 3 === 0).map((x) => x.trace_id));
  const round1 = spans.filter((x) => !late.has(x.trace_id) || x.span_type === 'tool_call');
  const round2 = spans.filter((x) => late.has(x.trace_id) && x.span_type !== 'tool_call');
  await send(round1);
  await waitLoaded(s);
  expect((await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' })).status).toBe(200);
  await send(round2);
  await waitLoaded(s);
  await waitFor(async () => (await get('/api/prevention/sessions?session_id=s-budgeted')).body.sessions?.length === 1);
}, 120_000);

afterAll(async () => s?.dispose());

const want = expectedSessions(spans, verdicts);
const normal = (xs: any[]) => xs.map((x) => ({ ...x, cost_usd: x.cost_usd === null ? null : Math.round(x.cost_usd * 1e9) / 1e9 }));

async function checkSessions(): Promise<void> {
  const all = await get('/api/agents/sessions?limit=1000');
  expect(all.status).toBe(200);
  AgentSessionListResponse.parse(all.body);
  expect(normal(all.body)).toEqual(normal(want));
  expect(all.hasMore).toBe('false');
  // Every tag is assigned by its rule somewhere in the data set.
  for (const tag of HEALTH_TAGS) expect(want.some((x) => x.health_tag === tag), tag).toBe(true);
  expect(want.find((x) => x.session_id === 's-budgeted')!.health_tag).toBe('budget_exceeded');

  // Pages of 13 concatenate to the whole list.
  const paged: any[] = [];
  for (let offset = 0; ; offset += 13) {
    const page = await get(`/api/agents/sessions?limit=13&offset=${offset}`);
    paged.push(...page.body);
    if (page.hasMore === 'false') break;
  }
  expect(normal(paged)).toEqual(normal(want));

  for (const tag of HEALTH_TAGS) {
    const r = await get(`/api/agents/sessions?limit=1000&health_tag=${tag}`);
    expect(r.body.map((x: any) => x.session_id), tag).toEqual(want.filter((x) => x.health_tag === tag).map((x) => x.session_id));
  }
  for (const agent of ['coder', 'support', 'budgeted']) {
    const r = await get(`/api/agents/sessions?limit=1000&agent_name=${agent}`);
    expect(r.body.map((x: any) => x.session_id), agent).toEqual(want.filter((x) => (x.agents_used as string[]).includes(agent)).map((x) => x.session_id));
  }
  const from = isoMicros((START + SPREAD / 4) * 1000);
  const to = isoMicros((START + SPREAD / 2) * 1000);
  const ranged = await get(`/api/agents/sessions?limit=1000&from=${from}&to=${to}`);
  expect(ranged.body.map((x: any) => x.session_id)).toEqual(want.filter((x) => String(x.first_call_at) >= from && String(x.first_call_at) <= to).map((x) => x.session_id));

  // The camelCase surface answers the same sessions.
  const camel = await get('/api/sessions?limit=1000');
  SessionListResponse.parse(camel.body);
  expect(camel.body.hasMore).toBe(false);
  expect(normal(camel.body.sessions.map((x: any) => ({
    session_id: x.id, agent_name: x.rootAgent, first_call_at: x.startedAt, last_call_at: x.endedAt, duration_ms: x.durationMs,
    tool_calls: x.toolCallCount, failed_calls: x.failedToolCalls, servers_used: x.servers, health_tag: x.healthTag, agents_used: x.agents,
    trace_count: x.traceCount, span_count: x.spanCount, error_count: x.errorCount, total_input_tokens: x.inputTokens,
    total_output_tokens: x.outputTokens, cost_usd: x.costUsd,
  })))).toEqual(normal(want));
  const failed = await get('/api/sessions?limit=1000&outcome=failed');
  expect(failed.body.sessions.map((x: any) => x.id)).toEqual(want.filter((x) => (x.error_count as number) > 0).map((x) => x.session_id));
  const tagged = await get('/api/sessions?limit=1000&healthTag=timeout&agent=planner');
  expect(tagged.body.sessions.map((x: any) => x.id)).toEqual(
    want.filter((x) => x.health_tag === 'timeout' && (x.agents_used as string[]).includes('planner')).map((x) => x.session_id));
}

async function checkDetails(): Promise<void> {
  for (const w of want.filter((_, i) => i % 12 === 0)) {
    const sid = w.session_id as string;
    const mine = spans.filter((x) => x.session_id === sid).map(stored)
      .sort((a, b) => a.startUs - b.startUs || (a.span.trace_id < b.span.trace_id ? -1 : a.span.trace_id > b.span.trace_id ? 1 : a.span.span_id < b.span.span_id ? -1 : 1));
    const d = await get(`/api/agents/sessions/${sid}`);
    expect(d.status).toBe(200);
    AgentSessionDetailResponse.parse(d.body);
    const { spans_flat, root_spans, total_spans, limit, offset, has_more, ...session } = d.body;
    expect(normal([session])).toEqual(normal([w]));
    expect([total_spans, limit, offset, has_more]).toEqual([mine.length, 1000, 0, false]);
    expect(spans_flat.map((x: any) => [x.trace_id, x.span_id, x.parent_span_id, x.status, x.latency_ms]))
      .toEqual(mine.map((x) => [x.span.trace_id, x.span.span_id, x.span.parent_span_id ?? null, x.span.status, x.durationMs]));
    // The nested tree holds each span once, under its parent.
    const seen: string[] = [];
    const walk = (nodes: any[], parent: string | null) => {
      for (const n of nodes) {
        expect(n.parent_span_id).toBe(parent);
        seen.push(`${n.trace_id}/${n.span_id}`);
        walk(n.children, n.span_id);
      }
    };
    walk(root_spans, null);
    expect(seen.sort()).toEqual(mine.map((x) => `${x.span.trace_id}/${x.span.span_id}`).sort());
    const page = await get(`/api/agents/sessions/${sid}?limit=2&offset=1`);
    expect(page.body.spans_flat.map((x: any) => x.span_id)).toEqual(mine.slice(1, 3).map((x) => x.span.span_id));
    expect(page.body.has_more).toBe(mine.length > 3);

    const c = await get(`/api/sessions/${sid}`);
    SessionDetailResponse.parse(c.body);
    const agents = [...new Set(mine.map((x) => x.span.agent_name))].map((name) => {
      const xs = mine.filter((x) => x.span.agent_name === name);
      return {
        name, firstSeenAt: isoMicros(Math.min(...xs.map((x) => x.startUs))), lastSeenAt: isoMicros(Math.max(...xs.map((x) => x.endUs))),
        spanCount: xs.length, errorCount: xs.filter((x) => x.failed).length, llmCallCount: 0, toolCallCount: xs.filter((x) => x.type === 'tool_call').length,
      };
    }).sort((a, b) => (a.firstSeenAt < b.firstSeenAt ? -1 : a.firstSeenAt > b.firstSeenAt ? 1 : a.name < b.name ? -1 : 1));
    expect(c.body.agentTimeline).toEqual(agents);
    const traceIds = [...new Set(mine.map((x) => x.span.trace_id))];
    const starts = traceIds.map((t) => [t, Math.min(...mine.filter((x) => x.span.trace_id === t).map((x) => x.startUs))] as const)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    expect(c.body.traces.map((t: any) => t.id)).toEqual(starts.map(([t]) => t));
    expect(c.body.traces.map((t: any) => t.sessionId)).toEqual(starts.map(() => sid));
  }
  expect((await get('/api/agents/sessions/no-such-session')).status).toBe(404);
  expect((await get('/api/sessions/no-such-session')).status).toBe(404);
}

async function checkLineage(): Promise<void> {
  for (const [fromMs, toMs] of [[START - HOUR, START + SPREAD + 2 * HOUR], [START + SPREAD / 3, START + SPREAD / 2]]) {
    const r = await get(`/api/agents/lineage?from=${fromMs}&to=${toMs}`);
    expect(r.status).toBe(200);
    LineageResponse.parse(r.body);
    const m = expectedLineage(spans, fromMs * 1000, toMs * 1000);
    const edges = new Map(r.body.edges.map((e: any) => [`${e.type} ${e.source} ${e.target}`, e.metrics]));
    const nodes = new Map(r.body.nodes.map((n: any) => [n.id, n.metrics]));
    expect(new Map([...edges].sort())).toEqual(new Map([...m.edges].sort()));
    expect(new Map([...nodes].sort())).toEqual(new Map([...m.nodes].sort()));
    expect(r.body.truncated).toBe(false);
  }
  // The default window (168 hours, ending now) holds the whole data set.
  const d = await get('/api/agents/lineage');
  expect(d.body.window_hours).toBe(168);
  expect(d.body.edges.length).toBe(expectedLineage(spans, 0, Date.now() * 1000 + 1).edges.size);
}

async function checkTraceFilters(): Promise<void> {
  const traces = new Map<string, GenSpan[]>();
  for (const x of spans) traces.set(x.trace_id, [...(traces.get(x.trace_id) ?? []), x]);
  const startOf = (t: string) => Math.min(...traces.get(t)!.map((x) => Date.parse(x.started_at)));
  const newest = (ids: string[]) => ids.sort((a, b) => startOf(b) - startOf(a) || (a < b ? -1 : 1));
  for (const [param, f] of [
    ['agent=reviewer', (x: GenSpan) => x.agent_name === 'reviewer'],
    ['server=jira-mcp', (x: GenSpan) => x.server_name === 'jira-mcp' && x.span_type === 'tool_call'],
    ['tool=post&agent=coder', (x: GenSpan) => x.tool_name === 'post' && x.agent_name === 'coder'],
  ] as const) {
    const r = await get(`/api/traces?limit=1000&total=1&${param}`);
    const wantIds = newest([...traces.keys()].filter((t) => traces.get(t)!.some(f)));
    expect(r.body.traces.map((t: any) => t.id), param).toEqual(wantIds);
    expect(r.body.total, param).toBe(wantIds.length);
    const page = await get(`/api/traces?limit=5&offset=3&${param}`);
    expect(page.body.traces.map((t: any) => t.id), param).toEqual(wantIds.slice(3, 8));
  }
  const dur = (t: string) => Math.max(...traces.get(t)!.map((x) => Date.parse(x.ended_at))) - startOf(t);
  const bySpans = await get('/api/traces?limit=10&sort=durationMs&order=asc');
  const wantDur = [...traces.keys()].sort((a, b) => dur(a) - dur(b) || (a < b ? -1 : 1)).slice(0, 10);
  expect(bySpans.body.traces.map((t: any) => t.id)).toEqual(wantDur);
  const spanList = await get('/api/traces/spans?limit=1000&status=timeout&total=1');
  expect(spanList.body.spans.map((x: any) => x.span_id).sort()).toEqual(spans.filter((x) => x.status === 'timeout').map((x) => x.span_id).sort());
  expect(spanList.body.total).toBe(spans.filter((x) => x.status === 'timeout').length);
  const prevented = await get('/api/traces/spans?limit=1000&status=prevented&agent_name=reviewer');
  expect(prevented.body.spans.map((x: any) => x.span_id).sort())
    .toEqual(spans.filter((x) => x.status === 'prevented' && x.agent_name === 'reviewer').map((x) => x.span_id).sort());
}

describe('sessions, health tags and lineage against an independent computation', () => {
  it('with spans in the lake and in the hot tables', async () => {
    await checkSessions();
    await checkDetails();
    await checkLineage();
    await checkTraceFilters();
  }, 120_000);

  it('the same answers after POST /api/storage/seal', async () => {
    const r = await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' });
    expect(r.status).toBe(200);
    const st = (await get('/api/storage')).body;
    expect(st.hot.spans).toBe(0);
    await checkSessions();
    await checkDetails();
    await checkLineage();
    await checkTraceFilters();
  }, 120_000);

  it('names an invalid parameter in a 400', async () => {
    for (const [path, param] of [
      ['/api/agents/sessions?health_tag=great', 'health_tag'], ['/api/agents/sessions?limit=0', 'limit'],
      ['/api/sessions?outcome=maybe', 'outcome'], ['/api/sessions/s-success?traceLimit=5000', 'traceLimit'],
      ['/api/agents/lineage?hours=0', 'hours'], ['/api/agents/lineage?from=yesterday', 'from'],
      ['/api/traces?sort=name', 'sort'], ['/api/traces/spans?status=ok', 'status'],
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.error.problems.map((p: any) => p.path), path).toContain(param);
    }
  });
});
