/**
 * Exports stream: a 10k-trace export whose body is far larger than the
 * server's JavaScript heap limit completes, and the server's peak RSS
 * barely moves while it runs. The server runs as a child process with
 * --max-old-space-size=96: a body built up as JS strings (100 MB of JSON, on
 * top of the server's own heap) would end it with a heap out-of-memory
 * crash, and one built up in Buffers (outside the heap) would grow its peak
 * RSS by the body's size; garbage the collector has not reclaimed yet stays
 * within the heap limit.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, tempDir, waitFor, type ChildServer } from '../helpers/server.js';

const TRACES = 10_000;
const PAYLOAD = 'x'.repeat(8000);
const HEAP_MB = 96;

let dir: string;
let server: ChildServer;

/** Peak resident memory of the child since the last reset, kB (Linux /proc). */
const peakKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))![1]);

beforeAll(async () => {
  dir = await tempDir('lookspan-export-memory-');
  server = await startChildServer(dir, { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`, LOOKSPAN_DUCKDB_MEMORY_LIMIT: '256MB' });
  const t0 = Date.now() - 3_600_000;
  for (let b = 0; b < TRACES / 1000; b++) {
    const spans = Array.from({ length: 1000 }, (_, i) => {
      const n = b * 1000 + i;
      return { traceId: `mem-${String(n).padStart(5, '0')}`, spanId: 'r', type: 'llm_call', name: 'chat', startedAt: t0 + n, endedAt: t0 + n + 5, input: `${n} ${PAYLOAD}` };
    });
    const r = await fetch(`${server.httpUrl}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spans }) });
    expect(r.status).toBe(200);
  }
  await waitFor(async () => {
    const h = (await (await fetch(`${server.httpUrl}/api/health`)).json()) as any;
    return h.store.wal.lag.spans === 0 && h.store.loader.loadedSpans >= TRACES;
  }, 60_000);
}, 120_000);

afterAll(async () => {
  if (server && server.proc.exitCode === null) {
    server.proc.kill('SIGTERM');
    await server.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function download(query: string): Promise<{ status: number; headers: Headers; bytes: number; sha256: string }> {
  const r = await fetch(`${server.httpUrl}/api/export/traces?${query}`);
  const hash = createHash('sha256');
  let bytes = 0;
  // Consumed as it arrives: the test holds no copy either.
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { status: r.status, headers: r.headers, bytes, sha256: hash.digest('hex') };
}

describe('a 10k-trace export', () => {
  it('streams a JSON body larger than the heap limit, and peak memory grows by less than the body', async () => {
    const clearRefs = `/proc/${server.proc.pid}/clear_refs`;
    const measured = existsSync(clearRefs);
    // "5" resets the peak (VmHWM) to the current RSS.
    if (measured) writeFileSync(clearRefs, '5');
    const before = measured ? peakKb() : 0;
    const json = await download(`format=json&raw=1&limit=${TRACES}`);
    expect(json.status).toBe(200);
    expect(json.headers.get('x-lookspan-export-count')).toBe(String(TRACES));
    expect(json.headers.get('x-lookspan-export-truncated')).toBe('false');
    expect(json.bytes).toBeGreaterThan(TRACES * PAYLOAD.length);
    expect(json.bytes).toBeGreaterThan(HEAP_MB * 0.6 * 2 ** 20);
    if (measured) expect(peakKb() - before).toBeLessThan(json.bytes / 1024);
    // Alive, and the canonical CSV of the same traces has the hash the JSON carried.
    const csv = await download(`limit=${TRACES}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('x-lookspan-export-count')).toBe(String(TRACES));
    expect(csv.sha256).toBe(json.headers.get('x-lookspan-export-sha256'));
    expect(server.proc.exitCode).toBeNull();
  }, 120_000);
});
