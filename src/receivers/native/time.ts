/** Microseconds since the epoch from an ISO 8601 string or epoch milliseconds. */
export function toMicros(v: string | number): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  const ms = Date.parse(v);
  // Keep sub-millisecond digits that Date drops.
  const frac = /\.(\d{4,6})/.exec(v);
  const extra = frac ? Number(frac[1].slice(3).padEnd(3, '0')) : 0;
  return ms * 1000 + extra;
}
