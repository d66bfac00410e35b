/**
 * The live tail's state outside the page: the filter sent to the WebSocket
 * (docs/live.md "Filters"), and a bounded event log with pause/resume and
 * counted drops (the server's `events_dropped` and the page's own).
 */

export const LIVE_EVENT_TYPES = ['span.ingested', 'trace.updated', 'alert.triggered'] as const;
export const LIVE_TEXT_KEYS = ['agent', 'session', 'model', 'provider', 'server', 'service'] as const;
export const SPAN_TYPES = ['llm_call', 'tool_call', 'agent', 'chain', 'retriever', 'embedding', 'mcp', 'other'] as const;
export const SPAN_STATUSES = ['ok', 'error', 'cancelled', 'unset'] as const;

export interface LiveFilter {
  events: string[];
  type?: string;
  status?: string;
  project?: string;
  agent?: string;
  session?: string;
  model?: string;
  provider?: string;
  server?: string;
  service?: string;
}

/** The filter as the WebSocket's `subscribe` message takes it: every key a list, empty keys left out (no key: everything). */
export function subscribeFilter(f: LiveFilter): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (f.events.length && f.events.length < LIVE_EVENT_TYPES.length) out.events = [...f.events];
  for (const k of ['type', 'status', 'project', ...LIVE_TEXT_KEYS] as const) {
    const v = f[k]?.split(',').map((s) => s.trim()).filter(Boolean);
    if (v?.length) out[k] = v;
  }
  return out;
}

/** ws:// or wss:// URL of /api/live for a page at `location`, with a stream ticket when there is one. */
export function liveUrl(location: { protocol: string; host: string }, ticket: string | null): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/live${ticket ? `?ticket=${encodeURIComponent(ticket)}` : ''}`;
}

export interface LiveEvent {
  id: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export interface LogCounts {
  /** Events received over the socket. */
  received: number;
  /** Dropped by the server before they were sent (its `events_dropped` errors). */
  droppedByServer: number;
  /** Dropped here: held while paused past the log's capacity. */
  droppedHere: number;
  /** Waiting to be shown (paused). */
  held: number;
}

/** The newest `capacity` events, newest first; while paused new events wait (bounded too) and are shown on resume. */
export class EventLog {
  private shown: LiveEvent[] = [];
  private waiting: LiveEvent[] = [];
  private paused = false;
  readonly counts: LogCounts = { received: 0, droppedByServer: 0, droppedHere: 0, held: 0 };

  constructor(readonly capacity = 500) {}

  get events(): readonly LiveEvent[] {
    return this.shown;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** The last event id seen (to resume after a reconnect). */
  lastId: number | null = null;

  add(e: LiveEvent): void {
    this.counts.received++;
    this.lastId = e.id;
    if (this.paused) {
      this.waiting.push(e);
      if (this.waiting.length > this.capacity) {
        this.waiting.shift();
        this.counts.droppedHere++;
      }
      this.counts.held = this.waiting.length;
      return;
    }
    this.shown = [e, ...this.shown].slice(0, this.capacity);
  }

  serverDropped(n: number): void {
    this.counts.droppedByServer += n;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.shown = [...this.waiting.reverse(), ...this.shown].slice(0, this.capacity);
    this.waiting = [];
    this.counts.held = 0;
  }

  clear(): void {
    this.shown = [];
    this.waiting = [];
    this.counts.held = 0;
  }
}
