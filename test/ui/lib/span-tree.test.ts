import { describe, expect, it } from 'vitest';
import { layoutWaterfall, timelineTicks, type TreeSpan } from '../../../ui/src/lib/span-tree.js';

const at = (ms: number) => new Date(Date.parse('2026-06-02T10:00:00Z') + ms).toISOString();
const span = (parentIndex: number | null, start: number, end: number): TreeSpan => ({ parentIndex, startedAt: at(start), endedAt: at(end) });

describe('the span tree and waterfall', () => {
  // root(0..1000) ─ a(100..400) ─ a1(150..200)
  //               └ b(500..1000)
  // plus an orphan (parent not stored) at 200..300, listed in start order by the API.
  const spans = [span(null, 0, 1000), span(0, 100, 400), span(1, 150, 200), span(null, 200, 300), span(0, 500, 1000)];

  it('lists spans depth first, children in start order, with bars on the trace time axis', () => {
    const wf = layoutWaterfall(spans);
    expect(wf.totalMs).toBe(1000);
    expect(wf.rows.map((r) => [r.index, r.depth, r.childCount])).toEqual([[0, 0, 2], [1, 1, 1], [2, 2, 0], [4, 1, 0], [3, 0, 0]]);
    const b = wf.rows.find((r) => r.index === 4)!;
    expect(b.leftPct).toBe(50);
    expect(b.widthPct).toBe(50);
    expect(b.offsetMs).toBe(500);
    expect(wf.rows.find((r) => r.index === 2)).toMatchObject({ leftPct: 15, widthPct: 5, durationMs: 50 });
  });

  it('hides the descendants of a collapsed span', () => {
    const wf = layoutWaterfall(spans, new Set([1]));
    expect(wf.rows.map((r) => r.index)).toEqual([0, 1, 4, 3]);
    expect(wf.rows[1].collapsed).toBe(true);
    expect(layoutWaterfall(spans, new Set([0])).rows.map((r) => r.index)).toEqual([0, 3]);
  });

  it('gives a zero-length span a visible bar that stays inside the axis', () => {
    const wf = layoutWaterfall([span(null, 0, 1000), span(0, 1000, 1000)]);
    const tick = wf.rows[1];
    expect(tick.widthPct).toBeGreaterThan(0);
    expect(tick.leftPct + tick.widthPct).toBeLessThanOrEqual(100);
  });

  it('survives a parent cycle in bad data: every span is listed once', () => {
    const cyclic = [span(1, 0, 10), span(0, 1, 5), span(null, 2, 3)];
    const rows = layoutWaterfall(cyclic).rows.map((r) => r.index);
    expect([...rows].sort()).toEqual([0, 1, 2]);
  });

  it('handles an empty trace and places ticks along it', () => {
    expect(layoutWaterfall([]).rows).toEqual([]);
    expect(timelineTicks(1000, 4)).toEqual([0, 250, 500, 750, 1000]);
    expect(timelineTicks(0)).toEqual([0]);
  });
});
