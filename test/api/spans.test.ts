import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
  const spans = [
    { server_name: 'postgres-mcp', tool_name: 'query', started_at: '2026-03-17T12:00:00Z', ended_at: '2026-03-17T12:00:00.042Z', status: 'success', session_id: 'sess-1', agent_name: 'analyst' },
    { server_name: 'postgres-mcp', tool_name: 'query', started_at: '2026-03-17T12:00:01Z', ended_at: '2026-03-17T12:00:01.500Z', status: 'error', error: 'connection refused', session_id: 'sess-1', agent_name: 'analyst' },
    { server_name: 'slack-mcp', tool_name: 'post_message', started_at: '2026-03-17T12:00:02Z', latency_ms: 120, status: 'timeout', session_id: 'sess-2' },
  ];
  expect((await postJson(`${s.httpUrl}/api/traces/spans`, spans)).status).toBe(202);
  await waitLoaded(s);
});
afterAll(async () => s.dispose());

const get = async (q: string) => (await (await fetch(`${s.httpUrl}/api/traces/spans${q.startsWith('?') ? `${q}&total=1` : '?total=1'}`)).json()) as any;

describe('GET /api/traces/spans', () => {
  it('lists spans newest first in the ToolCallSpan shape', async () => {
    const body = await get('');
    expect(body.total).toBe(3);
    expect(body.spans.map((x: any) => x.tool_name)).toEqual(['post_message', 'query', 'query']);
    expect(body.spans[1]).toMatchObject({
      server_name: 'postgres-mcp', tool_name: 'query', session_id: 'sess-1', agent_name: 'analyst',
      status: 'error', error: 'connection refused', latency_ms: 500, started_at: '2026-03-17T12:00:01.000000Z', span_type: 'tool_call',
    });
    expect(body.spans[0]).toMatchObject({ status: 'timeout', error: null, latency_ms: 120 });
  });

  it('filters by server, tool, session, status and time, and pages', async () => {
    expect((await get('?server_name=postgres-mcp')).total).toBe(2);
    expect((await get('?tool_name=post_message')).total).toBe(1);
    expect((await get('?session_id=sess-2')).spans[0].server_name).toBe('slack-mcp');
    expect((await get('?server_name=postgres-mcp&status=success')).spans).toHaveLength(1);
    expect((await get('?from=2026-03-17T12:00:01Z&to=2026-03-17T12:00:01.5Z')).total).toBe(1);
    const page = await get('?limit=1&offset=1');
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1, has_more: true });
    expect(page.spans[0].started_at).toBe('2026-03-17T12:00:01.000000Z');
  });

  it('answers 400 naming a bad parameter', async () => {
    const res = await fetch(`${s.httpUrl}/api/traces/spans?status=maybe`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.problems[0].path).toBe('status');
  });
});
