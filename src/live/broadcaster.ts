import type { SpanDigest } from '../pipeline/normalize.js';
import { BoundedQueue } from './bounded-queue.js';
import { LiveEvent, spanData, spanKeys, toolCallSpanData, traceKeys, traceUpdates, type EventKeys, type LiveEventType } from './events.js';
import type { CompiledFilter } from './filter.js';

/** A live client as the broadcaster sees it: a filter and a bounded buffer of its own. */
export interface Subscriber {
  readonly filter: CompiledFilter;
  /** Takes one matching event into the client's own bounded buffer; never writes to the socket. */
  deliver(e: LiveEvent): void;
  /** Writes what `deliver` buffered, as far as the socket takes it now. */
  flush(): void;
  /** The broadcaster dropped `n` events before fan-out (it fell behind ingest); the client is told its way. */
  missed(n: number): void;
}

export interface BroadcasterOptions {
  /** Recent events kept for Last-Event-ID resume. */
  replayEvents: number;
  /** Events waiting for fan-out; past it the oldest are dropped and counted. */
  maxPendingEvents: number;
  /** Milliseconds of fan-out per turn of the event loop before yielding to I/O (the ingest path). */
  sliceMs?: number;
  /**
   * Most of the event loop's time fan-out may take while it is behind (default 0.25): after a full
   * slice it waits three slices' time, so ingest keeps the rest; what cannot be fanned out within
   * that share piles up to `maxPendingEvents` and is dropped from there (counted, clients told).
   */
  share?: number;
}

export interface BroadcasterCounters {
  /** Events fanned out, by type. */
  published: Record<LiveEventType, number>;
  /** Events dropped before fan-out because fan-out fell behind. */
  droppedPending: number;
}

type Pending =
  | { kind: 'spans'; spans: readonly SpanDigest[] }
  | { kind: 'event'; type: LiveEventType; keys: EventKeys; data: Record<string, unknown>; langsight: (() => { event: string; data: unknown }) | null };

const pendingSize = (p: Pending) => (p.kind === 'spans' ? p.spans.length : 1);

/**
 * The one broadcaster: fed by the pipeline after a batch is durable and by
 * the alerter, it numbers events, keeps the last few for resume and hands
 * each to the subscribers whose filter matches. Feeding only queues (O(1)
 * on the ingest path); fan-out runs later on the event loop in slices of a
 * few milliseconds, so requests waiting for their ack interleave with it.
 * A subscriber only buffers what it is given; what a slow client does with
 * its buffer (drop the oldest, or close) is its own policy.
 */
export class Broadcaster {
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private pendingEvents = 0;
  private missedSinceFanOut = 0;
  private readonly ring: BoundedQueue<LiveEvent>;
  /** Ids grow across restarts too (a resuming client's Last-Event-ID from the previous process is older than every new id). */
  private nextId = Date.now() * 1000 + 1;
  private readonly everyProject = new Set<Subscriber>();
  private readonly byProject = new Map<string, Set<Subscriber>>();
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;
  private closed = false;
  private readonly sliceMs: number;
  readonly counters: BroadcasterCounters = {
    published: { 'span.ingested': 0, 'trace.updated': 0, 'alert.triggered': 0, 'health.check': 0 },
    droppedPending: 0,
  };

  constructor(private readonly opts: BroadcasterOptions) {
    this.ring = new BoundedQueue(opts.replayEvents);
    this.sliceMs = opts.sliceMs ?? 4;
  }

  /** Subscribers attached now. */
  get size(): number {
    let n = this.everyProject.size;
    for (const s of this.byProject.values()) n += s.size;
    return n;
  }

  /** The id the next event will get; an id below it has been published or dropped. */
  get next(): number {
    return this.nextId;
  }

  /** The pipeline's `onAccepted` listener: called after the fsync, only queues. */
  readonly acceptSpans = (spans: readonly SpanDigest[]): void => {
    if (this.closed || spans.length === 0) return;
    this.enqueue({ kind: 'spans', spans });
  };

  /** Queues one event of another source (alerts, MCP server health). */
  publish(type: LiveEventType, keys: EventKeys, data: Record<string, unknown>, langsight: (() => { event: string; data: unknown }) | null = null): void {
    if (this.closed) return;
    this.enqueue({ kind: 'event', type, keys, data, langsight });
  }

  subscribe(s: Subscriber): void {
    const p = s.filter.project;
    if (p === null) {
      this.everyProject.add(s);
      return;
    }
    let set = this.byProject.get(p);
    if (!set) this.byProject.set(p, (set = new Set()));
    set.add(s);
  }

  unsubscribe(s: Subscriber): void {
    if (this.everyProject.delete(s)) return;
    const p = s.filter.project;
    if (p === null) return;
    const set = this.byProject.get(p);
    if (set?.delete(s) && set.size === 0) this.byProject.delete(p);
  }

  /**
   * Recent events after `afterId` that `filter` matches, the newest `max`
   * of them (older ones are dropped, as a slow client's would be). `gap` is
   * true when events after `afterId` have left the replay buffer.
   */
  replay(afterId: number, filter: CompiledFilter, max: number): { events: LiveEvent[]; gap: boolean } {
    const out = new BoundedQueue<LiveEvent>(max);
    let oldest: number | null = null;
    let dropped = false;
    for (const e of this.ring) {
      oldest ??= e.id;
      if (e.id <= afterId || !filter.matches(e)) continue;
      if (out.push(e) !== undefined) dropped = true;
    }
    // Ids are consecutive, so a gap means the event right after afterId is no longer kept.
    const gap = dropped || (afterId + 1 < (oldest ?? this.nextId));
    return { events: out.drain(), gap };
  }

  /** Stops fan-out and forgets every subscriber; safe to call twice. */
  close(): void {
    this.closed = true;
    if (this.scheduled) {
      clearImmediate(this.scheduled as NodeJS.Immediate);
      clearTimeout(this.scheduled as NodeJS.Timeout);
    }
    this.scheduled = null;
    this.pending.length = 0;
    this.pendingHead = 0;
    this.everyProject.clear();
    this.byProject.clear();
  }

  private enqueue(p: Pending): void {
    this.pending.push(p);
    this.pendingEvents += pendingSize(p);
    // Bounded like every queue here: past the bound the oldest work goes, counted, and clients are told.
    while (this.pendingEvents > this.opts.maxPendingEvents && this.pendingHead < this.pending.length - 1) {
      const old = this.pending[this.pendingHead++];
      const n = pendingSize(old);
      this.pendingEvents -= n;
      this.missedSinceFanOut += n;
      this.counters.droppedPending += n;
    }
    this.scheduled ??= setImmediate(this.fanOut);
  }

  private readonly fanOut = (): void => {
    this.scheduled = null;
    if (this.closed) return;
    const dirty = new Set<Subscriber>();
    if (this.missedSinceFanOut > 0) {
      const n = this.missedSinceFanOut;
      this.missedSinceFanOut = 0;
      this.forEachSubscriber((s) => {
        s.missed(n);
        dirty.add(s);
      });
    }
    const started = performance.now();
    const deadline = started + this.sliceMs;
    while (this.pendingHead < this.pending.length && performance.now() < deadline) {
      const p = this.pending[this.pendingHead++];
      this.pendingEvents -= pendingSize(p);
      if (p.kind === 'spans') {
        for (const s of p.spans) {
          this.emit(new LiveEvent(this.nextId++, 'span.ingested', () => spanKeys(s), () => spanData(s), () => ({ event: 'span:new', data: toolCallSpanData(s) })), dirty);
        }
        for (const u of traceUpdates(p.spans)) {
          this.emit(new LiveEvent(this.nextId++, 'trace.updated', traceKeys(u), u as unknown as Record<string, unknown>), dirty);
        }
      } else {
        this.emit(new LiveEvent(this.nextId++, p.type, p.keys, p.data, p.langsight), dirty);
      }
    }
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    } else if (this.pendingHead > 1024) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    for (const s of dirty) s.flush();
    if (this.pendingHead < this.pending.length) {
      // Still behind after a full slice (its writes included): rest long enough to keep to the share.
      const spent = performance.now() - started;
      const share = this.opts.share ?? 0.25;
      this.scheduled = setTimeout(this.fanOut, Math.max(1, spent * (1 - share) / share));
    }
  };

  private emit(e: LiveEvent, dirty: Set<Subscriber>): void {
    this.ring.push(e);
    this.counters.published[e.type]++;
    // Nobody following: the event is only kept for resume, and its keys and data are built if one asks.
    if (this.everyProject.size === 0 && this.byProject.size === 0) return;
    const deliver = (s: Subscriber) => {
      if (!s.filter.matches(e)) return;
      s.deliver(e);
      dirty.add(s);
    };
    for (const s of this.everyProject) deliver(s);
    const project = e.keys.project;
    if (project != null) {
      const set = this.byProject.get(project);
      if (set) for (const s of set) deliver(s);
    }
  }

  private forEachSubscriber(fn: (s: Subscriber) => void): void {
    for (const s of this.everyProject) fn(s);
    for (const set of this.byProject.values()) for (const s of set) fn(s);
  }
}
