import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startChildServer, startTestServer, tempDir, waitFor, waitLoaded } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { walLine } from '../helpers/wal-line.js';

const SPANS_PER_TRACE = 20;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  const d = await tempDir('lookspan-durability-');
  dirs.push(d);
  return d;
}

/** Sends one trace per request from `workers` concurrent loops until stopped; returns the acknowledged trace ids. */
function sustainedIngest(url: string, workers = 4) {
  const acked: string[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const traceId = hexId(16);
      try {
        const res = await postJson(`${url}/v1/traces`, otlpJsonTrace(traceId, SPANS_PER_TRACE));
        if (res.status === 200) {
          const body = (await res.json()) as any;
          if (!body.partialSuccess) acked.push(traceId);
        } else {
          await res.arrayBuffer();
        }
      } catch {
        // Connection refused or reset once the server is gone: that request was never acknowledged.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return { acked, stop: async () => { running = false; await Promise.all(loops); } };
}

/** Asserts every acknowledged trace is stored whole and no trace holds duplicates. */
async function expectAllAcked(url: string, acked: string[]): Promise<void> {
  const seen = new Map<string, number>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await (await fetch(`${url}/api/traces?total=1&limit=1000&offset=${offset}`)).json()) as any;
    for (const t of page.traces) seen.set(t.id, t.spanCount);
    if (page.traces.length < 1000) break;
  }
  for (const id of acked) expect(seen.get(id), `acknowledged trace ${id}`).toBe(SPANS_PER_TRACE);
  for (const [, count] of seen) expect(count).toBeLessThanOrEqual(SPANS_PER_TRACE);
}

/** Restarts on `dir`, waits for the replay, checks every acknowledged trace, and stops cleanly. */
async function expectAllAckedAfterRestart(dir: string, acked: string[]): Promise<void> {
  const again = await startChildServer(dir);
  try {
    await waitLoaded(again, 30_000);
    await expectAllAcked(again.httpUrl, acked);
  } finally {
    again.proc.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  }
}

describe('durability', () => {
  it('keeps everything across a restart and never duplicates a re-sent batch', async () => {
    const dir = await newDir();
    const traceId = hexId(16);
    const batch = otlpJsonTrace(traceId, 5);
    let s = await startTestServer({}, dir);
    expect((await postJson(`${s.httpUrl}/v1/traces`, batch)).status).toBe(200);
    await waitLoaded(s);
    await s.dispose();

    s = await startTestServer({}, dir);
    try {
      const t = (await (await fetch(`${s.httpUrl}/api/traces/${traceId}`)).json()) as any;
      expect(t.spanCount).toBe(5);
      expect(t.spans).toHaveLength(5);
      // The same batch again, after the restart, and twice concurrently.
      const again = await Promise.all([1, 2].map(() => postJson(`${s.httpUrl}/v1/traces`, batch)));
      expect(again.map((r) => r.status)).toEqual([200, 200]);
      await waitLoaded(s);
      const t2 = (await (await fetch(`${s.httpUrl}/api/traces/${traceId}`)).json()) as any;
      expect(t2.spanCount).toBe(5);
      expect(t2.spans).toHaveLength(5);
      expect(t2.totalUsage.inputTokens).toBe(500);
    } finally {
      await s.dispose();
    }
  });

  it('recovers a WAL segment with a torn tail, keeping the complete records', async () => {
    const dir = await newDir();
    // Produce real WAL lines by running a server whose loader cannot keep up: stop it before loading.
    const src = await startTestServer({ pipeline: { segmentMaxAgeMs: 60_000 } }, dir);
    const traceId = hexId(16);
    expect((await postJson(`${src.httpUrl}/v1/traces`, otlpJsonTrace(traceId, 3))).status).toBe(200);
    const walDir = path.join(dir, 'wal');
    const open = (await readdir(walDir)).find((f) => f.endsWith('.open'))!;
    const { readFile } = await import('node:fs/promises');
    const content = await readFile(path.join(walDir, open));
    // Simulate a crash: keep the file as it is on disk, then stop without the graceful seal.
    await src.store.loader.stop();
    await src.store.db.close();
    await src.stop().catch(() => {});
    await rm(walDir, { recursive: true, force: true });
    await mkdir(walDir, { recursive: true });
    const torn = Buffer.concat([content, Buffer.from('{"project_id":"default","trace_id":"'), Buffer.alloc(64)]);
    await writeFile(path.join(walDir, '000000000099.open'), torn);

    const s = await startTestServer({}, dir);
    try {
      const t = (await (await fetch(`${s.httpUrl}/api/traces/${traceId}`)).json()) as any;
      expect(t.spanCount).toBe(3);
      const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(h.status).toBe('ok');
      // wal/logs/ is the log records' WAL (src/store/logs), empty here.
      expect(await readdir(walDir)).toEqual(['logs']);
      expect(await readdir(path.join(walDir, 'logs'))).toEqual([]);
    } finally {
      await s.dispose();
    }
  });

  it('loses no acknowledged span and duplicates none when SIGKILLed during sustained ingest', async () => {
    const dir = await newDir();
    const child = await startChildServer(dir);
    const load = sustainedIngest(child.httpUrl);
    await waitFor(async () => load.acked.length >= 30, 30_000);
    child.proc.kill('SIGKILL');
    await child.exited;
    await load.stop();
    expect(load.acked.length).toBeGreaterThan(0);

    await expectAllAckedAfterRestart(dir, load.acked);
  });

  it('SIGTERM during sustained ingest acknowledges what it accepted and exits 0 within 10 s', async () => {
    const dir = await newDir();
    const child = await startChildServer(dir);
    const load = sustainedIngest(child.httpUrl);
    await waitFor(async () => load.acked.length >= 30, 30_000);
    child.proc.kill('SIGTERM');
    // Exit code 0 means the drain finished inside the deadline: past
    // server.shutdownTimeoutSeconds (10 s) main.ts exits with 1.
    const code = await child.exited;
    await load.stop();
    expect(code).toBe(0);
    await expectAllAckedAfterRestart(dir, load.acked);
  });

  it('refuses a second process on the same data dir with a clear error', async () => {
    const dir = await newDir();
    const first = await startChildServer(dir);
    try {
      const second = startChildServer(dir);
      await expect(second).rejects.toThrow(/in use by another Lookspan process/);
    } finally {
      first.proc.kill('SIGTERM');
      expect(await first.exited).toBe(0);
    }
  });
});

describe('poison segments', () => {
  it('sets aside only the line DuckDB cannot load, loads the rest, and reports it in health', async () => {
    const dir = await newDir();
    const walDir = path.join(dir, 'wal');
    await mkdir(walDir, { recursive: true });
    const record = (traceId: string, extra: Record<string, unknown> = {}) => walLine(traceId, extra) + '\n';
    const bad = hexId(16);
    const good = hexId(16);
    await writeFile(path.join(walDir, '000000000001.sealed'), record(bad, { input_tokens: 'not a number' }));
    await writeFile(path.join(walDir, '000000000002.sealed'), record(good));

    const s = await startTestServer({}, dir);
    try {
      const t = (await (await fetch(`${s.httpUrl}/api/traces/${good}`)).json()) as any;
      expect(t.spanCount).toBe(1);
      expect((await fetch(`${s.httpUrl}/api/traces/${bad}`)).status).toBe(404);
      const h = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(h.status).toBe('degraded');
      expect(h.store.loader.quarantinedSegments).toBe(0);
      expect(h.store.quarantine).toMatchObject({ files: 1, spans: 1 });
      expect(h.store.quarantine.reasons[0]).toMatch(/input_tokens/);
      expect(await readdir(path.join(walDir, 'quarantine'))).toEqual(['000000000001.rejected.ndjson']);
    } finally {
      await s.dispose();
    }
  });
});
