import { describe, expect, it } from 'vitest';
import { EventLog, liveUrl, subscribeFilter, type LiveEvent } from '../../../ui/src/lib/live.js';

const ev = (id: number): LiveEvent => ({ id, type: 'span.ingested', at: '', data: {} });

describe('the live filter', () => {
  it('sends only the keys set, each as a list, and no event list when every type is wanted', () => {
    expect(subscribeFilter({ events: ['span.ingested', 'trace.updated', 'alert.triggered'] })).toEqual({});
    expect(subscribeFilter({ events: ['span.ingested'], agent: ' a , b ', model: '', status: 'error', project: 'p1' })).toEqual({
      events: ['span.ingested'], agent: ['a', 'b'], status: ['error'], project: ['p1'],
    });
  });

  it('opens the WebSocket on the page origin, with the ticket when there is one', () => {
    expect(liveUrl({ protocol: 'http:', host: '127.0.0.1:3100' }, null)).toBe('ws://127.0.0.1:3100/api/live');
    expect(liveUrl({ protocol: 'https:', host: 'ls.example' }, 'lst_a+b')).toBe('wss://ls.example/api/live?ticket=lst_a%2Bb');
  });
});

describe('the event log', () => {
  it('keeps the newest events first, bounded', () => {
    const log = new EventLog(3);
    for (let i = 1; i <= 5; i++) log.add(ev(i));
    expect(log.events.map((e) => e.id)).toEqual([5, 4, 3]);
    expect(log.counts.received).toBe(5);
    expect(log.lastId).toBe(5);
  });

  it('holds events while paused and shows them on resume; past its capacity it drops the oldest and counts them', () => {
    const log = new EventLog(3);
    log.add(ev(1));
    log.pause();
    for (let i = 2; i <= 6; i++) log.add(ev(i));
    expect(log.events.map((e) => e.id)).toEqual([1]);
    expect(log.counts).toMatchObject({ held: 3, droppedHere: 2, received: 6 });
    log.resume();
    expect(log.events.map((e) => e.id)).toEqual([6, 5, 4]);
    expect(log.counts.held).toBe(0);
    log.serverDropped(7);
    log.serverDropped(3);
    expect(log.counts.droppedByServer).toBe(10);
  });
});
