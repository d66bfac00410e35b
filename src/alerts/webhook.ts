import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a webhook delivery (docs/alerts.md "Webhook"). */
export const SIGNATURE_HEADER = 'x-lookspan-signature';
export const TIMESTAMP_HEADER = 'x-lookspan-timestamp';
export const EVENT_HEADER = 'x-lookspan-event';
export const DELIVERY_HEADER = 'x-lookspan-delivery';

/** `sha256=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the shared secret. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The signed headers of one attempt (each attempt signs with its own timestamp). */
export function signedHeaders(secret: string | null, event: string, deliveryId: string, body: string, nowMs = Date.now()): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return {
    [EVENT_HEADER]: event,
    [DELIVERY_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: String(ts),
    ...(secret ? { [SIGNATURE_HEADER]: signature(secret, ts, body) } : {}),
  };
}

/** What a receiver does: recompute and compare in constant time, and refuse stale timestamps. */
export function verifySignature(secret: string, header: string | undefined, timestamp: string | undefined, body: string, toleranceSeconds = 300, nowMs = Date.now()): boolean {
  if (!header || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const want = Buffer.from(signature(secret, Number(timestamp), body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
