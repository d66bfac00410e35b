/**
 * /api/slos: create, list, update, delete with validation, and
 * /api/slos/status for success_rate and latency_p99 against an independent
 * computation over generated spans, before and after a seal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SloListResponse, SloObject, SloStatusResponse } from '../../src/api/routes/slos.js';
import { getJson, ingest, percentile, prng, seal, type NativeSpan } from '../helpers/read-data.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOUR = 3_600_000;
const T0 = Date.now();

function generate(): NativeSpan[] {
  const rnd = prng(5);
  const spans: NativeSpan[] = [];
  // support-agent: 40 spans in the last 20 hours (6 errors), 10 older spans (30 h ago, all errors: outside a 24 h window).
  for (let i = 0; i < 50; i++) {
    const start = i < 40 ? T0 - Math.floor(rnd() * 20 * HOUR) - 60_000 : T0 - 30 * HOUR - i * 1000;
    spans.push({
      traceId: `slo-${i}`, spanId: `slo-${i}`, type: 'agent', name: 'run', agentName: 'support-agent',
      startedAt: start, endedAt: start + 50 + Math.floor(rnd() * 2000), status: i < 6 || i >= 40 ? 'error' : i % 7 === 0 ? 'cancelled' : 'ok',
    });
  }
  // Another project's agent of the same name never counts.
  spans.push({ traceId: 'other', spanId: 'other', type: 'agent', name: 'run', agentName: 'support-agent', startedAt: T0 - HOUR, endedAt: T0 - HOUR + 99_999, status: 'error' });
  return spans;
}

const spans = generate();
const recent = spans.filter((s) => s.traceId !== 'other' && s.startedAt >= T0 - 24 * HOUR);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await ingest(server, spans.filter((s) => s.traceId !== 'other'));
  await ingest(server, spans.filter((s) => s.traceId === 'other'), 'elsewhere');
});
afterAll(async () => server?.dispose());

async function send(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.httpUrl}${path}`, {
    method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: await r.json() };
}

describe('/api/slos', () => {
  const ids: Record<string, string> = {};

  it('creates SLOs in the reference shape', async () => {
    for (const [key, body] of Object.entries({
      rate: { agent_name: 'support-agent', metric: 'success_rate', threshold: 0.95, window_hours: 24 },
      p99: { agent_name: 'support-agent', metric: 'latency_p99', threshold: 5000 },
      idle: { agent_name: 'nobody', metric: 'success_rate', threshold: 0.5, window_hours: 1 },
    })) {
      const r = await send('POST', '/api/slos', body);
      expect(r.status).toBe(201);
      expect(() => SloObject.parse(r.body)).not.toThrow();
      expect(r.body).toMatchObject({ ...body, project_id: 'default', window_hours: body.window_hours ?? 24 });
      expect(r.body.slo_id).toMatch(/^slo-[0-9a-f]{12}$/);
      ids[key] = r.body.slo_id;
    }
    const list = await getJson(server, '/api/slos');
    expect(() => SloListResponse.parse(list.body)).not.toThrow();
    expect(list.body.slos.map((s: any) => s.slo_id)).toEqual([ids.rate, ids.p99, ids.idle]);
  });

  it('refuses invalid definitions with a 400 naming the field', async () => {
    for (const [body, field] of [
      [{ agent_name: 'a', metric: 'success_rate', threshold: 99 }, 'threshold'],
      [{ agent_name: 'a', metric: 'latency_p99', threshold: 0 }, 'threshold'],
      [{ agent_name: 'a', metric: 'p50', threshold: 1 }, 'metric'],
      [{ agent_name: 'a', metric: 'success_rate', threshold: 0.9, window_hours: 0 }, 'window_hours'],
      [{ agent_name: '', metric: 'success_rate', threshold: 0.9 }, 'agent_name'],
      [{ agent_name: 'a', metric: 'success_rate', threshold: 0.9, extra: 1 }, '(body)'],
    ] as const) {
      const r = await send('POST', '/api/slos', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.problems.map((p: any) => p.path)).toContain(field);
    }
  });

  it('status: success_rate and latency_p99 over the window match the independent computation', async () => {
    const errors = recent.filter((s) => s.status === 'error').length;
    const rate = 1 - errors / recent.length;
    const p99 = percentile(recent.map((s) => s.endedAt - s.startedAt), 0.99);
    expect(rate).toBeLessThan(0.95);
    expect(p99).toBeLessThan(5000);
    let before: any;
    for (const pass of ['hot', 'sealed']) {
      if (pass === 'sealed') await seal(server);
      const r = await getJson(server, '/api/slos/status');
      expect(r.status).toBe(200);
      expect(() => SloStatusResponse.parse(r.body)).not.toThrow();
      const by = new Map(r.body.slos.map((s: any) => [s.slo_id, s]));
      expect(by.get(ids.rate)).toMatchObject({ status: 'breached', sample_count: recent.length });
      expect((by.get(ids.rate) as any).current_value).toBeCloseTo(rate, 12);
      expect(by.get(ids.p99)).toMatchObject({ status: 'ok', sample_count: recent.length });
      expect((by.get(ids.p99) as any).current_value).toBeCloseTo(p99, 6);
      expect(by.get(ids.idle)).toMatchObject({ status: 'no_data', sample_count: 0, current_value: null });
      const stable = r.body.slos.map(({ evaluated_at: _e, window_start: _w, ...rest }: any) => rest);
      if (before) expect(stable).toEqual(before);
      before = stable;
    }
  });

  it('PATCH changes a definition (and re-checks the threshold against the metric); the status follows', async () => {
    const r = await send('PATCH', `/api/slos/${ids.p99}`, { threshold: 100 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ slo_id: ids.p99, threshold: 100, metric: 'latency_p99' });
    expect(r.body.updated_at >= r.body.created_at).toBe(true);
    const st = await getJson(server, '/api/slos/status');
    expect(st.body.slos.find((s: any) => s.slo_id === ids.p99).status).toBe('breached');
    const bad = await send('PATCH', `/api/slos/${ids.p99}`, { metric: 'success_rate' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.problems[0].path).toBe('threshold');
    expect((await send('PATCH', `/api/slos/${ids.p99}`, {})).status).toBe(400);
    expect((await send('PATCH', '/api/slos/slo-000000000000', { threshold: 1 })).status).toBe(404);
  });

  it('projects keep their own SLOs', async () => {
    const r = await send('POST', '/api/slos?project_id=elsewhere', { agent_name: 'support-agent', metric: 'success_rate', threshold: 0.5 });
    expect(r.status).toBe(201);
    expect(r.body.project_id).toBe('elsewhere');
    const st = await getJson(server, '/api/slos/status?project_id=elsewhere');
    expect(st.body.slos).toHaveLength(1);
    expect(st.body.slos[0]).toMatchObject({ sample_count: 1, current_value: 0, status: 'breached' });
    // Another project's SLO is not reachable from this one.
    expect((await send('DELETE', `/api/slos/${r.body.slo_id}?project_id=default`)).status).toBe(404);
    const mismatch = await send('POST', '/api/slos?project_id=default', { agent_name: 'a', project_id: 'elsewhere', metric: 'success_rate', threshold: 0.5 });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.problems[0].path).toBe('project_id');
  });

  it('DELETE removes an SLO', async () => {
    const r = await send('DELETE', `/api/slos/${ids.idle}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ slo_id: ids.idle, deleted: true });
    expect((await send('DELETE', `/api/slos/${ids.idle}`)).status).toBe(404);
    const list = await getJson(server, '/api/slos?project_id=default');
    expect(list.body.slos.map((s: any) => s.slo_id)).toEqual([ids.rate, ids.p99]);
  });
});
