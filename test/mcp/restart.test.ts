/** A restart keeps the drift baseline, the failure count and the history (they come from the stored checks). */
import { rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { streamableHttpFixture, type HttpFixture } from './fixtures/http-servers.js';

let version = 1;
let h: HttpFixture;
let s: TestServer | undefined;
let dir: string;

afterAll(async () => {
  await s?.dispose();
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const json = async (r: Promise<Response>): Promise<any> => (await r).json();
const post = async (srv: TestServer, name: string) =>
  (await json(fetch(`${srv.httpUrl}/api/health/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ server_name: name }) })))[0];

it('a schema changed while Lookspan was stopped is a drift at the first check after the start; failures keep counting', async () => {
  h = await streamableHttpFixture('drift', { version: () => version });
  dir = await tempDir();
  const config = {
    mcp: {
      schedule: false, downAfterFailures: 2,
      servers: [
        { name: 'docs', transport: 'streamable_http', url: h.url },
        // Port 9 on loopback (discard) has no MCP server: every check fails.
        { name: 'gone', transport: 'streamable_http', url: 'http://127.0.0.1:9/mcp', timeoutSeconds: 5 },
      ],
    },
  } as never;
  s = await startTestServer(config, dir);
  const first = await post(s, 'docs');
  expect((await post(s, 'gone')).consecutive_failures).toBe(1);
  await s.stop();
  s = undefined;

  version = 2;
  s = await startTestServer(config, dir);
  const second = await post(s, 'docs');
  expect(second.schema_hash).not.toBe(first.schema_hash);
  const drift = await json(fetch(`${s.httpUrl}/api/health/servers/docs/drift`));
  expect(drift.map((d: any) => [d.previous_hash, d.current_hash, d.previous_checked_at])).toEqual([[first.schema_hash, second.schema_hash, first.checked_at]]);
  const history = await json(fetch(`${s.httpUrl}/api/health/servers/docs/history`));
  expect(history.map((r: any) => r.check_id)).toEqual([second.check_id, first.check_id]);

  // The second failure in a row, across the restart, reaches downAfterFailures: one mcp_down.
  expect((await post(s, 'gone')).consecutive_failures).toBe(2);
  await s.mcp.monitor.alertsIdle();
  const alerts = (await json(fetch(`${s.httpUrl}/api/alerts?type=mcp_down`))).alerts;
  expect(alerts.map((a: any) => [a.server_name, a.value])).toEqual([['gone', 2]]);
});
