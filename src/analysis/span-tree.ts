/** A span's place in a list: its key and its parent's key (keys unique within the list). */
export interface TreeItem {
  id: string;
  parentId: string | null;
}

/**
 * The span tree of an ordered span list as a parent index: for each span
 * the index of its parent in the list (null for a root, or a parent that is
 * not in the list: an orphan is shown as a root rather than hidden) and its
 * depth. A parent chain that loops (only hostile or broken senders produce
 * one) is cut where it would close, so every span has a finite depth.
 */
export function spanTree(items: readonly TreeItem[]): { parentIndex: (number | null)[]; depth: number[] } {
  const index = new Map<string, number>();
  items.forEach((it, i) => {
    if (!index.has(it.id)) index.set(it.id, i);
  });
  const parentIndex: (number | null)[] = items.map((it) => {
    if (it.parentId === null) return null;
    const p = index.get(it.parentId);
    return p === undefined || p === index.get(it.id) ? null : p;
  });
  const depth: number[] = new Array(items.length).fill(-1);
  for (let i = 0; i < items.length; i++) {
    if (depth[i] >= 0) continue;
    // Walk up to a span of known depth (or a root), then fill the path back down.
    const path: number[] = [];
    const onPath = new Set<number>();
    let j: number | null = i;
    while (j !== null && depth[j] < 0 && !onPath.has(j)) {
      path.push(j);
      onPath.add(j);
      j = parentIndex[j];
    }
    if (j !== null && onPath.has(j)) {
      // A loop: the span that closes it becomes a root.
      const last = path[path.length - 1];
      parentIndex[last] = null;
      j = null;
    }
    let d = j === null ? -1 : depth[j];
    for (let k = path.length - 1; k >= 0; k--) depth[path[k]] = ++d;
  }
  return { parentIndex, depth };
}

/** Nests `nodes` by a parent index: the roots, each with its `children` (in list order). */
export function nestTree<T extends object>(nodes: readonly T[], parentIndex: readonly (number | null)[]): Array<T & { children: unknown[] }> {
  const out = nodes.map((n) => ({ ...n, children: [] as unknown[] }));
  const roots: Array<T & { children: unknown[] }> = [];
  out.forEach((n, i) => {
    const p = parentIndex[i];
    if (p === null) roots.push(n);
    else out[p].children.push(n);
  });
  return roots;
}
