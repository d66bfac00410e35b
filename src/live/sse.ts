import type { ServerResponse } from 'node:http';
import { BoundedQueue } from './bounded-queue.js';
import type { LiveEvent } from './events.js';
import type { CompiledFilter } from './filter.js';
import type { Subscriber } from './broadcaster.js';

/** The two SSE dialects: /api/stream (Lookspan event names) and /api/live/events (langsight's `span:new`, `health:check`). */
export type SseFormat = 'lookspan' | 'langsight';

/** The event types each SSE route carries. */
export const TYPES: Record<SseFormat, ReadonlySet<string>> = {
  lookspan: new Set(['span.ingested', 'trace.updated', 'alert.triggered']),
  langsight: new Set(['span.ingested', 'health.check']),
};

/** Reconnect delay suggested to EventSource clients (the `retry:` field). */
const RETRY_MS = 3000;

export interface SseStreamOptions {
  format: SseFormat;
  /** Events buffered while the socket does not take more; past it the oldest are dropped. */
  bufferEvents: number;
  onDropped: (n: number) => void;
  onClose: () => void;
}

/**
 * One SSE client. While its socket takes data, the events of a fan-out
 * slice are written together in one write; once a write is refused
 * (res.write returned false) events wait in a buffer of `bufferEvents`
 * until the socket drains, and when that buffer is full the oldest event is
 * dropped, as langsight-api.txt specifies, so a slow reader costs at most
 * its buffer (plus the one write the socket holds).
 */
export class SseStream implements Subscriber {
  private readonly queue: BoundedQueue<LiveEvent>;
  private blocked = false;
  private closed = false;
  /** Frames of the current fan-out slice, written by `flush`. */
  private chunk = '';
  dropped = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly filter: CompiledFilter,
    private readonly opts: SseStreamOptions,
  ) {
    this.queue = new BoundedQueue(opts.bufferEvents);
    res.on('close', () => this.end());
  }

  /** Sends the headers and the preamble; `comment` lines go first (e.g. that a resume had a gap). */
  open(comments: string[] = []): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told not to.
      'X-Accel-Buffering': 'no',
    });
    this.res.write(`retry: ${RETRY_MS}\n${comments.map((c) => `: ${c}\n`).join('')}: connected\n\n`);
  }

  deliver(e: LiveEvent): void {
    if (this.closed || !TYPES[this.opts.format].has(e.type)) return;
    if (!this.blocked) {
      this.chunk += this.frame(e);
      return;
    }
    if (this.queue.push(e) !== undefined) {
      this.dropped++;
      this.opts.onDropped(1);
    }
  }

  missed(n: number): void {
    this.dropped += n;
    this.opts.onDropped(n);
  }

  flush(): void {
    if (this.closed || this.blocked || this.chunk === '') return;
    const chunk = this.chunk;
    this.chunk = '';
    if (!this.res.write(chunk)) {
      this.blocked = true;
      this.res.once('drain', this.drained);
    }
  }

  private readonly drained = (): void => {
    this.blocked = false;
    for (const e of this.queue.drain()) this.chunk += this.frame(e);
    this.flush();
  };

  /** A `: keepalive` comment; skipped while the socket is full (the data waiting serves the same purpose). */
  keepalive(): void {
    if (this.closed || this.blocked) return;
    this.res.write(': keepalive\n\n');
  }

  /** Ends the response (server shutdown); the client's EventSource reconnects after `retry`. */
  close(): void {
    if (this.closed) return;
    this.res.end();
    this.end();
  }

  private frame(e: LiveEvent): string {
    return this.opts.format === 'lookspan' ? e.sseFrame : (e.langsightFrame ?? '');
  }

  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.chunk = '';
    this.opts.onClose();
  }
}
