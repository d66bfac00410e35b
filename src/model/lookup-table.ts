/**
 * A constant lookup table keyed by sender-supplied strings, without a
 * prototype: with a plain object literal, a value such as "constructor" or
 * "toString" finds an Object.prototype member instead of nothing (found by
 * the fuzz suite: `gen_ai.operation.name = "constructor"` produced a span
 * type the store could not load).
 */
export function lookupTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
