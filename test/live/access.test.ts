/**
 * The live streams behind access control: without a credential SSE and the
 * WebSocket upgrade are refused with 401; a key works in a header, a stream
 * ticket in the URL (cut before the filter is read); a key bound to a
 * project only ever receives that project's events, whatever its filter
 * asks for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SseClient, WsClient, wsUrl } from './clients.js';

const ADMIN = 'admin-key-0123456789abcdef';
const BOUND = 'bound-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: { apiKeys: [`${ADMIN}:admin`, `${BOUND}:viewer:p-a`, `${INGEST}:ingest`] } });
});

afterAll(async () => {
  await server?.dispose();
});

const ingest = (projectId: string, spanId: string) => fetch(`${server.httpUrl}/api/ingest`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': INGEST },
  body: JSON.stringify({ projectId, spans: [{ traceId: `t-${spanId}`, spanId, name: spanId, startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z' }] }),
});

describe('live streams with access control', () => {
  it('refuse requests without a credential', async () => {
    expect((await SseClient.open(`${server.httpUrl}/api/stream`)).status).toBe(401);
    expect((await SseClient.open(`${server.httpUrl}/api/live/events`)).status).toBe(401);
    await expect(WsClient.open(wsUrl(server.httpUrl))).rejects.toMatchObject({ status: 401 });
  });

  it('accept a key header and a ticket in the URL', async () => {
    const sse = await SseClient.open(`${server.httpUrl}/api/stream?events=span.ingested`, { 'x-api-key': ADMIN });
    expect(sse.status).toBe(200);
    const { ticket } = (await (await fetch(`${server.httpUrl}/api/auth/ticket`, { method: 'POST', headers: { 'x-api-key': ADMIN } })).json()) as { ticket: string };
    const ws = await WsClient.open(wsUrl(server.httpUrl, `?ticket=${encodeURIComponent(ticket)}&events=span.ingested`));
    await ws.messages.until((m) => m.some((x) => x.type === 'subscribed'), 'subscribed');
    expect(ws.of('subscribed')[0].filter).toEqual({ events: ['span.ingested'] });
    expect((await ingest('p-z', 'z1')).status).toBe(200);
    await sse.events.until((e) => e.length === 1, 'the span on SSE');
    await ws.messages.until((m) => m.some((x) => x.type === 'span.ingested'), 'the span on the WebSocket');
    await sse.close();
    await ws.close();
  });

  it('limit a project-bound key to its project', async () => {
    const sse = await SseClient.open(`${server.httpUrl}/api/stream?events=span.ingested`, { 'x-api-key': BOUND });
    expect(sse.status).toBe(200);
    const ws = await WsClient.open(wsUrl(server.httpUrl), { headers: { 'x-api-key': BOUND } });
    await ws.messages.until((m) => m.some((x) => x.type === 'subscribed'), 'subscribed');
    // Asking for another project by message changes nothing: the key sees p-a only.
    ws.send({ type: 'subscribe', filter: { project: ['p-a', 'p-b'], events: 'span.ingested' } });
    await ws.messages.until((m) => m.filter((x) => x.type === 'subscribed').length === 2, 'resubscribed');
    expect((ws.of('subscribed')[1].filter as { project: string[] }).project).toEqual(['p-a']);
    expect((await ingest('p-b', 'b1')).status).toBe(200);
    expect((await ingest('p-a', 'a1')).status).toBe(200);
    await sse.events.until((e) => e.length >= 1, 'the p-a span on SSE');
    await ws.messages.until((m) => m.some((x) => x.type === 'span.ingested'), 'the p-a span on the WebSocket');
    expect(sse.data('span.ingested').map((d) => d.spanId)).toEqual(['a1']);
    expect(ws.of('span.ingested').map((m) => m.data.spanId)).toEqual(['a1']);
    await sse.close();
    await ws.close();
  });
});
