import { expect } from 'vitest';
import { waitLoaded, type TestServer } from './server.js';

/** One span of the native IngestPayload (lookspan-http-api.txt), as the read-side tests generate them. */
export interface NativeSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string | null;
  type: string;
  name: string;
  startedAt: number;
  endedAt: number;
  status?: 'ok' | 'error' | 'cancelled' | 'unset';
  agentName?: string;
  sessionId?: string;
  userId?: string;
  framework?: string;
  serviceName?: string;
  model?: string;
  provider?: string;
  toolName?: string;
  serverName?: string;
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
  input?: unknown;
  output?: unknown;
  attributes?: Record<string, unknown>;
}

/** A seeded PRNG (mulberry32): the generated data sets are the same at every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ingests spans through POST /api/ingest in batches and waits until they are queryable. */
export async function ingest(server: TestServer, spans: readonly NativeSpan[], projectId?: string, batch = 2000): Promise<void> {
  for (let i = 0; i < spans.length; i += batch) {
    const r = await fetch(`${server.httpUrl}/api/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans: spans.slice(i, i + batch), ...(projectId ? { projectId } : {}) }),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(((await r.json()) as { accepted: number }).accepted).toBe(Math.min(batch, spans.length - i));
  }
  await waitLoaded(server);
}

/** POST /api/storage/seal: every hot row moves into the Parquet lake. */
export async function seal(server: TestServer): Promise<void> {
  const r = await fetch(`${server.httpUrl}/api/storage/seal`, { method: 'POST' });
  expect(r.status).toBe(200);
  const s = (await (await fetch(`${server.httpUrl}/api/storage`)).json()) as { hot: { spans: number } };
  expect(s.hot.spans).toBe(0);
}

/** GET a JSON route: status and body. */
export async function getJson(server: TestServer, path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.httpUrl}${path}`);
  return { status: r.status, body: (await r.json()) as any };
}

/** Percentile by linear interpolation between closest ranks (numpy's default, DuckDB's quantile_cont). */
export function percentile(values: readonly number[], p: number): number {
  const xs = [...values].sort((a, b) => a - b);
  const h = (xs.length - 1) * p;
  const lo = Math.floor(h);
  return xs[lo] + (h - lo) * ((xs[Math.min(lo + 1, xs.length - 1)] ?? xs[lo]) - xs[lo]);
}
