/**
 * GET /api/costs/summary and /api/costs/breakdown against an independent
 * computation over a generated data set (reported costs, table prices
 * from @pydantic/genai-prices itself, unpriced calls, tool costs, agents
 * inherited from the trace), before and after a seal into the lake; a
 * Vercel AI SDK outer span and its provider call count once.
 */
import { calcPrice } from '@pydantic/genai-prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CostBreakdownResponse, CostSummaryResponse } from '../../src/api/routes/costs.js';
import { getJson, ingest, prng, seal, type NativeSpan } from '../helpers/read-data.js';
import { postJson } from '../helpers/otlp-json.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.now();
const FROM = T0 - 7 * DAY;
const TO = T0 + HOUR;
const MODELS = [
  { model: 'gpt-4o', provider: 'openai', priceId: 'openai' },
  { model: 'claude-3-5-sonnet-20241022', provider: 'anthropic', priceId: 'anthropic' },
  { model: 'acme-llm-9000', provider: 'acme', priceId: null },
] as const;
const AGENTS = ['planner', 'writer', undefined] as const;
const TOOLS = [['pg', 'query'], ['pg', 'schema'], ['jira', 'get_issue'], [undefined, 'calculator']] as const;

/** One call's cost as the price table computes it, or null when no price matches. */
function tablePrice(m: (typeof MODELS)[number], input: number, output: number): number | null {
  if (m.priceId === null) return null;
  const r = calcPrice({ input_tokens: input, output_tokens: output }, m.model, { providerId: m.priceId });
  return r === null ? null : r.total_price;
}

interface Expected {
  spans: NativeSpan[];
  /** cost as stored (null: unpriced), per span id. */
  cost: Map<string, number | null>;
}

function generate(): Expected {
  const rnd = prng(9);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const spans: NativeSpan[] = [];
  const cost = new Map<string, number | null>();
  for (let t = 0; t < 90; t++) {
    // 80 traces in the window, 10 nine days ago (outside it).
    let start = t < 80 ? Math.round(T0 - rnd() * 6 * DAY) : T0 - 9 * DAY + t * 1000;
    // Clear of the 24h window's edge, which moves with the request's clock.
    if (Math.abs(start - (T0 - DAY)) < 10 * 60_000) start -= 20 * 60_000;
    const traceId = `cost-${t}`;
    const agent = pick(AGENTS);
    spans.push({ traceId, spanId: `${traceId}-r`, type: 'agent', name: 'run', startedAt: start, endedAt: start + 5000, agentName: agent, status: 'ok' });
    const calls = 1 + Math.floor(rnd() * 4);
    for (let c = 0; c < calls; c++) {
      const m = pick(MODELS);
      const input = 100 + Math.floor(rnd() * 5000);
      const output = 10 + Math.floor(rnd() * 800);
      const reported = rnd() < 0.4 ? Math.round(rnd() * 1e6) / 1e7 + 1e-6 : 0;
      const spanId = `${traceId}-c${c}`;
      spans.push({
        traceId, spanId, parentSpanId: `${traceId}-r`, type: 'llm_call', name: 'chat', model: m.model, provider: m.provider,
        startedAt: start + 10 + c * 100, endedAt: start + 90 + c * 100, usage: { inputTokens: input, outputTokens: output, costUsd: reported },
        // Some calls name their own agent; the rest belong to the trace's.
        ...(rnd() < 0.2 ? { agentName: 'critic' } : {}),
      });
      cost.set(spanId, reported > 0 ? reported : tablePrice(m, input, output));
    }
    const tools = Math.floor(rnd() * 3);
    for (let k = 0; k < tools; k++) {
      const [server, tool] = pick(TOOLS);
      const spanId = `${traceId}-t${k}`;
      const paid = rnd() < 0.15 ? 0.01 : 0;
      spans.push({
        traceId, spanId, parentSpanId: `${traceId}-r`, type: 'tool_call', name: `tool ${tool}`, toolName: tool, serverName: server,
        startedAt: start + 1000 + k * 200, endedAt: start + 1000 + k * 200 + 20 + Math.floor(rnd() * 300), status: rnd() < 0.2 ? 'error' : 'ok',
        ...(paid ? { usage: { costUsd: paid } } : {}),
      });
      cost.set(spanId, paid || null);
    }
  }
  return { spans, cost };
}

const data = generate();

/** The independent computation: every span in the window, its agent, and per-group sums. */
function expected() {
  const inWindow = data.spans.filter((s) => s.startedAt >= FROM && s.startedAt < TO);
  const agentOfTrace = new Map<string, string | undefined>();
  for (const s of [...inWindow].sort((a, b) => a.startedAt - b.startedAt)) {
    if (s.parentSpanId == null) agentOfTrace.set(s.traceId, s.agentName ?? agentOfTrace.get(s.traceId));
  }
  for (const s of [...inWindow].sort((a, b) => a.startedAt - b.startedAt)) {
    if (agentOfTrace.get(s.traceId) === undefined && s.agentName) agentOfTrace.set(s.traceId, s.agentName);
  }
  const groups = { model: new Map<string, any>(), provider: new Map<string, any>(), agent: new Map<string, any>(), tool: new Map<string, any>() };
  const add = (m: Map<string, any>, key: string, s: NativeSpan) => {
    const g = m.get(key) ?? { calls: 0, unpriced: 0, cost: 0, input: 0, output: 0 };
    const c = data.cost.get(s.spanId) ?? null;
    g.calls++;
    if (c === null && s.usage?.inputTokens !== undefined) g.unpriced++;
    g.cost += c ?? 0;
    g.input += s.usage?.inputTokens ?? 0;
    g.output += s.usage?.outputTokens ?? 0;
    m.set(key, g);
  };
  const total = { calls: 0, unpriced: 0, cost: 0, input: 0, output: 0, toolCalls: 0, toolCost: 0, llmCalls: 0 };
  for (const s of inWindow) {
    const isCall = s.type === 'llm_call' || s.usage !== undefined;
    const isTool = s.toolName !== undefined;
    if (isTool) {
      const key = `${s.serverName ?? ''}/${s.toolName}`;
      const g = groups.tool.get(key) ?? { calls: 0, errors: 0, cost: 0, latency: 0 };
      g.calls++;
      g.errors += s.status === 'error' ? 1 : 0;
      g.cost += data.cost.get(s.spanId) ?? 0;
      g.latency += s.endedAt - s.startedAt;
      groups.tool.set(key, g);
      total.toolCalls++;
      total.toolCost += data.cost.get(s.spanId) ?? 0;
    }
    if (!isCall) continue;
    if (!isTool) total.llmCalls++;
    total.calls++;
    total.cost += data.cost.get(s.spanId) ?? 0;
    total.input += s.usage?.inputTokens ?? 0;
    total.output += s.usage?.outputTokens ?? 0;
    if (data.cost.get(s.spanId) === null && s.usage?.inputTokens !== undefined) total.unpriced++;
    add(groups.model, `${s.model ?? ''}|${s.provider ?? ''}`, s);
    add(groups.provider, s.provider ?? '', s);
    add(groups.agent, s.agentName ?? agentOfTrace.get(s.traceId) ?? '', s);
  }
  return { total, groups };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await ingest(server, data.spans);
});
afterAll(async () => server?.dispose());

const summaryPath = `/api/costs/summary?from=${FROM}&to=${TO}`;

function checkSummary(body: any): void {
  expect(() => CostSummaryResponse.parse(body)).not.toThrow();
  const { total, groups } = expected();
  expect(body.total.calls).toBe(total.calls);
  expect(body.total.llmCalls).toBe(total.llmCalls);
  expect(body.total.toolCalls).toBe(total.toolCalls);
  expect(body.total.unpricedCalls).toBe(total.unpriced);
  expect(body.total.unpricedCalls).toBeGreaterThan(0);
  expect(body.total.costUsd).toBeCloseTo(total.cost, 9);
  expect(body.total.toolCostUsd).toBeCloseTo(total.toolCost, 9);
  expect(body.total.llmCostUsd).toBeCloseTo(total.cost - total.toolCost, 9);
  expect(body.total.inputTokens).toBe(total.input);
  expect(body.total.outputTokens).toBe(total.output);
  const byKey = (list: any[], key: (x: any) => string) => new Map(list.map((x) => [key(x), x]));
  const cases: Array<[Map<string, any>, any[], (x: any) => string]> = [
    [groups.model, body.byModel, (x) => `${x.model ?? ''}|${x.provider ?? ''}`],
    [groups.provider, body.byProvider, (x) => x.provider ?? ''],
    [groups.agent, body.byAgent, (x) => x.agent ?? ''],
  ];
  for (const [want, got, key] of cases) {
    const gotMap = byKey(got, key);
    expect([...gotMap.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, g] of want) {
      const r = gotMap.get(k);
      expect(r.calls, k).toBe(g.calls);
      expect(r.unpricedCalls, k).toBe(g.unpriced);
      expect(r.costUsd, k).toBeCloseTo(g.cost, 9);
      expect(r.inputTokens, k).toBe(g.input);
      expect(r.outputTokens, k).toBe(g.output);
    }
    // The most expensive first.
    for (let i = 1; i < got.length; i++) expect(got[i - 1].costUsd).toBeGreaterThanOrEqual(got[i].costUsd);
  }
  // The inherited agents: planner and writer get the calls of their runs, critic its own.
  expect(new Set(body.byAgent.map((a: any) => a.agent))).toEqual(new Set(['planner', 'writer', 'critic', null]));
}

describe('GET /api/costs/summary', () => {
  let before: any;
  it('totals, by model, provider and agent match the independent computation', async () => {
    const r = await getJson(server, summaryPath);
    expect(r.status).toBe(200);
    checkSummary(r.body);
    before = r.body;
  });

  it('answers the same after the data is sealed into the lake', async () => {
    await seal(server);
    const r = await getJson(server, summaryPath);
    expect(r.status).toBe(200);
    checkSummary(r.body);
    expect(r.body).toEqual(before);
  });

  it('bounds its lists (limit) and says so', async () => {
    const r = await getJson(server, `${summaryPath}&limit=1`);
    expect(r.body.byModel).toHaveLength(1);
    expect(r.body.byModel[0]).toEqual(before.byModel[0]);
    expect(r.body.hasMore).toEqual({ byModel: true, byProvider: true, byAgent: true });
    expect(before.hasMore).toEqual({ byModel: false, byProvider: false, byAgent: false });
  });

  it('answers 400 naming an invalid parameter', async () => {
    for (const [q, name] of [['limit=0', 'limit'], ['limit=x', 'limit'], ['window=5d', 'window'], ['from=yesterday', 'from'], [`from=${TO}&to=${FROM}`, 'from']]) {
      const r = await getJson(server, `/api/costs/summary?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code).toBe('invalid');
      expect(r.body.error.message).toContain(name);
      expect(r.body.error.problems[0].path).toBe(name);
    }
  });

  it('keeps projects apart', async () => {
    const r = await getJson(server, `${summaryPath}&projectId=nobody`);
    expect(r.body.total.calls).toBe(0);
    expect(r.body.byModel).toEqual([]);
  });
});

describe('GET /api/costs/breakdown (langsight)', () => {
  it('by model and by tool call, snake_case, in the 7d window', async () => {
    const r = await getJson(server, '/api/costs/breakdown?window=7d&project_id=default');
    expect(r.status).toBe(200);
    expect(() => CostBreakdownResponse.parse(r.body)).not.toThrow();
    const { total, groups } = expected();
    expect(r.body).toMatchObject({ project_id: 'default', window: '7d', hours: 168, llm_calls: total.llmCalls, tool_calls: total.toolCalls });
    expect(r.body.total_cost_usd).toBeCloseTo(total.cost, 9);
    expect(r.body.tool_cost_usd).toBeCloseTo(total.toolCost, 9);
    expect(r.body.total_input_tokens).toBe(total.input);
    const tools = new Map<string, any>(r.body.by_tool.map((t: any) => [`${t.server_name ?? ''}/${t.tool_name}`, t]));
    expect([...tools.keys()].sort()).toEqual([...groups.tool.keys()].sort());
    for (const [k, g] of groups.tool) {
      const t = tools.get(k);
      expect(t.total_calls).toBe(g.calls);
      expect(t.error_calls).toBe(g.errors);
      expect(t.total_cost_usd).toBeCloseTo(g.cost, 9);
      expect(t.cost_per_call_usd).toBeCloseTo(g.cost / g.calls, 9);
      expect(t.avg_latency_ms).toBeCloseTo(g.latency / g.calls, 6);
    }
    const models = new Map<string, any>(r.body.by_model.map((m: any) => [`${m.model_id ?? ""}|${m.provider ?? ""}`, m]));
    for (const [k, g] of groups.model) expect(models.get(k).total_cost_usd).toBeCloseTo(g.cost, 9);
  });

  it('24h holds only the last day; window must be 24h, 7d or 30d', async () => {
    const day = await getJson(server, '/api/costs/breakdown');
    expect(day.body.window).toBe('24h');
    const inDay = data.spans.filter((s) => s.startedAt >= T0 - DAY && s.model !== undefined).length;
    expect(day.body.llm_calls).toBe(inDay);
    const bad = await getJson(server, '/api/costs/breakdown?window=1h');
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0].path).toBe('window');
  });
});

describe('no double counting', () => {
  it('a Vercel AI SDK outer span and its provider call report one call: tokens and cost count once', async () => {
    const traceId = 'ab'.repeat(16);
    const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
    const usage = [
      { key: 'ai.usage.inputTokens', value: { intValue: '700' } },
      { key: 'ai.usage.outputTokens', value: { intValue: '70' } },
    ];
    const common = [
      { key: 'ai.model.provider', value: { stringValue: 'openai.chat' } },
      { key: 'ai.model.id', value: { stringValue: 'gpt-4o' } },
      { key: 'ai.telemetry.functionId', value: { stringValue: 'vercel-agent' } },
    ];
    const t = T0 - 2 * HOUR + 123;
    // Its own second: no generated trace starts within it.
    const narrow = `from=${t - 1000}&to=${t + 1000}`;
    const r = await postJson(`${server.httpUrl}/v1/traces`, {
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'vercel' } }] },
        scopeSpans: [{
          scope: { name: 'ai' },
          spans: [
            { traceId, spanId: '1'.repeat(16), name: 'ai.generateText', kind: 1, startTimeUnixNano: ns(t), endTimeUnixNano: ns(t + 900),
              attributes: [{ key: 'ai.operationId', value: { stringValue: 'ai.generateText' } }, ...common, ...usage], status: { code: 1 } },
            { traceId, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'ai.generateText.doGenerate', kind: 3,
              startTimeUnixNano: ns(t + 10), endTimeUnixNano: ns(t + 800),
              attributes: [{ key: 'ai.operationId', value: { stringValue: 'ai.generateText.doGenerate' } }, ...common, ...usage], status: { code: 1 } },
          ],
        }],
      }],
    });
    expect(r.status).toBe(200);
    await waitLoaded(server);
    const want = calcPrice({ input_tokens: 700, output_tokens: 70 }, 'gpt-4o', { providerId: 'openai' })!.total_price;
    for (const pass of ['hot', 'sealed']) {
      if (pass === 'sealed') await seal(server);
      const s = await getJson(server, `/api/costs/summary?${narrow}`);
      expect(s.body.total.inputTokens, pass).toBe(700);
      expect(s.body.total.outputTokens, pass).toBe(70);
      expect(s.body.total.costUsd, pass).toBeCloseTo(want, 12);
      expect(s.body.total.calls, pass).toBe(1);
      // The outer span is an agent run, not a call; the provider call inherits its agent.
      expect(s.body.byAgent).toEqual([expect.objectContaining({ agent: 'vercel-agent', inputTokens: 700 })]);
      // The same rule as the trace's own totals.
      const list = await getJson(server, `/api/traces?${narrow}`);
      expect(list.body.traces).toHaveLength(1);
      expect(list.body.traces[0].totalUsage).toMatchObject({ inputTokens: 700, outputTokens: 70 });
      expect(list.body.traces[0].totalUsage.costUsd).toBeCloseTo(s.body.total.costUsd, 12);
    }
  });
});
