/**
 * Caps one payload field at `maxBytes` of UTF-8. A cut payload is replaced by
 * a small JSON object that says so, so truncation is never silent and the
 * field stays valid JSON:
 *   {"lookspan_truncated":true,"original_bytes":N,"head":"<first bytes>"}
 */
export function capPayload(text: string | null, maxBytes: number): string | null {
  if (text === null) return null;
  // UTF-8 needs at most 3 bytes per UTF-16 code unit; most payloads end here
  // without measuring.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  return truncated(text, bytes, maxBytes);
}

const OVERHEAD = '{"lookspan_truncated":true,"original_bytes":,"head":""}'.length + 20;

function truncated(text: string, bytes: number, maxBytes: number): string {
  if (maxBytes < OVERHEAD + 16) {
    return `{"lookspan_truncated":true,"original_bytes":${bytes}}`;
  }
  let budget = maxBytes - OVERHEAD;
  // JSON escaping can grow the head (quotes, control chars), so shrink until it fits.
  for (;;) {
    const head = headBytes(text, budget);
    const out = `{"lookspan_truncated":true,"original_bytes":${bytes},"head":${JSON.stringify(head)}}`;
    const outBytes = Buffer.byteLength(out, 'utf8');
    if (outBytes <= maxBytes || budget <= 16) return out;
    budget -= Math.max(16, outBytes - maxBytes);
  }
}

/** The longest prefix of `text` within `n` UTF-8 bytes, never splitting a character. */
function headBytes(text: string, n: number): string {
  let s = text.slice(0, n);
  const last = s.charCodeAt(s.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= n) return s;
  s = buf.subarray(0, n).toString('utf8');
  // A cut multi-byte sequence decodes as U+FFFD at the end; drop it.
  while (s.endsWith('\uFFFD')) s = s.slice(0, -1);
  return s;
}

/** True when a stored payload is the truncation marker object. */
export function isTruncatedPayload(text: string | null): boolean {
  return text !== null && text.startsWith('{"lookspan_truncated":true');
}
