/**
 * The clients of bench/live.ts, in a process of their own so their parsing
 * does not run on the load generator's event loop: N SSE clients on
 * /api/stream and M `ws` clients on /api/live, each with the filter the
 * scenario gives, counting the events they receive. Reports counts to the
 * parent every 500 ms over IPC; exits when told to.
 *
 *   tsx bench/live-clients.ts <httpUrl> <sse> <ws> <filtered|firehose>
 */
import http from 'node:http';
import { WebSocket } from 'ws';

const [url, sseCount, wsCount, mode] = process.argv.slice(2);
const counts = { sse: 0, ws: 0, wsClosed: 0, wsCloseCodes: {} as Record<string, number>, sseOpen: 0, wsOpen: 0 };
const sessionOf = (i: number) => `sess-${i % 1000}`;

function openSse(i: number): Promise<void> {
  const q = mode === 'filtered' ? `?session=${sessionOf(i)}` : '';
  return new Promise((resolve, reject) => {
    http.get(`${url}/api/stream${q}`, { agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE ${res.statusCode}`));
      counts.sseOpen++;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        // Counting `id:` lines is enough: every event has exactly one.
        const text = tail + chunk;
        let n = 0;
        let at = text.indexOf('\nid: ');
        while (at >= 0) {
          n++;
          at = text.indexOf('\nid: ', at + 5);
        }
        if (text.startsWith('id: ')) n++;
        counts.sse += n;
        tail = text.slice(-4);
      });
      resolve();
    }).on('error', reject);
  });
}

function openWs(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/live`);
    ws.on('open', () => {
      counts.wsOpen++;
      if (mode === 'filtered') ws.send(JSON.stringify({ type: 'subscribe', filter: { session: sessionOf(i + 500) } }));
      resolve();
    });
    ws.on('message', () => { counts.ws++; });
    ws.on('close', (code) => {
      counts.wsClosed++;
      counts.wsCloseCodes[code] = (counts.wsCloseCodes[code] ?? 0) + 1;
    });
    ws.on('error', reject);
  });
}

async function main(): Promise<void> {
  for (let i = 0; i < Number(sseCount); i++) await openSse(i);
  for (let i = 0; i < Number(wsCount); i++) await openWs(i);
  process.send!({ ready: true, ...counts });
  setInterval(() => process.send!({ ...counts }), 500).unref();
  process.on('message', (m: { stop?: boolean }) => { if (m.stop) process.exit(0); });
}

main().catch((err) => {
  process.send!({ error: (err as Error).message });
  process.exit(1);
});
