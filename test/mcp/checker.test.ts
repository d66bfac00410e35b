/**
 * checkServer against real MCP servers built with the SDK: stdio children
 * (healthy, slow, crashing, hanging) and Streamable HTTP / SSE on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkServer } from '../../src/mcp/checker.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { fixtureDir, hangingServer, parsed, recordedProcesses, stdioServer, survivors } from './helpers.js';
import { sseFixture, streamableHttpFixture, type HttpFixture } from './fixtures/http-servers.js';

let fx: Awaited<ReturnType<typeof fixtureDir>>;
const opts = { timeoutMs: 20_000, degradedMs: 20_000, env: {} as NodeJS.ProcessEnv };
const http: HttpFixture[] = [];

beforeAll(async () => {
  fx = await fixtureDir();
});
afterAll(async () => {
  await Promise.all(http.map((h) => h.close()));
  await fx.dispose();
});

describe('stdio', () => {
  it('a healthy server is up: every step timed, protocol version, server name and version, tools; the process exits', async () => {
    const r = await checkServer(parsed(stdioServer('weather', 'healthy', fx.dir)), opts);
    expect(r.status).toBe('up');
    expect(r.error).toBeNull();
    expect(r.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(r.serverInfo).toEqual({ name: 'fixture-healthy', version: '1.2.3' });
    expect(r.tools!.map((t) => t.name)).toEqual(['get_weather', 'list_cities']);
    expect(r.tools![0]).toMatchObject({ description: 'Current weather for a city.', annotations: { readOnlyHint: true } });
    expect(r.resourcesCount).toBe(1);
    expect(r.promptsCount).toBe(2);
    expect(r.steps.map((s) => [s.step, s.status])).toEqual([
      ['initialize', 'ok'], ['tools/list', 'ok'], ['resources/list', 'ok'], ['prompts/list', 'ok'], ['ping', 'ok'], ['shutdown', 'ok'],
    ]);
    for (const s of r.steps.slice(0, 5)) expect(s.latency_ms).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(await survivors(fx.dir)).toEqual([]);
  });

  it('a slow server (tools/list waits 400 ms) is degraded above its threshold, and says why', async () => {
    const r = await checkServer(parsed(stdioServer('slow', 'slow', fx.dir)), { ...opts, degradedMs: 50 });
    expect(r.status).toBe('degraded');
    expect(r.steps.find((s) => s.step === 'tools/list')!.latency_ms).toBeGreaterThanOrEqual(400);
    expect(r.error).toMatch(/^slow: [\d.]+ ms \(degraded above 50 ms\)$/);
    expect(r.tools).toHaveLength(2);
  });

  it('a server that crashes during tools/list is down with its exit and stderr; nothing is left running', async () => {
    const r = await checkServer(parsed(stdioServer('crashy', 'crash', fx.dir)), opts);
    expect(r.status).toBe('down');
    expect(r.tools).toBeNull();
    expect(r.steps.find((s) => s.step === 'initialize')!.status).toBe('ok');
    expect(r.steps.find((s) => s.step === 'tools/list')).toMatchObject({ status: 'error' });
    expect(r.error).toContain('tools/list');
    expect(r.error).toContain('the server process exited');
    expect(r.error).toContain('fixture crash: tools/list');
    expect(r.steps.at(-1)).toMatchObject({ step: 'shutdown', error: 'had already exited' });
    expect(await survivors(fx.dir)).toEqual([]);
  });

  it('a server that stops answering is down at the timeout, and it and the child it started are killed', async () => {
    const before = new Set((await recordedProcesses(fx.dir)).map((p) => p.pid));
    const r = await checkServer(parsed(hangingServer('hung', 'after-init', fx.dir)), { ...opts, timeoutMs: 5000 });
    expect(r.status).toBe('down');
    // It answers initialize and never tools/list; a machine loaded enough to delay its start past 5 s ends it in initialize.
    expect(r.error).toMatch(/^timed out after 5000 ms during (initialize|tools\/list)$/);
    const shutdown = r.steps.at(-1)!;
    expect(shutdown.step).toBe('shutdown');
    expect(shutdown.error).toMatch(/^killed after the failed check \(SIGKILL to 2 process\(es\): pid \d+, \d+\)$/);
    const mine = (await recordedProcesses(fx.dir)).filter((p) => !before.has(p.pid));
    expect(mine.map((p) => p.what).sort()).toEqual(['hang-after-init', 'hang-child']);
    expect(await survivors(fx.dir)).toEqual([]);
  });

  it('a command that does not exist is down with the spawn error', async () => {
    const r = await checkServer(parsed({ name: 'missing', transport: 'stdio', command: '/nonexistent/mcp-server' }), opts);
    expect(r.status).toBe('down');
    expect(r.error).toContain('ENOENT');
  });

  it('a check aborted by shutdown (before initialize ever answered) kills its process and its child', async () => {
    const abort = new AbortController();
    const pending = checkServer(parsed(hangingServer('hung2', 'before-init', fx.dir)), { ...opts, signal: abort.signal });
    // The hang fixture records its child's pid once started; abort only after that, so the tree is known.
    const before = (await recordedProcesses(fx.dir)).filter((p) => p.what === 'hang-child').length;
    for (let i = 0; i < 400 && (await recordedProcesses(fx.dir)).filter((p) => p.what === 'hang-child').length === before; i++) await new Promise((r) => setTimeout(r, 25));
    abort.abort();
    const r = await pending;
    expect(r.status).toBe('down');
    expect(r.error).toContain('the server is shutting down');
    expect(await survivors(fx.dir)).toEqual([]);
  });
});

describe('remote transports', () => {
  it('Streamable HTTP: up, with the negotiated protocol version and the same steps', async () => {
    const h = await streamableHttpFixture('healthy');
    http.push(h);
    const r = await checkServer(parsed({ name: 'weather-http', transport: 'streamable_http', url: h.url }), opts);
    expect(r.status).toBe('up');
    expect(r.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(r.steps.map((s) => s.step)).toEqual(['initialize', 'tools/list', 'resources/list', 'prompts/list', 'ping']);
    expect(h.requests).toContain('POST');
  });

  it('SSE: up', async () => {
    const h = await sseFixture('healthy');
    http.push(h);
    const r = await checkServer(parsed({ name: 'weather-sse', transport: 'sse', url: h.url }), opts);
    expect(r.status).toBe('up');
    expect(r.tools).toHaveLength(2);
    expect(h.requests[0]).toBe('GET');
  });

  it('auth headers come from the environment: missing variable → down naming it; 401 → down; set → up', async () => {
    const h = await streamableHttpFixture('healthy', { token: 's3cret' });
    http.push(h);
    const cfg = parsed({ name: 'private', transport: 'streamable_http', url: h.url, headersFromEnv: { Authorization: 'PRIVATE_MCP_AUTH' } });
    const missing = await checkServer(cfg, opts);
    expect(missing).toMatchObject({ status: 'down', error: 'environment variable PRIVATE_MCP_AUTH (for header Authorization) is not set' });
    const wrong = await checkServer(cfg, { ...opts, env: { PRIVATE_MCP_AUTH: 'Bearer nope' } });
    expect(wrong.status).toBe('down');
    expect(wrong.error).toMatch(/^initialize: .*unauthorized/);
    const right = await checkServer(cfg, { ...opts, env: { PRIVATE_MCP_AUTH: 'Bearer s3cret' } });
    expect(right.status).toBe('up');
  });

  it('a remote server that never answers is down at the timeout', async () => {
    const h = await streamableHttpFixture('hang');
    http.push(h);
    const r = await checkServer(parsed({ name: 'hung-http', transport: 'streamable_http', url: h.url }), { ...opts, timeoutMs: 1000 });
    expect(r).toMatchObject({ status: 'down', error: 'timed out after 1000 ms during initialize' });
  });
});
