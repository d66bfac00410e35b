/**
 * Prevention end to end: the config routes of langsight-api.txt (agent and
 * project default, partial PUT keeping the other fields, DELETE falling
 * back), then generated sessions sent as ToolCallSpans: a looping session,
 * an over-budget one and a failing MCP server are tagged and alerted, the
 * server's health changes arrive as health:check on /api/live/events, and
 * its circuit breaker opens, is called while open, and closes again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { SseClient } from '../live/clients.js';

let server: TestServer;
const api = (p: string) => `${server.httpUrl}${p}`;
const put = (p: string, body: unknown) => fetch(api(p), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  server = await startTestServer({ alerts: { evaluateIntervalSeconds: 3600 } });
});

afterAll(async () => {
  await server?.dispose();
});

const T0 = Date.parse('2026-06-02T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
let seq = 0;
/** A ToolCallSpan (POST /api/traces/spans) `s` seconds after T0. */
const call = (o: { session?: string; agent?: string; server: string; tool: string; s: number; ok?: boolean; args?: unknown; cost?: number }) => ({
  server_name: o.server, tool_name: o.tool, started_at: at(o.s), ended_at: at(o.s + 0.5), status: o.ok === false ? 'error' : 'success',
  error: o.ok === false ? 'connection refused' : undefined, session_id: o.session, agent_name: o.agent, trace_id: `trace-${o.session ?? 'none'}`,
  span_id: `span-${++seq}`, input_args: o.args, cost_usd: o.cost,
});
const send = async (spans: unknown[]) => expect((await postJson(api('/api/traces/spans'), spans)).status).toBeLessThan(300);
const alerts = async (q: string) => ((await (await fetch(api(`/api/alerts?${q}`))).json()) as any).alerts as any[];
const tagOf = async (session: string) => ((await (await fetch(api(`/api/prevention/sessions?session_id=${session}`))).json()) as any).sessions[0];

describe('prevention config routes', () => {
  it('creates, partially updates, inherits and deletes', async () => {
    expect((await fetch(api('/api/agents/looper/prevention-config'))).status).toBe(404);
    const project = await put('/api/projects/default/prevention-config', { loop_threshold: 3, max_steps: 100 });
    expect(project.status).toBe(201);
    expect(await project.json()).toMatchObject({ project_id: 'default', agent_name: '*', loop_threshold: 3, max_steps: 100, loop_enabled: true, cb_failure_threshold: 5 });

    const created = await put('/api/agents/spender/prevention-config', { max_cost_usd: 0.05, budget_soft_alert: 0.5 });
    expect(created.status).toBe(201);
    const first = (await created.json()) as any;
    expect(first.id).toMatch(/^pvc-/);
    const updated = await put('/api/agents/spender/prevention-config', { loop_action: 'warn' });
    expect(updated.status).toBe(200);
    const got = (await (await fetch(api('/api/agents/spender/prevention-config'))).json()) as any;
    expect(got).toEqual({
      id: first.id, project_id: 'default', agent_name: 'spender', loop_enabled: true, loop_threshold: 3, loop_action: 'warn',
      max_steps: 100, max_cost_usd: 0.05, max_wall_time_s: null, budget_soft_alert: 0.5, cb_enabled: true, cb_failure_threshold: 5,
      cb_cooldown_seconds: 60, cb_half_open_max_calls: 2, created_at: first.created_at, updated_at: got.updated_at,
    });
    // Sending the object back as GET returned it is a valid PUT.
    expect((await put('/api/agents/spender/prevention-config', got)).status).toBe(200);
    expect((await put('/api/agents/spender/prevention-config', { agent_name: 'someone-else' })).status).toBe(400);
    expect((await put('/api/agents/spender/prevention-config', { loop_threshold: 1 })).status).toBe(400);
    expect((await put('/api/agents/spender/prevention-config', { colour: 'red' })).status).toBe(400);

    await put('/api/agents/temp/prevention-config', { max_steps: 2 });
    expect((await fetch(api('/api/agents/temp/prevention-config'), { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(api('/api/agents/temp/prevention-config'))).status).toBe(404);
    expect((await fetch(api('/api/agents/temp/prevention-config'), { method: 'DELETE' })).status).toBe(404);
  });
});

describe('prevention on ingest', () => {
  it('tags and alerts a looping session once', async () => {
    const args = { sql: 'select 1' };
    await send([1, 2, 3, 4].map((i) => call({ session: 'loop-1', agent: 'looper', server: 'pg', tool: 'query', s: i, args })));
    // Different arguments are not a loop.
    await send([1, 2, 3].map((i) => call({ session: 'no-loop', agent: 'looper', server: 'pg', tool: 'query', s: i, args: { sql: `select ${i}` } })));
    const tag = await waitFor(() => tagOf('loop-1'));
    expect(tag).toMatchObject({ health_tag: 'loop_detected', rule: 'loop', agent_name: 'looper', detail: { tool_name: 'query', repeats: 3, loop_threshold: 3 } });
    const loops = await waitFor(async () => { const a = await alerts('type=loop_detected'); return a.length > 0 ? a : null; });
    expect(loops).toHaveLength(1);
    expect(loops[0]).toMatchObject({ session_id: 'loop-1', severity: 'critical', value: 3, threshold: 3 });
    expect(await tagOf('no-loop')).toBeUndefined();
  });

  it('warns at the soft budget and tags the session over budget', async () => {
    await send([call({ session: 'spend-1', agent: 'spender', server: 'llm', tool: 'complete', s: 1, cost: 0.03, args: { n: 1 } })]);
    await waitFor(async () => (await alerts('type=budget_exceeded&session_id=spend-1')).length === 1);
    expect(await tagOf('spend-1')).toBeUndefined();
    await send([call({ session: 'spend-1', agent: 'spender', server: 'llm', tool: 'complete', s: 2, cost: 0.03, args: { n: 2 } })]);
    const tag = await waitFor(() => tagOf('spend-1'));
    expect(tag).toMatchObject({ health_tag: 'budget_exceeded', rule: 'budget_cost', detail: { budget: 'cost', max_cost_usd: 0.05 } });
    const budget = await waitFor(async () => { const a = await alerts('type=budget_exceeded&session_id=spend-1'); return a.length === 2 ? a : null; });
    expect(budget.map((a) => a.severity)).toEqual(['critical', 'warning']);
    expect(budget[0].value).toBeCloseTo(0.06, 10);
  });

  it('marks a failing MCP server down and recovered, opens and closes its circuit breaker, tags a call made while open', async () => {
    const sse = await SseClient.open(api('/api/live/events?server_name=flaky'));
    await sse.comments.until((c) => c.includes('connected'), 'connected');
    // Five failures in a row: down after 3 (alerts.mcpDownAfterFailures), breaker open after 5 (cb_failure_threshold).
    await send([1, 2, 3, 4, 5].map((i) => call({ session: 'cb-1', agent: 'worker', server: 'flaky', tool: 'fetch', s: i, ok: false, args: { i } })));
    // 10 s later, inside the 60 s cooldown: a call made while the breaker is open.
    await send([call({ session: 'cb-2', agent: 'worker', server: 'flaky', tool: 'fetch', s: 15.5, ok: false, args: { i: 'x' } })]);
    // After the cooldown, two successful trial calls close it.
    await send([70, 71].map((s) => call({ session: 'cb-3', agent: 'worker', server: 'flaky', tool: 'fetch', s, args: { s } })));

    await sse.events.until((e) => e.filter((x) => x.event === 'health:check').length === 2, 'down and up');
    expect(sse.data('health:check').map((h) => [h.server_name, h.status, h.project_id, h.source])).toEqual([
      ['flaky', 'down', 'default', 'passive'], ['flaky', 'up', 'default', 'passive'],
    ]);
    expect(sse.data('health:check')[0].consecutive_failures).toBe(3);
    expect(sse.events.items.every((e) => e.event === 'health:check' || JSON.parse(e.data).server_name === 'flaky')).toBe(true);
    await sse.close();

    const down = await waitFor(async () => { const a = await alerts('type=mcp_down'); return a.length === 1 ? a : null; });
    expect(down[0]).toMatchObject({ server_name: 'flaky', status: 'triggered', value: 3 });
    const recovered = await waitFor(async () => { const a = await alerts('type=mcp_recovered'); return a.length === 1 ? a : null; });
    expect(recovered[0]).toMatchObject({ server_name: 'flaky', status: 'resolved' });
    const cb = await waitFor(async () => { const a = await alerts('type=circuit_breaker_open'); return a.length === 2 ? a : null; });
    expect(cb.map((a) => a.status)).toEqual(['resolved', 'triggered']);
    expect(cb[1]).toMatchObject({ agent_name: 'worker', server_name: 'flaky', value: 5, threshold: 5 });
    expect(await waitFor(() => tagOf('cb-2'))).toMatchObject({ health_tag: 'circuit_breaker_open', rule: 'circuit_breaker', detail: { server_name: 'flaky' } });
    expect(await tagOf('cb-3')).toBeUndefined();
  });
});
