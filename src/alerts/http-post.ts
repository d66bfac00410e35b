import http from 'node:http';
import https from 'node:https';
import { checkOutboundUrl, guardedLookup, type OutboundPolicy } from './outbound-url.js';

export interface PostResult {
  status: number;
  /** The first few KB of the answer (Slack explains a refusal in it). */
  body: string;
  /** From a Retry-After header in seconds, if any. */
  retryAfterSeconds: number | null;
}

/** A failure to deliver, classified once: `retryable` decides whether the delivery queue tries again. */
export class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly status: number | null = null, readonly retryAfterSeconds: number | null = null) {
    super(message);
  }
}

const MAX_ANSWER_BYTES = 4096;

/**
 * POSTs a JSON body to an outbound URL under the policy: the URL is
 * checked, every address the host resolves to is checked at connect time,
 * redirects are not followed, and the whole exchange has a deadline. Errors
 * name the host at most, never the URL (Slack's path is the credential).
 */
export function postJson(raw: string, body: string, headers: Record<string, string>, policy: OutboundPolicy, timeoutMs: number): Promise<PostResult> {
  let url: URL;
  try {
    url = checkOutboundUrl(raw, policy, 'url');
  } catch (err) {
    return Promise.reject(new DeliveryError((err as Error).message, false));
  }
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const req = lib.request(url, {
      method: 'POST',
      lookup: guardedLookup(policy),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'lookspan-alerts', ...headers },
      timeout: timeoutMs,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_ANSWER_BYTES) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const ra = Number(res.headers['retry-after']);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8'),
          retryAfterSeconds: Number.isFinite(ra) && ra >= 0 ? ra : null,
        });
      });
      res.on('error', (err) => reject(new DeliveryError(`reading the answer of ${url.host} failed: ${err.message}`, true)));
    });
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const blocked = err.code === 'EOUTBOUNDBLOCKED';
      reject(new DeliveryError(blocked ? `refused by alerts.outbound: ${err.message}` : `calling ${url.host} failed: ${err.message}`, !blocked));
    });
    req.end(body);
  });
}
