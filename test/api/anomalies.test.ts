/**
 * GET /api/reliability/anomalies: z-scores of the current hour against the
 * 168 hourly buckets before it, per server/tool and per agent/model,
 * checked against an independent computation over generated spans (bucket
 * p99 by linear interpolation, sample standard deviation, the floors),
 * before and after a seal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnomalyResponse } from '../../src/api/routes/reliability.js';
import { configSchema } from '../../src/config/schema.js';
import { getJson, ingest, percentile, prng, seal, type NativeSpan } from '../helpers/read-data.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOUR = 3_600_000;
const T0 = Date.now();
const SETTINGS = configSchema.parse({}).analysis.anomalies;

/** The middle of bucket k (0: the current hour), jittered by up to ±20 minutes: clear of the edges however late the request runs. */
const at = (k: number, rnd: () => number) => T0 - k * HOUR - 30 * 60_000 + Math.round((rnd() - 0.5) * 40 * 60_000);

interface Call { group: string; bucket: number; ms: number; error: boolean }

function generate(): { spans: NativeSpan[]; calls: Call[] } {
  const rnd = prng(23);
  const spans: NativeSpan[] = [];
  const calls: Call[] = [];
  let n = 0;
  const tool = (group: string, server: string | undefined, name: string, bucket: number, ms: number, error: boolean) => {
    const start = at(bucket, rnd);
    spans.push({ traceId: `an-${n}`, spanId: `an-${n++}`, type: 'tool_call', name, toolName: name, serverName: server, startedAt: start, endedAt: start + ms, status: error ? 'error' : 'ok' });
    calls.push({ group, bucket, ms, error });
  };
  const model = (bucket: number, ms: number, error: boolean) => {
    const start = at(bucket, rnd);
    const traceId = `an-${n++}`;
    // The call names no agent: it is the writer's through its trace.
    spans.push({ traceId, spanId: `${traceId}-r`, type: 'agent', name: 'run', agentName: 'writer', startedAt: start - 5, endedAt: start + ms + 5 });
    spans.push({ traceId, spanId: `${traceId}-c`, parentSpanId: `${traceId}-r`, type: 'llm_call', name: 'chat', model: 'gpt-4o', provider: 'openai',
      startedAt: start, endedAt: start + ms, status: error ? 'error' : 'ok', usage: { inputTokens: 10, outputTokens: 1, costUsd: 0.001 } });
    calls.push({ group: 'model|writer|gpt-4o', bucket, ms, error });
  };
  for (let k = 1; k <= 168; k++) {
    for (let i = 0; i < 5; i++) {
      tool('tool|pg|query', 'pg', 'query', k, 90 + Math.floor(rnd() * 40), rnd() < 0.03);
      tool('tool|pg|schema', 'pg', 'schema', k, 40 + Math.floor(rnd() * 20), false);
    }
    if (k % 2 === 0) for (let i = 0; i < 3; i++) model(k, 400 + Math.floor(rnd() * 200), false);
  }
  // Only two baseline buckets: never scored.
  for (const k of [3, 4]) tool('tool||calculator', undefined, 'calculator', k, 10, false);
  // The current hour: pg/query slow and failing, pg/schema as usual, the writer's gpt-4o calls slow, jira with too few calls.
  for (let i = 0; i < 8; i++) tool('tool|pg|query', 'pg', 'query', 0, 900 + Math.floor(rnd() * 300), i < 4);
  for (let i = 0; i < 6; i++) tool('tool|pg|schema', 'pg', 'schema', 0, 40 + Math.floor(rnd() * 20), false);
  for (let i = 0; i < 6; i++) model(0, 2500 + Math.floor(rnd() * 500), false);
  for (let i = 0; i < 6; i++) tool('tool||calculator', undefined, 'calculator', 0, 2000, true);
  for (let k = 1; k <= 10; k++) tool('tool|jira|get_issue', 'jira', 'get_issue', k, 100, false);
  for (let i = 0; i < 3; i++) tool('tool|jira|get_issue', 'jira', 'get_issue', 0, 5000, true);
  return { spans, calls };
}

const data = generate();

/** The independent computation of the detector's definition (docs/costs.md, "Anomalies"). */
function expected(zThreshold = SETTINGS.zThreshold) {
  const groups = new Map<string, Map<number, Call[]>>();
  for (const c of data.calls) {
    const g = groups.get(c.group) ?? new Map<number, Call[]>();
    g.set(c.bucket, [...(g.get(c.bucket) ?? []), c]);
    groups.set(c.group, g);
  }
  const out: Array<{ key: string; metric: string; z: number; current: number; mean: number; sd: number; severity: string }> = [];
  let scored = 0;
  for (const [key, buckets] of groups) {
    const cur = buckets.get(0) ?? [];
    const base = [...buckets.entries()].filter(([k]) => k > 0).map(([, cs]) => cs);
    if (cur.length < SETTINGS.minCurrentCalls || base.length < SETTINGS.minBaselineBuckets) continue;
    scored++;
    const err = (cs: Call[]) => cs.filter((c) => c.error).length / cs.length;
    const p99 = (cs: Call[]) => percentile(cs.map((c) => c.ms), 0.99);
    for (const [metric, f] of [['error_rate', err], ['latency_p99', p99]] as const) {
      const vs = base.map(f);
      const mean = vs.reduce((a, b) => a + b, 0) / vs.length;
      const sd = Math.sqrt(vs.reduce((a, v) => a + (v - mean) ** 2, 0) / (vs.length - 1));
      const floor = metric === 'error_rate' ? SETTINGS.errorRateMinStddev : Math.max(1, SETTINGS.latencyMinStddevRatio * mean);
      const current = f(cur);
      const z = (current - mean) / Math.max(sd, floor);
      if (z >= zThreshold) out.push({ key, metric, z, current, mean, sd, severity: z >= SETTINGS.criticalZThreshold ? 'critical' : 'warning' });
    }
  }
  return { anomalies: out.sort((a, b) => b.z - a.z), scored };
}

const keyOf = (a: any) => (a.kind === 'tool' ? `tool|${a.server_name ?? ''}|${a.tool_name}` : `model|${a.agent_name}|${a.model_id}`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await ingest(server, data.spans);
});
afterAll(async () => server?.dispose());

function check(body: any, zThreshold?: number): void {
  expect(() => AnomalyResponse.parse(body)).not.toThrow();
  const e = expected(zThreshold);
  expect(body.groups_scored).toBe(e.scored);
  expect(body.anomalies.map((a: any) => `${keyOf(a)}:${a.metric}`)).toEqual(e.anomalies.map((a) => `${a.key}:${a.metric}`));
  for (const [i, a] of e.anomalies.entries()) {
    const got = body.anomalies[i];
    expect(got.z_score).toBeCloseTo(a.z, 6);
    expect(got.current_value).toBeCloseTo(a.current, 6);
    expect(got.baseline_value).toBeCloseTo(a.mean, 6);
    expect(got.baseline_stddev).toBeCloseTo(a.sd, 6);
    expect(got.severity).toBe(a.severity);
  }
}

describe('GET /api/reliability/anomalies', () => {
  let before: any;
  it('scores each server/tool and agent/model against its 7-day baseline, as computed independently', async () => {
    const r = await getJson(server, '/api/reliability/anomalies');
    expect(r.status).toBe(200);
    check(r.body);
    // The degraded groups, and only them: pg/query (errors and latency), the writer's gpt-4o calls (latency), calculator not scored, jira too few calls.
    expect(new Set(r.body.anomalies.map((a: any) => `${keyOf(a)}:${a.metric}`))).toEqual(new Set([
      'tool|pg|query:error_rate', 'tool|pg|query:latency_p99', 'model|writer|gpt-4o:latency_p99',
    ]));
    expect(r.body.anomalies[0]).toMatchObject({ detected_at: r.body.evaluated_at, current_calls: expect.any(Number), baseline_buckets: expect.any(Number) });
    expect(r.body).toMatchObject({ current_hours: 1, baseline_hours: 168, z_threshold: SETTINGS.zThreshold, has_more: false });
    before = r.body;
  });

  it('answers the same after the data is sealed into the lake', async () => {
    await seal(server);
    const r = await getJson(server, '/api/reliability/anomalies');
    check(r.body);
    const stable = (b: any) => b.anomalies.map(({ detected_at: _d, ...rest }: any) => rest);
    expect(stable(r.body)).toEqual(stable(before));
  });

  it('takes the threshold, kind and limit from the query', async () => {
    const low = await getJson(server, '/api/reliability/anomalies?z_threshold=1');
    check(low.body, 1);
    const tools = await getJson(server, '/api/reliability/anomalies?kind=tool&limit=1');
    expect(tools.body.anomalies).toHaveLength(1);
    expect(tools.body.anomalies[0].kind).toBe('tool');
    expect(tools.body.has_more).toBe(true);
    const none = await getJson(server, '/api/reliability/anomalies?z_threshold=20');
    expect(none.body.anomalies.filter((a: any) => a.z_score < 20)).toEqual([]);
  });

  it('answers 400 naming an invalid parameter', async () => {
    for (const [q, name] of [['current_hours=25', 'current_hours'], ['baseline_hours=2', 'baseline_hours'], ['z_threshold=abc', 'z_threshold'], ['kind=agent', 'kind'], ['limit=5000', 'limit']]) {
      const r = await getJson(server, `/api/reliability/anomalies?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.problems[0].path).toBe(name);
    }
  });
});
