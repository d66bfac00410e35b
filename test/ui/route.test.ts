/**
 * src/api/routes/ui.ts against the server: the dashboard's pages answer the
 * built index.html with a strict CSP, its hashed files are served with their
 * types and a year of cache, nothing outside dist/ui/assets is reachable, and
 * no API, OTLP, metrics or docs path is answered by the dashboard. The pages
 * are open while the API behind them needs a key.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { HttpMetrics } from '../../src/api/http-metrics.js';
import { mountUi, UI_CSP, UI_DIST, UI_PAGES } from '../../src/api/routes/ui.js';
import { LookspanMetrics } from '../../src/metrics/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureUiBuilt } from './build-once.js';

const KEY = 'ui-route-test-admin-key-0123456789abcdef';
let open: TestServer;
let keyed: TestServer;
let html: string;

beforeAll(async () => {
  await ensureUiBuilt();
  html = await readFile(path.join(UI_DIST, 'index.html'), 'utf8');
  [open, keyed] = await Promise.all([startTestServer(), startTestServer({ auth: { apiKeys: [`${KEY}:admin`] } })]);
});

afterAll(async () => {
  await Promise.all([open?.dispose(), keyed?.dispose()]);
});

const assetRefs = (doc: string) => [...doc.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);

describe('the dashboard pages', () => {
  it('answer index.html at every client route, revalidated, under a strict CSP', async () => {
    for (const p of [...UI_PAGES.map((x) => x.replace(':traceId', 'tr-1').replace(':sessionId', 's%2F1')), '/traces/', '/settings?x=1']) {
      const r = await fetch(`${open.httpUrl}${p}`);
      expect(r.status, p).toBe(200);
      expect(r.headers.get('content-type'), p).toBe('text/html; charset=utf-8');
      expect(r.headers.get('cache-control'), p).toBe('no-cache');
      expect(r.headers.get('content-security-policy'), p).toBe(UI_CSP);
      expect(r.headers.get('x-content-type-options'), p).toBe('nosniff');
      expect(await r.text(), p).toBe(html);
    }
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toContain('unsafe-inline');
    expect(UI_CSP).toContain("font-src 'none'");
  });

  it('load only files of their own origin: no inline script, no CDN, no font', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(assetRefs(html).length).toBeGreaterThanOrEqual(2);
  });

  it('serve the hashed files with their content types and a year of cache', async () => {
    const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
    for (const ref of assetRefs(html)) {
      const r = await fetch(`${open.httpUrl}${ref}`);
      expect(r.status, ref).toBe(200);
      expect(r.headers.get('content-type'), ref).toBe(types[path.extname(ref)]);
      expect(r.headers.get('cache-control'), ref).toBe('public, max-age=31536000, immutable');
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(await readFile(path.join(UI_DIST, ref))), ref).toBe(true);
      expect(body.toString('utf8')).not.toMatch(/fonts\.googleapis|cdn\.jsdelivr|unpkg\.com/);
    }
  });

  it('serve nothing outside dist/ui/assets', async () => {
    for (const p of ['/assets/..%2F..%2Fpackage.json', '/assets/.source-hash', '/assets/%2e%2e%2findex.html', '/assets/missing-abc.js', '/assets/x.exe', '/index.html', '/ui/index.html']) {
      const r = await fetch(`${open.httpUrl}${p}`);
      expect(r.status, p).toBe(404);
      expect(r.headers.get('content-type'), p).toMatch(/^application\/json/);
    }
  });

  it('never answer an API, OTLP, metrics or docs path', async () => {
    const api = await fetch(`${open.httpUrl}/api/no-such-route`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await fetch(`${open.httpUrl}/api/traces`)).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await fetch(`${open.httpUrl}/metrics`)).headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await fetch(`${open.httpUrl}/openapi.json`)).headers.get('content-type')).toMatch(/^application\/json/);
    expect(await (await fetch(`${open.httpUrl}/docs`)).text()).toContain('swagger-ui');
    const v1 = await fetch(`${open.httpUrl}/v1/traces`);
    expect(v1.headers.get('content-type')).not.toMatch(/text\/html/);
    for (const p of ['/traces/a/b', '/liveness', '/nope']) expect((await fetch(`${open.httpUrl}${p}`)).status, p).toBe(404);
  });

  it('are open when the API needs a key (the page holds no data)', async () => {
    expect((await fetch(`${keyed.httpUrl}/`)).status).toBe(200);
    expect((await fetch(`${keyed.httpUrl}${assetRefs(html)[0]}`)).status).toBe(200);
    expect((await fetch(`${keyed.httpUrl}/api/traces`)).status).toBe(401);
    expect((await fetch(`${keyed.httpUrl}/api/traces`, { headers: { Authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it('are described in /openapi.json', async () => {
    const doc = (await (await fetch(`${open.httpUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    for (const p of ['/', '/traces/{traceId}', '/sessions/{sessionId}', '/assets/{file}']) expect(doc.paths[p]?.get?.security, p).toEqual([]);
  });
});

describe('without a build', () => {
  let dir: string;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lookspan-ui-empty-'));
    const { app, router } = createApp(pino({ level: 'silent' }), new HttpMetrics(new LookspanMetrics().http));
    mountUi(router, { dir });
    app.use(router.routes());
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('a page is a 404 naming the build command', async () => {
    const r = await fetch(`${url}/`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain('npm run build');
  });
});
