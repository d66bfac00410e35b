import { describe, expect, it } from 'vitest';
import { nestTree, spanTree } from '../../src/analysis/span-tree.js';

const items = (pairs: Array<[string, string | null]>) => pairs.map(([id, parentId]) => ({ id, parentId }));

describe('the span tree as a parent index', () => {
  it('points each span at its parent and counts depth', () => {
    const t = spanTree(items([['r', null], ['a', 'r'], ['b', 'a'], ['c', 'r'], ['d', 'b']]));
    expect(t.parentIndex).toEqual([null, 0, 1, 0, 2]);
    expect(t.depth).toEqual([0, 1, 2, 1, 3]);
  });

  it('shows a span whose parent is not stored as a root, and a child listed before its parent under it', () => {
    const t = spanTree(items([['x', 'missing'], ['child', 'late'], ['late', null]]));
    expect(t.parentIndex).toEqual([null, 2, null]);
    expect(t.depth).toEqual([0, 1, 0]);
  });

  it('cuts a parent chain that loops, so every span has a depth', () => {
    const t = spanTree(items([['a', 'c'], ['b', 'a'], ['c', 'b'], ['d', 'd'], ['e', 'a']]));
    expect(t.parentIndex.filter((p) => p === null)).toHaveLength(2);
    expect(t.depth.every((d) => Number.isInteger(d) && d >= 0 && d <= 3)).toBe(true);
    // Walking up from any span ends at a root.
    for (let i = 0; i < 5; i++) {
      let j: number | null = i;
      for (let steps = 0; j !== null; steps++) {
        expect(steps).toBeLessThan(5);
        j = t.parentIndex[j];
      }
    }
  });

  it('nests the same tree with children in list order', () => {
    const list = items([['r', null], ['a', 'r'], ['b', 'a'], ['c', 'r']]);
    const roots = nestTree(list, spanTree(list).parentIndex) as any[];
    expect(roots.map((n) => n.id)).toEqual(['r']);
    expect(roots[0].children.map((n: any) => n.id)).toEqual(['a', 'c']);
    expect(roots[0].children[0].children.map((n: any) => n.id)).toEqual(['b']);
  });
});
