/**
 * The health routes against real MCP servers: stdio children (healthy,
 * slow, crashing, hanging, flaky, one that changes its tool schema between
 * checks) and Streamable HTTP / SSE on 127.0.0.1, each check triggered with
 * POST /api/health/check. Checks results, history and its bound, drift with
 * the session tag and alert, mcp_down / mcp_recovered, the health:check
 * event, the metrics and the OpenAPI document; and that no child survives.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../helpers/otlp-json.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { sseFixture, streamableHttpFixture, type HttpFixture } from './fixtures/http-servers.js';
import { fixtureDir, hangingServer, stdioServer, survivors } from './helpers.js';
import { openApiChecker } from './openapi-check.js';

let s: TestServer;
let fx: Awaited<ReturnType<typeof fixtureDir>>;
let mail: HttpFixture;
let sse: HttpFixture;
let valid: Awaited<ReturnType<typeof openApiChecker>>;
let flakyFile: string;
const HISTORY = 10;

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${s.httpUrl}${url}`, {
    method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

/** POST /api/health/check, validated against the document. */
async function check(server?: string): Promise<any[]> {
  const r = await call('POST', '/api/health/check', server === undefined ? {} : { server_name: server });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  valid('post', '/api/health/check', 200, r.body);
  return r.body;
}

beforeAll(async () => {
  fx = await fixtureDir();
  flakyFile = path.join(fx.dir, 'flaky.state');
  await writeFile(flakyFile, 'up');
  mail = await streamableHttpFixture('mail');
  sse = await sseFixture('healthy');
  s = await startTestServer({
    mcp: {
      // Generous latency and time limits: stdio servers start under tsx on a shared machine; the slow and hung servers set their own.
      schedule: false, downAfterFailures: 1, historyPerServer: HISTORY, timeoutSeconds: 60, degradedLatencyMs: 60_000,
      servers: [
        stdioServer('weather', 'healthy', fx.dir),
        stdioServer('slow', 'slow', fx.dir, { degradedLatencyMs: 50 }),
        stdioServer('crashy', 'crash', fx.dir),
        hangingServer('hung', 'after-init', fx.dir, { timeoutSeconds: 3 }),
        stdioServer('docs', 'drift', fx.dir),
        stdioServer('flaky', 'healthy', fx.dir, { env: { MCP_FIXTURE_PIDS: fx.dir, MCP_FIXTURE_FLAKY: flakyFile } }),
        { name: 'mail', transport: 'streamable_http', url: mail.url },
        { name: 'weather-sse', transport: 'sse', url: sse.url },
        { name: 'elsewhere', transport: 'streamable_http', url: mail.url, project: 'other' },
      ],
    } as never,
  });
  valid = await openApiChecker(s.httpUrl);
});

afterAll(async () => {
  await s?.dispose();
  await mail?.close();
  await sse?.close();
  expect(await survivors(fx.dir)).toEqual([]);
  await fx?.dispose();
});

describe('before any check', () => {
  it('lists the project\'s configured servers as unknown and the servers its spans name as discovered, the same after a seal', async () => {
    const ingest = await postJson(`${s.httpUrl}/api/traces/spans`, [{
      server_name: 'spans-only-mcp', tool_name: 'lookup', started_at: new Date().toISOString(), latency_ms: 5, status: 'success', project_id: 'default',
    }]);
    expect(ingest.status).toBe(202);
    await waitLoaded(s);
    const before = await call('GET', '/api/health/servers');
    valid('get', '/api/health/servers', 200, before.body);
    const names = before.body.map((r: any) => r.server_name);
    expect(names).toEqual(['crashy', 'docs', 'flaky', 'hung', 'mail', 'slow', 'spans-only-mcp', 'weather', 'weather-sse']);
    expect(before.body.find((r: any) => r.server_name === 'weather')).toMatchObject({ status: 'unknown', source: 'config', transport: 'stdio', error: 'not checked yet', checked_at: null });
    expect(before.body.find((r: any) => r.server_name === 'spans-only-mcp')).toMatchObject({ status: 'unknown', source: 'discovered', transport: null });
    expect((await call('POST', '/api/storage/seal')).status).toBe(200);
    expect((await call('GET', '/api/health/servers')).body).toEqual(before.body);
    const other = await call('GET', '/api/health/servers?project_id=other');
    expect(other.body.map((r: any) => r.server_name)).toEqual(['elsewhere']);
  });

  it('unknown servers are 404; a discovered one cannot be checked (400)', async () => {
    expect((await call('GET', '/api/health/servers/nope')).status).toBe(404);
    expect((await call('GET', '/api/health/servers/elsewhere')).status).toBe(404);
    const r404 = await call('POST', '/api/health/check', { server_name: 'nope' });
    expect(r404.status).toBe(404);
    const r400 = await call('POST', '/api/health/check', { server_name: 'spans-only-mcp' });
    expect(r400.status).toBe(400);
    expect(r400.body.error.message).toContain('only seen in spans');
    expect((await call('POST', '/api/health/check', { server: 'x' })).status).toBe(400);
  });
});

describe('checks', () => {
  let all: any[];
  beforeAll(async () => {
    all = await check();
  });
  const by = (n: string) => all.find((r) => r.server_name === n);

  it('one request checks every configured server of the project and answers with each result', () => {
    expect(all.map((r) => r.server_name).sort()).toEqual(['crashy', 'docs', 'flaky', 'hung', 'mail', 'slow', 'weather', 'weather-sse']);
    expect(by('weather')).toMatchObject({
      status: 'up', source: 'config', transport: 'stdio', trigger: 'request', error: null, tools_count: 2, resources_count: 1, prompts_count: 2,
      server_info: { name: 'fixture-healthy', version: '1.2.3' }, consecutive_failures: 0,
    });
    expect(by('weather').tools.map((t: any) => t.name)).toEqual(['get_weather', 'list_cities']);
    expect(by('weather').schema_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(by('weather').protocol_version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(by('slow')).toMatchObject({ status: 'degraded' });
    expect(by('crashy')).toMatchObject({ status: 'down', tools: [], schema_hash: null, consecutive_failures: 1 });
    expect(by('crashy').error).toContain('fixture crash: tools/list');
    // It answers initialize and never tools/list, but on a loaded machine its start-up may itself outlast the 3 s.
    expect(by('hung').status).toBe('down');
    expect(by('hung').error).toMatch(/^timed out after 3000 ms during (initialize|tools\/list)$/);
    expect(by('hung').steps.at(-1)).toMatchObject({ step: 'shutdown', status: 'error' });
    expect(by('mail')).toMatchObject({ status: 'up', transport: 'streamable_http' });
    expect(by('weather-sse')).toMatchObject({ status: 'up', transport: 'sse' });
    // Eight servers asked for at once, mcp.concurrency (4) running at a time.
    expect(s.mcp.monitor.concurrency.peak).toBe(4);
  });

  it('GET /api/health/servers/{name} is the latest result, the list shows the same', async () => {
    const one = await call('GET', '/api/health/servers/weather');
    valid('get', '/api/health/servers/{name}', 200, one.body);
    expect(one.body).toEqual(by('weather'));
    const list = await call('GET', '/api/health/servers');
    expect(list.body.find((r: any) => r.server_name === 'crashy')).toEqual(by('crashy'));
  });

  it('history is newest first and paginated; it is bounded per server', async () => {
    for (let i = 0; i < HISTORY + 2; i++) await check('mail');
    const page = await call('GET', '/api/health/servers/mail/history?limit=3');
    valid('get', '/api/health/servers/{name}/history', 200, page.body);
    expect(page.body).toHaveLength(3);
    expect(page.headers.get('x-has-more')).toBe('true');
    const times = page.body.map((r: any) => r.checked_at);
    expect([...times].sort().reverse()).toEqual(times);
    const full = await call('GET', '/api/health/servers/mail/history?limit=100');
    expect(full.body).toHaveLength(HISTORY);
    expect(full.headers.get('x-has-more')).toBe('false');
    const next = await call('GET', '/api/health/servers/mail/history?limit=3&offset=3');
    expect(next.body[0].check_id).toBe(full.body[3].check_id);
    expect(new Set(full.body.map((r: any) => r.check_id)).size).toBe(HISTORY);
    // Every kept check of an unchanged server shares one stored tool snapshot.
    expect(await s.mcp.store.counts('mail')).toMatchObject({ checks: HISTORY, snapshots: 1 });
    expect((await call('GET', '/api/health/servers/mail/history?limit=0')).status).toBe(400);
  });

  it('metrics count checks by server and status, and time them', async () => {
    const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(text).toMatch(/^lookspan_health_checks_total\{server="weather",status="up"\} 1$/m);
    expect(text).toMatch(/^lookspan_health_checks_total\{server="crashy",status="down"\} 1$/m);
    expect(text).toMatch(/^lookspan_health_checks_total\{server="slow",status="degraded"\} 1$/m);
    expect(text).toMatch(new RegExp(`^lookspan_health_checks_total\\{server="mail",status="up"\\} ${HISTORY + 3}$`, 'm'));
    expect(text).toMatch(/^lookspan_health_check_duration_seconds_count\{server="weather"\} 1$/m);
  });
});

describe('alerts and the live stream', () => {
  it('a failing server raises mcp_down once; its recovery raises mcp_recovered; each check is a health:check event (source active)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${s.httpUrl}/api/live/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let seen = '';
    await writeFile(flakyFile, 'down');
    expect((await check('flaky'))[0]).toMatchObject({ status: 'down', consecutive_failures: 1 });
    expect((await check('flaky'))[0]).toMatchObject({ status: 'down', consecutive_failures: 2 });
    await writeFile(flakyFile, 'up');
    expect((await check('flaky'))[0]).toMatchObject({ status: 'up', consecutive_failures: 0 });
    await s.mcp.monitor.alertsIdle();
    // Read until the three events of flaky arrived (the stream has no end of its own).
    while ((seen.match(/"server_name":"flaky"/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    ac.abort();
    const events = seen.split('\n\n').filter((f) => f.includes('event: health:check') && f.includes('"flaky"'))
      .map((f) => JSON.parse(f.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
    expect(events.map((e) => [e.status, e.source, e.consecutive_failures])).toEqual([['down', 'active', 1], ['down', 'active', 2], ['up', 'active', 0]]);
    expect(events[0].error).toContain('fixture flaky: down');
    const down = (await call('GET', '/api/alerts?type=mcp_down')).body.alerts.filter((a: any) => a.server_name === 'flaky');
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ status: 'triggered', severity: 'critical', key: 'mcp:default:flaky', title: 'MCP server down: flaky' });
    const up = (await call('GET', '/api/alerts?type=mcp_recovered')).body.alerts.filter((a: any) => a.server_name === 'flaky');
    expect(up).toHaveLength(1);
    expect(up[0]).toMatchObject({ status: 'resolved', details: { opened_by: down[0].id } });
  });
});

describe('schema drift', () => {
  it('a changed tool list is a drift record with a readable diff, tags the sessions that used the tool, and alerts', async () => {
    const first = (await check('docs'))[0];
    expect(first.tools.map((t: any) => t.name)).toEqual(['search', 'old_export']);
    // A session calls the tool after the check that saw version 1.
    const ingest = await postJson(`${s.httpUrl}/api/traces/spans`, [
      { server_name: 'docs', tool_name: 'search', started_at: new Date().toISOString(), latency_ms: 3, status: 'success', project_id: 'default', session_id: 'sess-drift', agent_name: 'researcher' },
      { server_name: 'weather', tool_name: 'get_weather', started_at: new Date().toISOString(), latency_ms: 3, status: 'success', project_id: 'default', session_id: 'sess-other', agent_name: 'researcher' },
    ]);
    expect(ingest.status).toBe(202);
    await waitLoaded(s);
    await fx.setVersion(2);
    const second = (await check('docs'))[0];
    expect(second.schema_hash).not.toBe(first.schema_hash);
    expect(second.tools.map((t: any) => t.name)).toEqual(['search', 'export_all']);

    const drift = await call('GET', '/api/health/servers/docs/drift');
    valid('get', '/api/health/servers/{name}/drift', 200, drift.body);
    expect(drift.body).toHaveLength(1);
    const d = drift.body[0];
    expect(d).toMatchObject({ previous_hash: first.schema_hash, current_hash: second.schema_hash, has_breaking: true, previous_checked_at: first.checked_at, detected_at: second.checked_at });
    expect(d.changes.map((c: any) => [c.drift_type, c.kind, c.tool_name, c.param_name])).toEqual([
      ['compatible', 'tool_added', 'export_all', null],
      ['breaking', 'tool_removed', 'old_export', null],
      ['warning', 'description_changed', 'search', null],
      ['breaking', 'required_param_added', 'search', 'limit'],
    ]);
    expect(d.diff.split('\n')).toEqual([
      '+ export_all: tool added [compatible]: "Export every result."',
      '! old_export: tool removed [breaking] (was "Export results.")',
      '~ search: description changed [warning]: "Search documents." -> "Search documents by keyword."',
      '! search.limit: required param added [breaking]: "{\\"type\\":\\"integer\\"}"',
    ]);
    expect(d.sessions).toEqual([{ project_id: 'default', session_id: 'sess-drift' }]);

    const sessions = (await call('GET', '/api/agents/sessions')).body;
    expect(sessions.find((x: any) => x.session_id === 'sess-drift').health_tag).toBe('schema_drift');
    expect(sessions.find((x: any) => x.session_id === 'sess-other').health_tag).toBe('success');

    await s.mcp.monitor.alertsIdle();
    const alerts = (await call('GET', '/api/alerts?type=schema_drift')).body.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', server_name: 'docs', title: 'MCP tool schema changed: docs (breaking)', details: { drift_id: d.id, sessions_tagged: 1 } });

    // Unchanged: no second drift record.
    await check('docs');
    expect((await call('GET', '/api/health/servers/docs/drift')).body).toHaveLength(1);
  });
});
