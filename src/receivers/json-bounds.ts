/** Default for `limits.maxJsonDepth`: nesting of a whole JSON body, envelope included. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

type Container = Record<string, unknown> | unknown[];

const isContainer = (v: unknown): v is Container => v !== null && typeof v === 'object';

/**
 * Depth of the deepest array/object in a parsed JSON value, walked with an
 * explicit stack (no recursion, so no stack overflow however deep the
 * value), stopping at the first container deeper than `maxDepth`. The root
 * container is level 1; primitives add no level. Returns the path (as
 * segments) of the first container past the limit, or null when within it.
 */
function firstTooDeep(value: unknown, maxDepth: number): PropertyKey[] | null {
  if (!isContainer(value)) return null;
  // Fast pass: only containers are pushed, with their level; no paths kept.
  const stack: Container[] = [value];
  const levels: number[] = [1];
  let tooDeep = false;
  while (stack.length > 0) {
    const v = stack.pop()!;
    const level = levels.pop()!;
    if (level > maxDepth) {
      tooDeep = true;
      break;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c = v[i];
        if (isContainer(c)) {
          stack.push(c);
          levels.push(level + 1);
        }
      }
    } else {
      for (const k in v) {
        const c = v[k];
        if (isContainer(c)) {
          stack.push(c);
          levels.push(level + 1);
        }
      }
    }
  }
  if (!tooDeep) return null;
  // Slow pass, only on failure: the same walk keeping each container's parent, to name the path.
  interface Frame { v: Container; level: number; parent: Frame | null; key: PropertyKey }
  const frames: Frame[] = [{ v: value, level: 1, parent: null, key: '' }];
  while (frames.length > 0) {
    const f = frames.pop()!;
    if (f.level > maxDepth) {
      const path: PropertyKey[] = [];
      for (let p: Frame | null = f; p && p.parent; p = p.parent) path.push(p.key);
      return path.reverse();
    }
    if (Array.isArray(f.v)) {
      for (let i = 0; i < f.v.length; i++) {
        const c = f.v[i];
        if (isContainer(c)) frames.push({ v: c, level: f.level + 1, parent: f, key: i });
      }
    } else {
      for (const k in f.v) {
        const c = f.v[k];
        if (isContainer(c)) frames.push({ v: c, level: f.level + 1, parent: f, key: k });
      }
    }
  }
  return [];
}

/**
 * The field a problem belongs to: the path down to the first property of an
 * array element (`spans[0].input`, `[3].input_args`, `spans[0].attributes`),
 * rather than the 60-odd segments down to the container past the limit.
 * Without such a property, the path down to the first property (`provider`
 * of a single-object body), else the first segment.
 */
function fieldPath(path: PropertyKey[]): PropertyKey[] {
  for (let i = 1; i < path.length; i++) {
    if (typeof path[i] === 'string' && typeof path[i - 1] === 'number') return path.slice(0, i + 1);
  }
  const key = path.findIndex((p) => typeof p === 'string');
  return path.slice(0, key >= 0 ? key + 1 : 1);
}

/**
 * Checks a parsed JSON body against `maxDepth` levels of nesting before any
 * recursive code (zod, JSON.stringify, attribute walks) sees it. Returns
 * null within the limit, else the path of the field holding the too-deep
 * value. The depth counts the whole body, so the native envelope
 * `{"spans":[{...}]}` uses three levels of it.
 */
export function tooDeepField(value: unknown, maxDepth: number): PropertyKey[] | null {
  const deep = firstTooDeep(value, maxDepth);
  return deep === null ? null : fieldPath(deep);
}
