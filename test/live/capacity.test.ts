/**
 * The live streams under load, with real clients over real sockets: 200
 * SSE clients get keepalives and the 201st is refused; 200 SSE and 50
 * WebSocket clients all receive what is ingested; a WebSocket client that
 * stops reading is closed with 4008 while a fast one keeps receiving and
 * every ingest request is still acknowledged; heartbeats end a client that
 * stops answering pings; the WebSocket cap refuses with 503. (Rates are
 * measured in bench/live.ts, not asserted here.)
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { SseClient, WsClient, wsUrl } from './clients.js';

const span = (trace: string, id: string, extra: Record<string, unknown> = {}) => ({
  traceId: trace, spanId: id, name: `op ${id}`, type: 'llm_call', model: 'gpt-4o', provider: 'openai',
  startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:00.250Z', status: 'ok', ...extra,
});

async function metric(server: TestServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const m = line.exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('the SSE client cap and fan-out to a few hundred clients', () => {
  let server: TestServer;
  const sse: SseClient[] = [];
  const ws: WsClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ live: { sseKeepaliveSeconds: 0.2 } });
  });

  afterAll(async () => {
    await Promise.all([...sse.map((c) => c.close()), ...ws.map((c) => c.close())]);
    await server?.dispose();
  });

  it('keeps 200 SSE clients alive with keepalives and refuses the 201st with 503', async () => {
    for (let i = 0; i < 200; i++) sse.push(await SseClient.open(`${server.httpUrl}/api/stream?project_id=fan`));
    expect(sse.every((c) => c.status === 200)).toBe(true);
    await Promise.all(sse.map((c) => c.comments.until((x) => x.includes('keepalive'), 'a keepalive')));

    const refused = await SseClient.open(`${server.httpUrl}/api/live/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers!.get('retry-after')).toBe('5');
    expect(JSON.parse(refused.body!)).toEqual({ error: { code: 'unavailable', message: 'too many live SSE clients (limit 200, live.sseMaxClients)' } });
    expect(await metric(server, /^lookspan_active_sse_connections (\d+)$/m)).toBe(200);
    expect(await metric(server, /^lookspan_live_clients_refused_total\{transport="sse"\} (\d+)$/m)).toBe(1);
  });

  it('fans every event out to 200 SSE and 50 WebSocket clients', async () => {
    for (let i = 0; i < 50; i++) ws.push(await WsClient.open(wsUrl(server.httpUrl, '?project=fan&events=span.ingested')));
    await Promise.all(ws.map((c) => c.messages.until((m) => m.some((x) => x.type === 'subscribed'), 'subscribed')));
    const spans = Array.from({ length: 100 }, (_, i) => span(`fan-${i % 10}`, `f${i}`));
    for (let b = 0; b < 4; b++) {
      const res = await postJson(`${server.httpUrl}/api/ingest`, { projectId: 'fan', spans: spans.slice(b * 25, b * 25 + 25) });
      expect(res.status).toBe(200);
    }
    const want = spans.map((s) => s.spanId);
    await Promise.all(sse.map((c) => c.events.until((e) => e.filter((x) => x.event === 'span.ingested').length === 100, 'all spans on SSE')));
    await Promise.all(ws.map((c) => c.messages.until((m) => m.filter((x) => x.type === 'span.ingested').length === 100, 'all spans on WS')));
    for (const c of sse) expect(c.data('span.ingested').map((d) => d.spanId)).toEqual(want);
    for (const c of ws) expect(c.of('span.ingested').map((m) => m.data.spanId)).toEqual(want);
    // A trace update per trace per batch: 4 batches x 10 traces.
    for (const c of sse) expect(c.data('trace.updated')).toHaveLength(40);
  });

  it('admits a new SSE client once one has left', async () => {
    await sse.pop()!.close();
    await waitFor(async () => (await metric(server, /^lookspan_active_sse_connections (\d+)$/m)) === 199);
    const again = await SseClient.open(`${server.httpUrl}/api/stream`);
    expect(again.status).toBe(200);
    sse.push(again);
  });
});

describe('a slow WebSocket client', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ live: { wsMaxQueuedEvents: 64, wsHighWaterBytes: 16 * 1024 } });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('is closed with 4008 and a reason while a fast one receives everything and ingest is acknowledged', async () => {
    const fast = await WsClient.open(wsUrl(server.httpUrl, '?events=span.ingested'));
    // The slow client's socket stops being read once the subscription is confirmed: the server's writes back up.
    let socket: net.Socket | null = null;
    const slow = await WsClient.open(wsUrl(server.httpUrl), {
      createConnection: (opts: net.NetConnectOpts) => (socket = net.connect(opts)),
    } as never);
    await slow.messages.until((m) => m.some((x) => x.type === 'subscribed'), 'subscribed');
    socket!.pause();

    const batches = 12;
    const perBatch = 1000;
    let acknowledged = 0;
    for (let b = 0; b < batches; b++) {
      const spans = Array.from({ length: perBatch }, (_, i) => span(`slow-${b}`, `b${b}-${i}`, { attributes: { pad: 'x'.repeat(200) } }));
      const res = await postJson(`${server.httpUrl}/api/ingest`, { spans });
      expect(res.status).toBe(200);
      acknowledged += ((await res.json()) as { accepted: number }).accepted;
    }
    expect(acknowledged).toBe(batches * perBatch);
    await waitFor(async () => (await metric(server, /^lookspan_live_clients_closed_total\{transport="websocket",reason="slow"\} (\d+)$/m)) === 1);
    await fast.messages.until((m) => m.filter((x) => x.type === 'span.ingested').length === batches * perBatch, 'every span on the fast client', 30_000);
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);
    expect(await metric(server, /^lookspan_live_websocket_connections (\d+)$/m)).toBe(1);

    // Reading again, the slow client gets what was already written, then the close frame with its reason.
    socket!.resume();
    await slow.closed;
    expect(slow.closeCode).toBe(4008);
    expect(slow.closeReason).toBe('too slow: more than 64 events waited');
    expect(slow.of('span.ingested').length).toBeLessThan(batches * perBatch);
    await fast.close();
  });
});

describe('heartbeat and the WebSocket cap', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ live: { heartbeatSeconds: 0.1, wsMaxClients: 2 } });
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('terminates a client that stops answering pings and keeps one that answers', async () => {
    const answering = await WsClient.open(wsUrl(server.httpUrl));
    let pings = 0;
    const threePings = new Promise<void>((resolve) => answering.ws.on('ping', () => { if (++pings === 3) resolve(); }));
    const silent = await WsClient.open(wsUrl(server.httpUrl), { autoPong: false });
    await silent.closed;
    expect(silent.closeCode).toBe(1006);
    await threePings;
    expect(answering.ws.readyState).toBe(answering.ws.OPEN);
    expect(await metric(server, /^lookspan_live_clients_closed_total\{transport="websocket",reason="heartbeat"\} (\d+)$/m)).toBe(1);
    await answering.close();
  });

  it('refuses the connection past live.wsMaxClients with 503', async () => {
    await waitFor(async () => (await metric(server, /^lookspan_live_websocket_connections (\d+)$/m)) === 0);
    const a = await WsClient.open(wsUrl(server.httpUrl));
    const b = await WsClient.open(wsUrl(server.httpUrl));
    await expect(WsClient.open(wsUrl(server.httpUrl))).rejects.toMatchObject({ status: 503 });
    expect(await metric(server, /^lookspan_live_clients_refused_total\{transport="websocket"\} (\d+)$/m)).toBe(1);
    await a.close();
    await b.close();
  });
});
