import { apiKey, project } from './credentials.js';

/** An error answer of the API (`{error: {code, message}}`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Headers every API call carries: the key entered in Settings and the chosen project. */
export function authHeaders(): Record<string, string> {
  const h: Record<string, string> = {};
  const k = apiKey();
  if (k) h.Authorization = `Bearer ${k}`;
  const p = project();
  if (p) h['X-Lookspan-Project'] = p;
  return h;
}

async function failure(r: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = `${r.status} ${r.statusText}`;
  try {
    const body = (await r.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.code) code = body.error.code;
  } catch {
    // Not JSON: the status line says enough.
  }
  return new ApiError(r.status, code, message);
}

/** A fetch of this origin's API with the page's credentials; a non-2xx answer throws ApiError. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let r: Response;
  try {
    r = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string> | undefined) }, credentials: 'same-origin' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', `Lookspan did not answer (${(err as Error).message})`);
  }
  if (!r.ok) throw await failure(r);
  return r;
}

/** GET (or another method with a JSON body) and the JSON answer. */
export async function api<T>(path: string, opts: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const r = await apiFetch(path, {
    method: opts.method ?? 'GET',
    signal: opts.signal,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body), headers: { 'Content-Type': 'application/json' } }),
  });
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}
