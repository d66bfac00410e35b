/** A small fetch client for the access tests: one request, its status, headers and parsed body. */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface CallOptions {
  key?: string;
  /** Send the key as X-API-Key instead of Authorization: Bearer. */
  asApiKey?: boolean;
  body?: unknown;
  headers?: Record<string, string>;
}

export function client(baseUrl: string) {
  return async function call(method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.key !== undefined) {
      if (opts.asApiKey) headers['x-api-key'] = opts.key;
      else headers.authorization = `Bearer ${opts.key}`;
    }
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      // Not JSON (metrics, SSE): the text as it came.
    }
    return { status: res.status, headers: res.headers, body };
  };
}

/** A static key of the configured form (16+ characters, no ":" or ","). */
export const staticKey = (name: string) => `${name}-${'k'.repeat(24)}`;
