import { isoToMicros } from './time.js';

/** What the layout needs of a span of GET /api/traces/:traceId (flat, start order, the tree as parentIndex). */
export interface TreeSpan {
  parentIndex: number | null;
  startedAt: string;
  endedAt: string;
}

/** One visible row of the span tree with its bar on the trace's timeline. */
export interface WaterfallRow {
  /** Index of the span in the trace's `spans`. */
  index: number;
  depth: number;
  childCount: number;
  collapsed: boolean;
  /** Start relative to the trace's first start, ms. */
  offsetMs: number;
  durationMs: number;
  /** Bar position and width in percent of the trace's span of time. */
  leftPct: number;
  widthPct: number;
}

export interface Waterfall {
  rows: WaterfallRow[];
  totalMs: number;
}

// A zero-length span still gets a visible tick.
const MIN_WIDTH_PCT = 0.3;

/**
 * The span tree in depth-first order (children in start order, as the API
 * lists them) with a waterfall bar per span. Descendants of a span in
 * `collapsed` are left out. A span whose parent is not stored is a root.
 * Depth is counted here, so a cycle in bad data cannot loop: each span is
 * visited once.
 */
export function layoutWaterfall(spans: readonly TreeSpan[], collapsed: ReadonlySet<number> = new Set()): Waterfall {
  const children: number[][] = spans.map(() => []);
  const roots: number[] = [];
  spans.forEach((s, i) => {
    const p = s.parentIndex;
    if (p !== null && p >= 0 && p < spans.length && p !== i) children[p].push(i);
    else roots.push(i);
  });
  const starts = spans.map((s) => isoToMicros(s.startedAt));
  const ends = spans.map((s, i) => Math.max(isoToMicros(s.endedAt), starts[i]));
  const t0 = spans.length ? Math.min(...starts) : 0;
  const t1 = spans.length ? Math.max(...ends) : 0;
  const totalUs = Math.max(t1 - t0, 1);
  const rows: WaterfallRow[] = [];
  const seen = new Set<number>();
  const visit = (i: number, depth: number) => {
    if (seen.has(i)) return;
    seen.add(i);
    const left = Math.min(((starts[i] - t0) / totalUs) * 100, 100 - MIN_WIDTH_PCT);
    const width = Math.min(Math.max(((ends[i] - starts[i]) / totalUs) * 100, MIN_WIDTH_PCT), 100 - left);
    rows.push({
      index: i, depth, childCount: children[i].length, collapsed: collapsed.has(i),
      offsetMs: (starts[i] - t0) / 1000, durationMs: (ends[i] - starts[i]) / 1000, leftPct: left, widthPct: width,
    });
    if (!collapsed.has(i)) for (const c of children[i]) visit(c, depth + 1);
  };
  for (const r of roots) visit(r, 0);
  // Spans only reachable through a cycle (bad parent ids) are still listed, as roots.
  spans.forEach((_, i) => {
    if (!seen.has(i) && !hiddenBy(i, spans, collapsed)) visit(i, 0);
  });
  return { rows, totalMs: (t1 - t0) / 1000 };
}

/** Whether an ancestor of `i` is collapsed (so `i` is hidden, not lost). */
function hiddenBy(i: number, spans: readonly TreeSpan[], collapsed: ReadonlySet<number>): boolean {
  const guard = new Set<number>();
  for (let p = spans[i].parentIndex; p !== null && p >= 0 && p < spans.length && !guard.has(p); p = spans[p].parentIndex) {
    if (collapsed.has(p)) return true;
    guard.add(p);
  }
  return false;
}

/** Evenly spaced tick labels for a timeline `totalMs` long: offsets in ms. */
export function timelineTicks(totalMs: number, count = 5): number[] {
  if (!(totalMs > 0)) return [0];
  return Array.from({ length: count + 1 }, (_, i) => (totalMs * i) / count);
}
