/**
 * The dashboard in a real browser (Debian's chromium driven by
 * playwright-core) against a server holding generated data: every page
 * loads without a console error (CSP violations included), a trace is
 * followed from the list to its detail, a span sent during the test shows up
 * in the live tail, the CSV export holds exactly the rows on screen, the
 * keyboard alone reaches every page, and a server with keys works once the
 * key is entered. Screenshots, the bundle size and the time to first render
 * are written to a temp dir (printed at the end).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_DIST } from '../../src/api/routes/ui.js';
import type { LookspanConfigInput } from '../../src/config/index.js';
import { NAV } from '../../ui/src/lib/routes.js';
import { ingest } from '../helpers/read-data.js';
import { ROOT, startTestServer, type TestServer } from '../helpers/server.js';
import { ensureUiBuilt } from './build-once.js';
import { launchChromium, lowestContrast, parseCsv, settled, watchedPage } from './browser.js';
import { generate } from './data.js';

const KEY = 'dashboard-test-admin-key-0123456789abcdef';
let server: TestServer;
let keyed: TestServer;
let browser: Browser;
let context: BrowserContext;
let artifacts: string;
let mcpDir: string;
const metrics: Record<string, unknown> = {};

// The hook builds the UI, starts chromium and two servers at once: minutes on a loaded machine, seconds on a quiet one.
beforeAll(async () => {
  artifacts = process.env.LOOKSPAN_UI_ARTIFACTS ?? await mkdtemp(path.join(tmpdir(), 'lookspan-ui-artifacts-'));
  const t0 = performance.now();
  mcpDir = await mkdtemp(path.join(tmpdir(), 'lookspan-ui-mcp-'));
  const version = path.join(mcpDir, 'docs.version');
  await writeFile(version, '1');
  const [build] = await Promise.all([ensureUiBuilt(), launchChromium().then((b) => (browser = b)), (async () => {
    // Two MCP servers the health checks reach over stdio: one whose tool schema changes, one poisoned. Generous
    // limits, so `up` (not degraded) does not depend on how loaded the machine is.
    const mcp: LookspanConfigInput['mcp'] = {
      schedule: false, timeoutSeconds: 60, degradedLatencyMs: 60_000,
      servers: [mcpFixture('weather', 'docs', version), mcpFixture('calculator', 'poisoned')],
    };
    // Alert deliveries may go to the test's own webhook receiver on loopback.
    const alerts: LookspanConfigInput['alerts'] = { outbound: { allowHttp: true, allowHosts: ['127.0.0.1'] } };
    [server, keyed] = await Promise.all([startTestServer({ mcp, alerts }), startTestServer({ auth: { apiKeys: [`${KEY}:admin`] } })]);
    metrics.setupMs = { serversStarted: Math.round(performance.now() - t0) };
    await Promise.all([ingest(server, generate(Date.now()).spans).then(() => { (metrics.setupMs as Record<string, number>).ingested = Math.round(performance.now() - t0); }), (async () => {
      await Promise.all([postOk('/api/health/check', { server_name: 'weather' }), postOk('/api/security/scan', { server_name: 'calculator' })]);
      await writeFile(version, '2');
      await postOk('/api/health/check', { server_name: 'weather' });
      (metrics.setupMs as Record<string, number>).mcpChecked = Math.round(performance.now() - t0);
    })()]);
  })()]);
  metrics.uiBuildMs = build.built ? Math.round(build.ms) : 'current build reused';
  (metrics.setupMs as Record<string, number>).ready = Math.round(performance.now() - t0);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await Promise.all([server?.dispose(), keyed?.dispose()]);
  if (mcpDir) await rm(mcpDir, { recursive: true, force: true });
  if (artifacts) {
    await writeFile(path.join(artifacts, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    console.log(`dashboard artifacts (screenshots, metrics.json): ${artifacts}\n${JSON.stringify(metrics)}`);
  }
});

// Full-page shots only where asked: encoding a long page is the slowest step on a loaded machine.
// WCAG AA (4.5:1) for the text people read.
const TEXT = 'main p, main td, main th, main dt, main dd, main label, main .badge, main .figure-hint, main a, main button, header a, .type, .wf-dur, .wf-ticks span';
async function readable(page: Page, what: string): Promise<void> {
  const c = await lowestContrast(page, TEXT);
  expect(c.ratio, `${what}: ${c.worst}`).toBeGreaterThanOrEqual(4.5);
}

const FIXTURE = path.join(ROOT, 'test/ui/fixtures/mcp-server.mjs');
const mcpFixture = (name: string, ...args: string[]) => ({ name, transport: 'stdio' as const, command: process.execPath, args: [FIXTURE, ...args], cwd: ROOT });

async function postOk(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${server.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
}

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage });

describe('the dashboard', () => {
  it('loads every page with data and no console error, at 1280×800, narrow and dark', async () => {
    const { page, errors } = await watchedPage(context);
    await page.goto(`${server.httpUrl}/`);
    // Time to first render: navigation start to the app's first render (main.tsx's mark), the first load and a reload
    // with a warm cache; recorded, not asserted (the machine is shared).
    const renders: number[] = [];
    for (let i = 0; i < 2; i++) {
      if (i > 0) await page.reload();
      await page.locator('main h1').waitFor();
      renders.push(await page.evaluate("Math.round(performance.getEntriesByName('lookspan:first-render')[0]?.startTime ?? -1)"));
    }
    metrics.firstRenderMs = { cold: renders[0], warm: renders[1] };
    await settled(page);
    metrics.overviewWithDataMs = await page.evaluate('Math.round(performance.now())');
    await expect(page.locator('main h2', { hasText: 'Traffic' }).count()).resolves.toBe(1);
    const { traces } = (await (await fetch(`${server.httpUrl}/api/traces?limit=1`)).json()) as { traces: Array<{ id: string; sessionId: string }> };
    const pages = [...NAV.map((n) => [n.page, n.path]), ['trace', `/traces/${traces[0].id}`], ['session', `/sessions/${traces[0].sessionId}`]];
    const timings: Record<string, number[]> = {};
    for (const [name, p] of pages) {
      const t0 = performance.now();
      await page.goto(`${server.httpUrl}${p}`);
      await settled(page);
      const t1 = performance.now();
      await expect(page.locator('.notice.error').count(), `${p} shows an error`).resolves.toBe(0);
      await readable(page, `light ${p}`);
      await shot(page, `page-${name}`, true);
      timings[name] = [Math.round(t1 - t0), Math.round(performance.now() - t1)];
    }
    metrics.pageLoadAndShotMs = timings;
    const detail = `/traces/${traces[0].id}`;
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, p] of [['traces', '/traces'], ['trace', detail]]) {
      await page.goto(`${server.httpUrl}${p}`);
      await settled(page);
      // Readable on a narrow screen: the page itself never scrolls sideways (wide tables scroll in their own box).
      await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), `${p} at 390 px`).resolves.toBe(true);
      await shot(page, `narrow-${name}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    for (const [name, p] of [['overview', '/'], ['trace', detail]]) {
      await page.goto(`${server.httpUrl}${p}`);
      await settled(page);
      await expect(page.evaluate('getComputedStyle(document.body).backgroundColor')).resolves.toBe('rgb(17, 20, 24)');
      await readable(page, `dark ${p}`);
      await shot(page, `dark-${name}`);
    }
    await page.close();
    expect(errors).toEqual([]);
  });

  it('follows a trace from the list to its detail: span tree, waterfall, messages, tool call, cost', async () => {
    const { page, errors } = await watchedPage(context);
    await page.goto(`${server.httpUrl}/traces`);
    await settled(page);
    const first = page.locator('[data-testid="trace-table"] tbody tr').first();
    const id = await first.getAttribute('data-trace-id');
    // Scores as the evaluations API attaches them: one on the trace, one (a category) on a span.
    for (const score of [{ name: 'helpfulness', value: 0.9, comment: 'clear' }, { name: 'tone', value: 'friendly', spanId: `${id}-llm-0` }]) {
      const r = await fetch(`${server.httpUrl}/api/traces/${id}/scores`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(score) });
      expect(r.status, await r.clone().text()).toBeLessThan(300);
    }
    await first.locator('td:nth-child(2) a').click();
    await page.waitForURL(`**/traces/${id}`);
    await settled(page);
    const detail = (await (await fetch(`${server.httpUrl}/api/traces/${id}`)).json()) as { name: string; spanCount: number; spans: Array<{ name: string; type: string }> };
    await expect(page.locator('main h1').textContent()).resolves.toContain(detail.name);
    await expect(page.locator('.wf-row').count()).resolves.toBe(detail.spanCount);
    await page.locator('.span-name', { hasText: detail.spans.find((s) => s.type === 'llm_call')!.name }).first().click();
    await expect(page.locator('.span-panel .msg-role').first().textContent()).resolves.toMatch(/system|user/);
    await expect(page.locator('.span-panel').textContent()).resolves.toMatch(/Answer \d from/);
    await expect(page.locator('.span-panel').textContent()).resolves.toMatch(/computed|reported|unknown/);
    await page.locator('.span-name', { hasText: 'tools/call' }).first().click();
    await expect(page.locator('.span-panel h3').allTextContents()).resolves.toContain('Arguments');
    await expect(page.locator('.span-panel pre').first().textContent()).resolves.toContain('"limit": 5');
    const scores = page.getByRole('region', { name: 'Scores' });
    await expect(scores.locator('tbody tr').count()).resolves.toBe(2);
    await expect(scores.textContent()).resolves.toMatch(/helpfulness0\.9.*trace.*clear/);
    await expect(scores.textContent()).resolves.toMatch(/tone.*friendly.*chat /);
    // Folding the root hides every other span.
    await page.locator('.fold').first().click();
    await expect(page.locator('.wf-row').count()).resolves.toBe(1);
    await shot(page, 'trace-followed');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('shows a span sent during the test in the live tail', async () => {
    const { page, errors } = await watchedPage(context);
    await page.goto(`${server.httpUrl}/live`);
    await page.locator('.conn-open').waitFor();
    const name = `live-probe-${Date.now()}`;
    const at = Date.now();
    const r = await fetch(`${server.httpUrl}/api/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans: [{ traceId: 'live-1', spanId: 'live-1a', type: 'llm_call', name, startedAt: at, endedAt: at + 5, status: 'ok', model: 'gpt-4o', agentName: 'prober' }] }),
    });
    expect(r.status).toBe(200);
    const row = page.locator('table.live tbody tr', { hasText: name });
    await row.waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toContain('prober');
    await expect(page.getByTestId('dropped-server').textContent()).resolves.toBe('0');
    // Paused, a new span waits and shows on resume.
    await page.getByRole('button', { name: 'Pause' }).click();
    const later = `${name}-paused`;
    await fetch(`${server.httpUrl}/api/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans: [{ traceId: 'live-1', spanId: 'live-1b', type: 'tool_call', name: later, startedAt: at + 6, endedAt: at + 9, status: 'ok' }] }),
    });
    // The span and its trace.updated event wait.
    await page.getByRole('button', { name: /Resume \([1-9]\d* waiting\)/ }).waitFor({ timeout: 10_000 });
    await expect(page.locator('table.live tbody tr', { hasText: later }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: /Resume/ }).click();
    await page.locator('table.live tbody tr', { hasText: later }).waitFor();
    await shot(page, 'live-tail');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('exports exactly the filtered rows on screen as CSV', async () => {
    const { page, errors } = await watchedPage(context);
    for (const query of ['?status=error', '?limit=5&offset=5', '?sessionId=sess-03']) {
      await page.goto(`${server.httpUrl}/traces${query}`);
      await settled(page);
      const shown = await page.locator('[data-testid="trace-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')));
      expect(shown.length, query).toBeGreaterThan(0);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^lookspan-traces-\d{8}T\d{6}Z\.csv$/);
      const rows = parseCsv(await readFile((await download.path())!, 'utf8')).filter((r) => r.length > 1);
      expect(rows[0][0]).toBe('id');
      expect(rows.slice(1).map((r) => r[0]).sort(), query).toEqual([...shown].sort());
      // The page read X-Lookspan-Export-Count and found it equal to the rows shown.
      await page.getByRole('status').filter({ hasText: new RegExp(`^lookspan-traces-\\S+\\.csv: ${shown.length} traces, SHA-256 [0-9a-f]{16}`) }).waitFor();
      if (query === '?status=error') {
        // The other formats take the same query: the JSON file holds the same traces.
        const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'JSON' }).click()]);
        const file = JSON.parse(await readFile((await json.path())!, 'utf8')) as { count: number; traces: Array<{ id: string }> };
        expect(file.traces.map((t) => t.id).sort()).toEqual([...shown].sort());
        expect(file.count).toBe(shown.length);
      }
    }
    // A filter the export does not take disables the buttons and says why.
    await page.goto(`${server.httpUrl}/traces?agent=planner`);
    await settled(page);
    await expect(page.getByRole('button', { name: 'CSV' }).isDisabled()).resolves.toBe(true);
    await expect(page.locator('.toolbar').textContent()).resolves.toContain('cannot filter by agent');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('reaches every page with the keyboard alone', async () => {
    const { page, errors } = await watchedPage(context);
    await page.goto(`${server.httpUrl}/`);
    await settled(page);
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement?.textContent')).resolves.toBe('Skip to content');
    // Tab forward to a target after the focus, Shift+Tab back to one before it: the keys a person would press.
    // The page only tells how many presses that is (tab order is document order here: no positive tabindex);
    // the presses move the focus, and the focus is checked after them.
    const focusBy = async (selector: string) => {
      const plan = await page.evaluate((sel) => {
        const d = (globalThis as any).document;
        const target = d.querySelector(sel);
        if (!target) return null;
        const all = [...d.querySelectorAll('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), summary, [tabindex]:not([tabindex="-1"])')]
          .filter((e: any) => e.getClientRects().length > 0);
        const t = all.indexOf(target);
        const active = d.activeElement && d.activeElement !== d.body ? d.activeElement : null;
        if (active === target) return { key: 'Tab', count: 0 };
        // Node.DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
        const after = (a: any, b: any) => (a.compareDocumentPosition(b) & 4) !== 0;
        if (!active || after(active, target)) {
          const next = active ? all.findIndex((e: any) => after(active, e)) : 0;
          return { key: 'Tab', count: t - next + 1 };
        }
        let prev = -1;
        all.forEach((e: any, i: number) => { if (after(e, active)) prev = i; });
        return { key: 'Shift+Tab', count: prev - t + 1 };
      }, selector);
      if (!plan) throw new Error(`no ${selector} on the page`);
      for (let i = 0; i < plan.count; i++) await page.keyboard.press(plan.key);
      const reached = await page.evaluate((sel) => (globalThis as any).document.activeElement?.matches(sel) ?? false, selector);
      if (!reached) throw new Error(`the keyboard never reached ${selector} (${plan.count} × ${plan.key})`);
    };
    for (const n of [...NAV.slice(1), NAV[0]]) {
      await focusBy(`nav a[href="${n.path}"]`);
      await page.keyboard.press('Enter');
      await page.waitForURL((u) => u.pathname === n.path);
      // The new page's heading takes the focus, so the next key starts from there, as after a page load.
      await page.waitForFunction(() => (globalThis as any).document.activeElement?.tagName === 'H1');
    }
    // The navigation ended on the overview: its latest traces lead to a trace.
    await settled(page);
    const firstLink = 'section[aria-label="Latest traces"] li:first-child a';
    const href = await page.locator(firstLink).getAttribute('href');
    await focusBy(firstLink);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === href);
    await settled(page);
    await focusBy('.span-name');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(page.locator('.wf-row.selected').count()).resolves.toBe(1);
    await expect(page.locator('.wf-row').nth(1).getAttribute('class')).resolves.toContain('selected');
    await page.close();
    expect(errors).toEqual([]);
  });

  it('on a server with keys: asks for the key, keeps it in the tab only, then shows the empty state and streams with a ticket', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, errors } = await watchedPage(ctx);
    await page.goto(`${keyed.httpUrl}/`);
    await page.locator('.notice.error a[href="/settings"]').waitFor();
    await page.locator('.notice.error a[href="/settings"]').click();
    await page.getByRole('textbox', { name: /^API key/ }).fill(KEY);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved for this tab.').waitFor();
    await page.locator('dl.kv dd', { hasText: 'admin' }).waitFor();
    await expect(page.evaluate("[sessionStorage.getItem('lookspan.apiKey'), JSON.stringify(localStorage), document.cookie]")).resolves.toEqual([KEY, '{}', '']);
    await page.locator('nav a[href="/"]').click();
    await settled(page);
    await expect(page.locator('pre.code').first().textContent()).resolves.toContain('otlp/lookspan');
    await expect(page.locator('main').textContent()).resolves.toContain('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    await shot(page, 'empty-state');
    await page.locator('nav a[href="/live"]').click();
    await page.locator('.conn-open').waitFor();
    const at = Date.now();
    const r = await fetch(`${keyed.httpUrl}/api/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ spans: [{ traceId: 'k-1', spanId: 'k-1a', type: 'agent', name: 'keyed-probe', startedAt: at, endedAt: at + 1, status: 'ok' }] }),
    });
    expect(r.status).toBe(200);
    await page.locator('table.live tbody tr', { hasText: 'keyed-probe' }).waitFor({ timeout: 10_000 });
    await ctx.close();
    // Only the first load, before the key was entered, was refused.
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('shows MCP server health with its history, schema drift and security findings', async () => {
    const { page, errors } = await watchedPage(context);
    await page.goto(`${server.httpUrl}/servers`);
    await settled(page);
    const row = (n: string) => page.locator(`tr[data-server="${n}"]`);
    await expect(row('weather').locator('.badge').first().textContent()).resolves.toBe('up');
    await expect(row('calculator').textContent()).resolves.toContain('critical');
    // A server only named by tool calls is listed, unchecked.
    await expect(row('github-mcp').textContent()).resolves.toMatch(/seen in spans.*unknown/);
    await row('weather').getByRole('button', { name: /Show/ }).click();
    const weather = page.getByRole('region', { name: 'MCP server weather' });
    const checks = weather.getByRole('table', { name: 'Checks of weather' }).locator('tbody tr');
    await checks.first().waitFor();
    await expect(checks.count()).resolves.toBe(2);
    await weather.locator('pre.code').first().waitFor();
    await expect(weather.locator('pre.code').first().textContent()).resolves.toMatch(/^! .*\[breaking\]/m);
    await row('calculator').getByRole('button', { name: /Show/ }).click();
    const calc = page.getByRole('region', { name: 'MCP server calculator' });
    await calc.getByRole('table', { name: 'Security findings of calculator' }).waitFor();
    await expect(calc.getByRole('table', { name: 'Security findings of calculator' }).textContent()).resolves.toContain('MCP-001');
    await shot(page, 'mcp-servers', true);
    await page.close();
    expect(errors).toEqual([]);
  });

  it('saves alert delivery, sends a test alert to a real webhook, and saves prevention for an agent', async () => {
    const received: string[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const { page, errors } = await watchedPage(context);
      await page.goto(`${server.httpUrl}/alerts`);
      await settled(page);
      await page.getByLabel('Webhook URL', { exact: true }).fill(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`);
      await page.getByRole('button', { name: 'Save delivery' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      await page.getByLabel('Test target', { exact: true }).selectOption('webhook');
      await page.getByRole('button', { name: 'Send a test alert' }).click();
      await page.getByRole('status').filter({ hasText: 'Test alert sent to the webhook.' }).waitFor();
      expect(received).toHaveLength(1);
      await page.getByLabel('Agent', { exact: true }).selectOption('planner');
      await page.getByLabel('Max steps', { exact: true }).fill('40');
      await page.getByRole('button', { name: 'Save for planner' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved for planner.' }).waitFor();
      const saved = (await (await fetch(`${server.httpUrl}/api/agents/planner/prevention-config`)).json()) as { max_steps: number };
      expect(saved.max_steps).toBe(40);
      await page.close();
      // The one refusal: the agent had no config of its own before it was saved (GET answered 404).
      expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });

  it('records the bundle size', async () => {
    const files = await readdir(path.join(UI_DIST, 'assets'));
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      const b = await readFile(path.join(UI_DIST, 'assets', f));
      raw += b.length;
      gzip += gzipSync(b, { level: 9 }).length;
    }
    metrics.bundle = { files, rawBytes: raw, gzipBytes: gzip };
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
  });
});
