import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import { BoundedQueue } from './bounded-queue.js';
import type { LiveEvent } from './events.js';
import { CompiledFilter, LiveFilterInput, canonicalKeys } from './filter.js';
import type { Subscriber } from './broadcaster.js';
import { formatPath } from '../receivers/native/validate.js';

/** Close codes of /api/live (docs/live.md). */
export const WS_CLOSE = {
  /** The server is shutting down; reconnect elsewhere or later. */
  goingAway: 1001,
  /** The client did not read fast enough: more than `wsMaxQueuedEvents` events waited for it. */
  tooSlow: 4008,
} as const;

/** The largest message a client may send (a subscribe message is a few hundred bytes). */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024;
/** How long a closing handshake may take before the socket is destroyed (a slow client's unsent bytes go with it). */
const CLOSE_TIMEOUT_MS = 10_000;

/** A message from the client: replace the filter (and optionally replay from an event id). */
export const SubscribeMessage = z.strictObject({
  type: z.literal('subscribe'),
  filter: z.record(z.string(), z.unknown()).default({}),
  lastEventId: z.number().int().nonnegative().optional(),
});

export interface WsClientHooks {
  /** The filter a client's requested filter becomes (restricted to what it may read). */
  scope(filter: CompiledFilter): CompiledFilter;
  subscribe(c: WsClient): void;
  unsubscribe(c: WsClient): void;
  replay(afterId: number, filter: CompiledFilter): { events: LiveEvent[]; gap: boolean };
  dropped(reason: 'slow' | 'heartbeat'): void;
  closed(c: WsClient): void;
}

/**
 * One WebSocket client. Events go straight to ws while its unsent bytes stay
 * under the high-water mark, then wait in a queue of `maxQueued`; a client
 * whose queue overflows is too slow and is closed with 4008 and a reason,
 * so it never holds more than its queue and one high-water mark of memory.
 */
export class WsClient implements Subscriber {
  private queue: BoundedQueue<LiveEvent>;
  /** Events of the current fan-out slice while the socket has room: sent together by `flush`. */
  private batch: LiveEvent[] = [];
  filter: CompiledFilter;
  alive = true;
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    filter: CompiledFilter,
    private readonly opts: { maxQueued: number; highWaterBytes: number },
    private readonly hooks: WsClientHooks,
  ) {
    this.queue = new BoundedQueue(opts.maxQueued);
    this.filter = filter;
    ws.on('pong', () => { this.alive = true; });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.end());
    ws.on('error', () => this.end());
  }

  /** Confirms the subscription (and replays from `lastEventId` when given). */
  start(lastEventId?: number): void {
    let replayed: LiveEvent[] = [];
    let gap = false;
    if (lastEventId !== undefined) ({ events: replayed, gap } = this.hooks.replay(lastEventId, this.filter));
    this.send(JSON.stringify({ type: 'subscribed', filter: this.filter.spec, replayed: replayed.length, gap }));
    for (const e of replayed) this.deliver(e);
    this.flush();
  }

  deliver(e: LiveEvent): void {
    if (this.closed) return;
    if (this.queue.length === 0 && this.ws.bufferedAmount < this.opts.highWaterBytes) {
      this.batch.push(e);
      return;
    }
    if (this.queue.full) {
      this.tooSlow();
      return;
    }
    this.queue.push(e);
  }

  missed(n: number): void {
    this.send(JSON.stringify({ type: 'error', code: 'events_dropped', message: `${n} event(s) were dropped before fan-out (the server fell behind)`, dropped: n }));
  }

  flush = (): void => {
    if (this.closed) return;
    // One write for the whole slice instead of one per frame (measured in bench/live.ts: the
    // per-frame writes were most of the fan-out's cost). ws keeps its socket private; pinned ws 8.23.
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    socket?.cork();
    try {
      const batch = this.batch;
      this.batch = [];
      for (let i = 0; i < batch.length; i++) this.ws.send(batch[i].wsFrame, i === batch.length - 1 ? this.afterSend : undefined);
      while (!this.closed && this.queue.length > 0 && this.ws.bufferedAmount < this.opts.highWaterBytes) {
        // The callback runs once ws has handed the frame to the socket: room again, maybe.
        this.ws.send(this.queue.shift()!.wsFrame, this.afterSend);
      }
    } finally {
      socket?.uncork();
    }
  };

  /** Heartbeat tick: false when the previous ping went unanswered (the client is then terminated). */
  ping(): boolean {
    if (this.closed) return true;
    if (!this.alive) {
      this.hooks.dropped('heartbeat');
      this.ws.terminate();
      return false;
    }
    this.alive = false;
    this.ws.ping();
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.end();
    this.ws.close(code, reason);
  }

  private readonly afterSend = (err?: Error): void => {
    if (!err && this.queue.length > 0) this.flush();
  };

  private tooSlow(): void {
    this.hooks.dropped('slow');
    this.close(WS_CLOSE.tooSlow, `too slow: more than ${this.opts.maxQueued} events waited`);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) return this.error('invalid_message', 'messages must be JSON text');
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch (err) {
      return this.error('invalid_message', `malformed JSON: ${(err as Error).message}`);
    }
    const sub = SubscribeMessage.safeParse(msg);
    if (!sub.success) return this.error('invalid_message', describe(sub.error));
    const filter = LiveFilterInput.safeParse(canonicalKeys(sub.data.filter));
    if (!filter.success) return this.error('invalid_filter', describe(filter.error, 'filter'));
    this.hooks.unsubscribe(this);
    this.filter = this.hooks.scope(new CompiledFilter(filter.data));
    // Events queued under the old filter are not what the client asked for any more.
    this.queue.clear();
    this.batch = [];
    this.hooks.subscribe(this);
    this.start(sub.data.lastEventId);
  }

  private error(code: string, message: string): void {
    this.send(JSON.stringify({ type: 'error', code, message }));
  }

  private send(text: string): void {
    if (!this.closed && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.batch = [];
    this.hooks.unsubscribe(this);
    this.hooks.closed(this);
  }
}

function describe(err: z.ZodError, prefix?: string): string {
  return err.issues.slice(0, 5).map((i) => `${formatPath(prefix ? [prefix, ...i.path] : i.path)}: ${i.message}`).join('; ');
}

/** A WebSocketServer that only upgrades what the caller hands it (the HTTP server's `upgrade` event). */
export function createWsServer(): WebSocketServer {
  return new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES, perMessageDeflate: false, closeTimeout: CLOSE_TIMEOUT_MS } as ConstructorParameters<typeof WebSocketServer>[0]);
}

/** Refuses an upgrade with a plain HTTP answer and a JSON error body (the handshake never starts). */
export function refuseUpgrade(socket: Duplex, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[status] ?? 'Error';
  const head = [
    `HTTP/1.1 ${status} ${reason}`, 'Connection: close', 'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** The query string of an upgrade request, for the initial filter. */
export function upgradeQuery(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}
