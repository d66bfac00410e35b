/** The server runs the schedule itself (the other tests trigger checks with POST /api/health/check). */
import { afterAll, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { streamableHttpFixture, type HttpFixture } from './fixtures/http-servers.js';

let s: TestServer | undefined;
let h: HttpFixture | undefined;

afterAll(async () => {
  await s?.dispose();
  await h?.close();
});

it('checks each configured server again and again on its own, stored with trigger "schedule"', async () => {
  h = await streamableHttpFixture('mail');
  s = await startTestServer({ mcp: { intervalSeconds: 1, jitter: 0.5, servers: [{ name: 'mail', transport: 'streamable_http', url: h.url }] } } as never);
  const history = await waitFor(async () => {
    const r = (await (await fetch(`${s!.httpUrl}/api/health/servers/mail/history`)).json()) as any[];
    return r.length >= 2 ? r : null;
  }, 30_000);
  expect(history.every((r) => r.trigger === 'schedule' && r.status === 'up')).toBe(true);
});

it('a latest result older than staleAfterIntervals intervals reads as stale; its history entry keeps its status', async () => {
  await s?.dispose();
  h ??= await streamableHttpFixture('mail');
  s = await startTestServer({ mcp: { schedule: false, intervalSeconds: 1, staleAfterIntervals: 1, servers: [{ name: 'mail', transport: 'streamable_http', url: h.url }] } } as never);
  const post = await fetch(`${s.httpUrl}/api/health/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(((await post.json()) as any[])[0].status).toBe('up');
  const latest = await waitFor(async () => {
    const r = (await (await fetch(`${s!.httpUrl}/api/health/servers/mail`)).json()) as any;
    return r.status === 'stale' ? r : null;
  }, 30_000);
  const history = (await (await fetch(`${s.httpUrl}/api/health/servers/mail/history`)).json()) as any[];
  expect(history.map((r) => [r.check_id, r.status])).toEqual([[latest.check_id, 'up']]);
});
