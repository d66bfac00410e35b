import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { LookspanError, classify, invalid, publicMessage, unavailable } from '../errors.js';
import { Broadcaster } from './broadcaster.js';
import type { LiveEventType } from './events.js';
import { CompiledFilter, LiveFilterInput, canonicalKeys, type LiveFilter } from './filter.js';
import { SseStream, TYPES as SSE_TYPES, type SseFormat } from './sse.js';
import { WsClient, WS_CLOSE, createWsServer, refuseUpgrade, upgradeQuery } from './websocket.js';
import { parseOrThrow } from '../receivers/native/validate.js';

/** The path the WebSocket is served at. */
export const WS_PATH = '/api/live';

export interface LiveOptions {
  wsMaxClients: number;
  wsMaxQueuedEvents: number;
  wsHighWaterBytes: number;
  heartbeatSeconds: number;
  sseMaxClients: number;
  sseBufferEvents: number;
  sseKeepaliveSeconds: number;
  replayEvents: number;
  maxPendingEvents: number;
}

/**
 * Who may open a stream: resolves with the projects the request may read
 * (null: every project), or throws an `unauthorized`/`forbidden`
 * LookspanError. The same check the REST API applies (access control).
 */
export type LiveAccess = (req: IncomingMessage) => Promise<{ projects: readonly string[] | null }>;

export const OPEN_ACCESS: LiveAccess = async () => ({ projects: null });

/** Counts for /metrics and /api/health (read at scrape time). */
export interface LiveStats {
  wsClients: number;
  sseClients: number;
  published: Record<LiveEventType, number>;
  /** Events dropped before fan-out (the broadcaster fell behind). */
  droppedPending: number;
  /** Events an SSE client's full buffer dropped (its oldest). */
  sseDropped: number;
  /** Clients closed by the server, by transport and reason. */
  clientsDropped: { websocket_slow: number; websocket_heartbeat: number };
  /** Connections refused at the client cap, by transport. */
  refused: { websocket: number; sse: number };
}

/**
 * The live stage: one broadcaster and the clients of its three routes
 * (WebSocket /api/live, SSE /api/stream and /api/live/events), with their
 * caps, heartbeats and keepalives. Built once by the composition root.
 */
export class LiveHub {
  readonly broadcaster: Broadcaster;
  private readonly wss = createWsServer();
  private readonly wsClients = new Set<WsClient>();
  private readonly sseStreams = new Set<SseStream>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly keepalive: NodeJS.Timeout;
  private closed = false;
  private counts = { sseDropped: 0, slow: 0, heartbeat: 0, refusedWs: 0, refusedSse: 0 };

  constructor(private readonly opts: LiveOptions, private readonly access: LiveAccess = OPEN_ACCESS, private readonly log?: Logger) {
    this.broadcaster = new Broadcaster({ replayEvents: opts.replayEvents, maxPendingEvents: opts.maxPendingEvents });
    this.heartbeat = setInterval(() => {
      for (const c of this.wsClients) if (!c.ping()) this.wsClients.delete(c);
    }, opts.heartbeatSeconds * 1000);
    this.heartbeat.unref();
    this.keepalive = setInterval(() => {
      for (const s of this.sseStreams) s.keepalive();
    }, opts.sseKeepaliveSeconds * 1000);
    this.keepalive.unref();
  }

  stats(): LiveStats {
    return {
      wsClients: this.wsClients.size,
      sseClients: this.sseStreams.size,
      published: { ...this.broadcaster.counters.published },
      droppedPending: this.broadcaster.counters.droppedPending,
      sseDropped: this.counts.sseDropped,
      clientsDropped: { websocket_slow: this.counts.slow, websocket_heartbeat: this.counts.heartbeat },
      refused: { websocket: this.counts.refusedWs, sse: this.counts.refusedSse },
    };
  }

  /** Serves the WebSocket on `server`'s `upgrade` event; other upgrade paths are answered 404. */
  attach(server: http.Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head).catch((err) => {
        const e = classify(err);
        if (e.errorClass === 'internal') this.log?.error({ err }, 'WebSocket upgrade failed');
        refuseUpgrade(socket, e.http, e.errorClass, publicMessage(e), e.details.retryAfterSeconds ? { 'Retry-After': String(e.details.retryAfterSeconds) } : {});
      });
    });
  }

  /**
   * Opens an SSE stream on `res` (the route has parsed the filter). Refused
   * with 503 past `sseMaxClients`, before any byte is written.
   */
  async openSse(req: IncomingMessage, res: ServerResponse, format: SseFormat, input: Record<string, unknown>, lastEventId: number | null): Promise<void> {
    if (this.closed) throw unavailable('Lookspan is shutting down', 1);
    const { projects } = await this.access(req);
    const filter = this.scopeFor(parseFilter(input), projects, format);
    if (this.sseStreams.size >= this.opts.sseMaxClients) {
      this.counts.refusedSse++;
      throw unavailable(`too many live SSE clients (limit ${this.opts.sseMaxClients}, live.sseMaxClients)`, 5);
    }
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    const stream: SseStream = new SseStream(res, filter, {
      format,
      bufferEvents: this.opts.sseBufferEvents,
      onDropped: (n) => { this.counts.sseDropped += n; },
      onClose: () => {
        this.sseStreams.delete(stream);
        this.broadcaster.unsubscribe(stream);
      },
    });
    this.sseStreams.add(stream);
    const replay = lastEventId === null ? null : this.broadcaster.replay(lastEventId, filter, this.opts.sseBufferEvents);
    stream.open(replay?.gap ? [`events after id ${lastEventId} are no longer all buffered; resuming from the oldest kept`] : []);
    this.broadcaster.subscribe(stream);
    if (replay) {
      for (const e of replay.events) stream.deliver(e);
      stream.flush();
    }
  }

  /** Closes every client (1001 for WebSockets, end of stream for SSE) and stops the broadcaster; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.keepalive);
    this.broadcaster.close();
    for (const c of this.wsClients) c.close(WS_CLOSE.goingAway, 'server shutting down');
    for (const s of this.sseStreams) s.close();
    this.wsClients.clear();
    this.sseStreams.clear();
    this.wss.close();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) throw new LookspanError('not_found', `no WebSocket at ${url.pathname}; use ${WS_PATH}`);
    if (this.closed) throw unavailable('Lookspan is shutting down', 1);
    const { projects } = await this.access(req);
    const params = upgradeQuery(req);
    params.delete('ticket');
    params.delete('lastEventId');
    const query = Object.fromEntries([...new Set(params.keys())].map((k) => {
      const all = params.getAll(k);
      return [k, all.length === 1 ? all[0] : all];
    }));
    const filter = this.scopeFor(parseFilter(query), projects, null);
    if (this.wsClients.size >= this.opts.wsMaxClients) {
      this.counts.refusedWs++;
      throw unavailable(`too many live WebSocket clients (limit ${this.opts.wsMaxClients}, live.wsMaxClients)`, 5);
    }
    const lastEventId = parseLastEventId(url.searchParams.get('lastEventId') ?? req.headers['last-event-id']);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closed) {
        ws.close(WS_CLOSE.goingAway, 'server shutting down');
        return;
      }
      const client = new WsClient(ws, filter, { maxQueued: this.opts.wsMaxQueuedEvents, highWaterBytes: this.opts.wsHighWaterBytes }, {
        scope: (f) => this.scopeFor(f.spec, projects, null),
        subscribe: (c) => this.broadcaster.subscribe(c),
        unsubscribe: (c) => this.broadcaster.unsubscribe(c),
        replay: (after, f) => this.broadcaster.replay(after, f, this.opts.wsMaxQueuedEvents),
        dropped: (reason) => { if (reason === 'slow') this.counts.slow++; else this.counts.heartbeat++; },
        closed: (c) => this.wsClients.delete(c),
      });
      this.wsClients.add(client);
      this.broadcaster.subscribe(client);
      client.start(lastEventId ?? undefined);
    });
  }

  /** The filter limited to the client's projects and, for SSE, to the types its route carries. */
  private scopeFor(spec: LiveFilter, projects: readonly string[] | null, format: SseFormat | null): CompiledFilter {
    let s = spec;
    if (format !== null) {
      const carried = [...SSE_TYPES[format]] as LiveEventType[];
      const events = s.events ? s.events.filter((t) => carried.includes(t)) : carried;
      if (events.length === 0) {
        throw invalid(`this stream carries only ${carried.join(', ')}`, [{ path: 'events', message: `must include one of ${carried.join(', ')}` }]);
      }
      s = { ...s, events };
    }
    return new CompiledFilter(s).within(projects);
  }
}

/** Validates a filter object (query parameters or a subscribe message's `filter`); a 400 names the bad key. */
export function parseFilter(input: Record<string, unknown>): LiveFilter {
  return parseOrThrow(LiveFilterInput, canonicalKeys(input), 'live filter') as LiveFilter;
}

/** A Last-Event-ID value: a non-negative integer, or null when absent or not one (then there is nothing to resume). */
export function parseLastEventId(v: unknown): number | null {
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string' || !/^\d{1,16}$/.test(s.trim())) return null;
  return Number(s.trim());
}
