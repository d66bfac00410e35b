/**
 * The broadcaster behind the pipeline: nothing is published before the
 * durable append resolves (the fsync; a client never sees a span a crash
 * could lose), feeding it only queues, a broadcaster that falls behind
 * drops its oldest pending work and tells its subscribers, and the replay
 * buffer keeps the newest events.
 */
import { describe, expect, it } from 'vitest';
import { Pipeline, type DurableSink } from '../../src/pipeline/ingest.js';
import { createCostModel } from '../../src/enrich/cost.js';
import { Broadcaster, type Subscriber } from '../../src/live/broadcaster.js';
import { CompiledFilter } from '../../src/live/filter.js';
import type { LiveEvent } from '../../src/live/events.js';
import { parseIngestPayload } from '../../src/receivers/native/ingest-payload.js';

/** A sink whose appends resolve only when the test says the fsync completed. */
class HeldSink implements DurableSink {
  readonly held: Array<() => void> = [];
  append(): Promise<void> {
    return new Promise((resolve) => this.held.push(resolve));
  }
  unloadedBytes(): number {
    return 0;
  }
  failure(): Error | null {
    return null;
  }
}

class Recorder implements Subscriber {
  readonly got: LiveEvent[] = [];
  missedTotal = 0;
  constructor(readonly filter = new CompiledFilter({})) {}
  deliver(e: LiveEvent): void {
    this.got.push(e);
  }
  flush(): void {}
  missed(n: number): void {
    this.missedTotal += n;
  }
}

/** Resolves after the broadcaster's setImmediate fan-out has had its turn. */
const turn = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

const payload = (ids: string[], projectId = 'p') => parseIngestPayload({
  projectId,
  spans: ids.map((id) => ({ traceId: 't1', spanId: id, name: id, startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z' })),
});

describe('Broadcaster', () => {
  it('publishes a batch only after its durable append resolved', async () => {
    const sink = new HeldSink();
    const pipeline = new Pipeline(sink, createCostModel(), {
      queueMaxSpans: 1000, walMaxUnloadedBytes: 1e9, retryAfterSeconds: 1, semconv: { payloadMaxBytes: 1024 },
      defaultProjectId: 'default',
    });
    const b = new Broadcaster({ replayEvents: 100, maxPendingEvents: 1000 });
    pipeline.onAccepted(b.acceptSpans);
    const r = new Recorder();
    b.subscribe(r);

    let acked = false;
    const request = pipeline.submitIngestPayload(payload(['a', 'b']), 'native_ingest').then(() => { acked = true; });
    await turn();
    expect(sink.held).toHaveLength(1);
    expect(r.got).toEqual([]);
    expect(acked).toBe(false);

    sink.held[0]();
    await request;
    // The listener ran before the ack resolved, but only queued: fan-out happens on a later turn.
    expect(r.got).toEqual([]);
    await turn();
    expect(r.got.map((e) => `${e.type}:${(e.data.spanId ?? e.data.traceId) as string}`)).toEqual(['span.ingested:a', 'span.ingested:b', 'trace.updated:t1']);
    expect(r.got[2].data).toMatchObject({ spans: 2, projectId: 'p' });
  });

  it('drops the oldest pending work past maxPendingEvents, counts it and tells subscribers', async () => {
    const b = new Broadcaster({ replayEvents: 100, maxPendingEvents: 5 });
    const r = new Recorder();
    b.subscribe(r);
    for (let i = 0; i < 8; i++) b.publish('alert.triggered', { project: 'p' }, { n: i });
    await turn();
    expect(b.counters.droppedPending).toBe(3);
    expect(r.missedTotal).toBe(3);
    expect(r.got.map((e) => e.data.n)).toEqual([3, 4, 5, 6, 7]);
  });

  it('indexes subscribers by project and replays the newest matching events', async () => {
    const b = new Broadcaster({ replayEvents: 4, maxPendingEvents: 100 });
    const onlyA = new Recorder(new CompiledFilter({ project: ['a'] }));
    const all = new Recorder();
    b.subscribe(onlyA);
    b.subscribe(all);
    const first = b.next;
    for (let i = 0; i < 6; i++) b.publish('alert.triggered', { project: i % 2 === 0 ? 'a' : 'b' }, { n: i });
    await turn();
    expect(onlyA.got.map((e) => e.data.n)).toEqual([0, 2, 4]);
    expect(all.got).toHaveLength(6);
    expect(all.got.map((e) => e.id)).toEqual([0, 1, 2, 3, 4, 5].map((i) => first + i));

    // The buffer keeps 4 (ids first+2 .. first+5): resuming from first+2 misses nothing.
    expect(b.replay(first + 2, new CompiledFilter({}), 10)).toMatchObject({ gap: false });
    expect(b.replay(first + 2, new CompiledFilter({}), 10).events.map((e) => e.data.n)).toEqual([3, 4, 5]);
    // From the start, events 0 and 1 are gone.
    expect(b.replay(first - 1, new CompiledFilter({ project: ['a'] }), 10)).toMatchObject({ gap: true });
    expect(b.replay(first - 1, new CompiledFilter({ project: ['a'] }), 10).events.map((e) => e.data.n)).toEqual([2, 4]);
    // At most `max`, the newest.
    expect(b.replay(first + 1, new CompiledFilter({}), 2).events.map((e) => e.data.n)).toEqual([4, 5]);

    b.unsubscribe(onlyA);
    b.publish('alert.triggered', { project: 'a' }, { n: 6 });
    await turn();
    expect(onlyA.got).toHaveLength(3);
    expect(all.got).toHaveLength(7);
    b.close();
    b.close();
  });
});
