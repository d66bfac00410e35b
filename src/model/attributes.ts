/**
 * Sets an own property by key. `__proto__` is a legal OTLP attribute key,
 * but plain assignment would replace the object's prototype instead of
 * storing it (and lose the value), so that one key is defined explicitly.
 */
export function setOwn(into: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}
