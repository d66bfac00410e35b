// Real live clients for the tests: an SSE reader over plain HTTP (fetch, the
// text/event-stream framing parsed as the HTML spec's EventSource does) and
// a `ws` client collecting JSON messages. Both wait on arrivals, never sleep.
import { WebSocket } from 'ws';

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

type Waiter<T> = { pred: (all: T[]) => boolean; resolve: () => void; reject: (e: Error) => void };

/** Arrivals with waiters that resolve when a predicate over everything received holds. */
class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<Waiter<T>> = [];
  closedWith: Error | null = null;

  add(item: T): void {
    this.items.push(item);
    this.check();
  }

  fail(err: Error): void {
    this.closedWith = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
  }

  until(pred: (all: T[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (pred(this.items)) return Promise.resolve();
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.items.length} item(s)`)), timeoutMs);
      this.waiters.push({ pred, resolve: () => { clearTimeout(timer); resolve(); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(this.items)) return true;
      w.resolve();
      return false;
    });
  }
}

/** An SSE client: events and comments as they arrive. */
export class SseClient {
  readonly events = new Inbox<SseMessage>();
  readonly comments = new Inbox<string>();
  status = 0;
  headers: Headers | null = null;
  body: string | null = null;
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const c = new SseClient();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: c.abort.signal });
    c.status = res.status;
    c.headers = res.headers;
    if (res.status !== 200) {
      c.body = await res.text();
      return c;
    }
    c.done = c.read(res.body!);
    return c;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = '';
    let fields: { id: string | null; event: string; data: string[] } = { id: null, event: 'message', data: [] };
    try {
      for await (const chunk of body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.search(/\r\n|\n|\r/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (fields.data.length > 0) this.events.add({ id: fields.id, event: fields.event, data: fields.data.join('\n') });
            fields = { id: null, event: 'message', data: [] };
          } else if (line.startsWith(':')) {
            this.comments.add(line.slice(1).trimStart());
          } else {
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (name === 'data') fields.data.push(value);
            else if (name === 'event') fields.event = value;
            else if (name === 'id') fields.id = value;
          }
        }
      }
      this.events.fail(new Error('stream ended'));
      this.comments.fail(new Error('stream ended'));
    } catch (err) {
      this.events.fail(err as Error);
      this.comments.fail(err as Error);
    }
  }

  /** Parsed data of the events named `event`. */
  data<T = any>(event: string): T[] {
    return this.events.items.filter((e) => e.event === event).map((e) => JSON.parse(e.data) as T);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

export interface WsMessage {
  type: string;
  id?: number;
  data?: any;
  [k: string]: unknown;
}

/** A `ws` client collecting the JSON messages of /api/live. */
export class WsClient {
  readonly messages = new Inbox<WsMessage>();
  closeCode: number | null = null;
  closeReason = '';
  readonly closed: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.messages.add(JSON.parse(d.toString()) as WsMessage));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      resolve();
    }));
  }

  static async open(url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WsClient> {
    const ws = new WebSocket(url, opts);
    const c = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    });
    return c;
  }

  of(type: string): WsMessage[] {
    return this.messages.items.filter((m) => m.type === type);
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

/** The WebSocket URL of a test server. */
export const wsUrl = (httpUrl: string, query = '') => `${httpUrl.replace(/^http/, 'ws')}/api/live${query}`;
