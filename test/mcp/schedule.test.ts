import { describe, expect, it } from 'vitest';
import { CheckSchedule } from '../../src/mcp/schedule.js';
import { Limiter } from '../../src/mcp/limiter.js';
import { waitFor } from '../helpers/server.js';

describe('CheckSchedule', () => {
  it('spreads each wait over [1 - jitter, 1 + jitter] of the interval', () => {
    const values = [0, 0.5, 1];
    let i = 0;
    const s = new CheckSchedule([], 0.2, async () => {}, () => values[i++]);
    expect([s.nextDelay(1000), s.nextDelay(1000), s.nextDelay(1000)]).toEqual([800, 1000, 1200]);
  });

  it('runs every server again after each check ends, never two of one server at once, and stops on close', async () => {
    const runs: string[] = [];
    let running = 0;
    let overlap = false;
    const s = new CheckSchedule([{ name: 'a', intervalMs: 5 }, { name: 'b', intervalMs: 5 }], 0.5, async (name) => {
      if (name === 'a') {
        overlap ||= running > 0;
        running++;
        await new Promise((r) => setTimeout(r, 20));
        running--;
      }
      runs.push(name);
      if (name === 'b') throw new Error('a failed check does not stop the schedule');
    });
    s.start();
    await waitFor(async () => runs.filter((n) => n === 'a').length >= 3 && runs.filter((n) => n === 'b').length >= 3);
    s.close();
    const after = runs.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(runs.length).toBeLessThanOrEqual(after + 1);
    expect(overlap).toBe(false);
  });
});

describe('Limiter', () => {
  it('runs at most max tasks at once, in arrival order, and refuses after close', async () => {
    const l = new Limiter(2);
    const order: number[] = [];
    const gates: Array<() => void> = [];
    const tasks = [0, 1, 2, 3, 4].map((i) => l.run(async () => {
      order.push(i);
      await new Promise<void>((r) => gates.push(r));
      return i;
    }));
    await waitFor(async () => gates.length === 2);
    expect(l.active).toBe(2);
    expect(l.queued).toBe(3);
    while (order.length < 5 || gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(l.peak).toBe(2);
    l.close();
    await expect(l.run(async () => 1)).rejects.toThrow('shutting down');
  });
});
