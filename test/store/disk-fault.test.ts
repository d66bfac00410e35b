import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ExportTraceServiceRequest } from '../../src/receivers/otlp/proto-root.js';
import { startChildServer, tempDir, waitFor, type ChildServer } from '../helpers/server.js';
import { rawTraceClient } from '../helpers/grpc.js';
import { WalWriter, type SealedSegment } from '../../src/store/wal/writer.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';

// A disk that refuses writes under a running server, then takes them again,
// without a restart. Two real kernel refusals, no stand-in for our code:
// - a file-size limit put on the running child with prlimit(1) (EFBIG: every
//   write past byte 1 of any file fails; Node ignores SIGXFSZ, so the write
//   returns the error); works without privileges, so it runs everywhere;
// - a small tmpfs as the data dir, filled by a filler file (ENOSPC); needs
//   mount(8), i.e. root with CAP_SYS_ADMIN, and is skipped where that fails.

const SPANS = 20;

interface DiskFill {
  code: string;
  dataDir: string;
  fill(child: ChildServer): Promise<void>;
  clear(child: ChildServer): Promise<void>;
  dispose(): Promise<void>;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}

async function fileSizeLimit(): Promise<DiskFill> {
  const dataDir = await tempDir('lookspan-diskfault-');
  // The hard limit stays unlimited, so lifting the soft one needs no privilege.
  const limit = (child: ChildServer, soft: string) => run('prlimit', [`--pid=${child.proc.pid}`, `--fsize=${soft}:unlimited`]);
  return {
    code: 'EFBIG',
    dataDir,
    fill: async (child) => limit(child, '1'),
    clear: async (child) => limit(child, 'unlimited'),
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/** A 64 MiB tmpfs, or null where mounting is not allowed. */
async function smallTmpfs(): Promise<DiskFill | null> {
  const mnt = await mkdtemp(path.join(tmpdir(), 'lookspan-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status !== 0) {
    await rm(mnt, { recursive: true, force: true });
    return null;
  }
  const dataDir = path.join(mnt, 'data');
  await mkdir(dataDir);
  const filler = path.join(mnt, 'filler');
  return {
    code: 'ENOSPC',
    dataDir,
    fill: async () => {
      const fd = openSync(filler, 'a');
      try {
        // Whole megabytes, then pages, until the last page is taken.
        for (const size of [1 << 20, 4096]) {
          const chunk = Buffer.alloc(size, 0x61);
          try {
            for (;;) writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    clear: async () => rm(filler, { force: true }),
    dispose: async () => {
      run('umount', [mnt]);
      await rm(mnt, { recursive: true, force: true });
    },
  };
}

let child: ChildServer | null = null;
let disk: DiskFill | null = null;
afterEach(async () => {
  if (child && child.proc.exitCode === null) {
    await disk?.clear(child).catch(() => {});
    child.proc.kill('SIGKILL');
    await child.exited;
  }
  child = null;
  await disk?.dispose();
  disk = null;
});

const health = async (c: ChildServer) => (await (await fetch(`${c.httpUrl}/api/health`)).json()) as any;
const seal = (c: ChildServer) => fetch(`${c.httpUrl}/api/storage/seal`, { method: 'POST' });

/** A metric's value from /metrics, e.g. `lookspan_store_disk_fault{stage="wal"}`. */
async function metric(c: ChildServer, series: string): Promise<number> {
  const text = await (await fetch(`${c.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`${series} not exposed`);
  return Number(line.slice(series.length + 1));
}

/** Every stored trace with its span count, from the API. */
async function storedTraces(c: ChildServer): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await (await fetch(`${c.httpUrl}/api/traces?limit=1000&offset=${offset}`)).json()) as any;
    for (const t of page.traces) {
      expect(seen.has(t.id), `trace ${t.id} listed twice`).toBe(false);
      seen.set(t.id, t.spanCount);
    }
    if (page.traces.length < 1000) break;
  }
  return seen;
}

async function scenario(d: DiskFill): Promise<void> {
  disk = d;
  // Segments are sealed by the first failed write, not by age, so the spans acknowledged
  // before the fault are still in the WAL when it begins and their load meets it too.
  const c = (child = await startChildServer(d.dataDir, { LOOKSPAN_SEGMENT_MAX_AGE_MS: '60000' }));
  const acked = new Map<string, number>();
  const send = async (traceId: string) => {
    const res = await postJson(`${c.httpUrl}/v1/traces`, otlpJsonTrace(traceId, SPANS));
    const body = (await res.json()) as any;
    if (res.status === 200 && !body.partialSuccess) acked.set(traceId, SPANS);
    return { res, body };
  };

  for (let i = 0; i < 3; i++) expect((await send(hexId(16))).res.status).toBe(200);

  // Full: ingest is refused with a retry hint, never acknowledged.
  await d.fill(c);
  const refused = hexId(16);
  const first = await send(refused);
  expect(first.res.status).toBe(503);
  expect(Number(first.res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(first.body.error.code).toBe('unavailable');
  expect(first.body.error.message).toContain(d.code);

  const grpcClient = rawTraceClient(c.grpcAddress);
  const grpcTrace = hexId(16);
  const { err } = await grpcClient.export(Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.from(grpcTrace, 'hex'), spanId: Buffer.from(hexId(8), 'hex'), name: 'x' }] }] }],
  })).finish()));
  grpcClient.close();
  expect(err?.code).toBe(grpc.status.UNAVAILABLE);
  expect(err?.details).toContain(d.code);
  // The retry hint: a google.rpc.Status with RetryInfo, as for RESOURCE_EXHAUSTED.
  expect(err?.metadata.get('grpc-status-details-bin')).toHaveLength(1);

  // Health says why: the WAL refuses writes, and the load of what it already holds fails too.
  const h = await waitFor(async () => {
    const x = await health(c);
    const stages = x.store.diskFaults.map((f: any) => f.stage);
    return stages.includes('wal') && stages.includes('load') ? x : null;
  }, 15_000);
  expect(h.status).toBe('error');
  expect(h.store.state).toBe('failed');
  const walFault = h.store.diskFaults.find((f: any) => f.stage === 'wal');
  expect(walFault.code).toBe(d.code);
  expect(Date.parse(walFault.since)).toBeLessThanOrEqual(Date.now());
  expect(walFault.failures).toBeGreaterThanOrEqual(1);
  expect(h.store.diskFaults.find((f: any) => f.stage === 'load').code).toBe(d.code);
  // Nothing acknowledged was lost or marked loaded: it waits in the WAL.
  expect(h.store.wal.lag.spans).toBe(3 * SPANS);
  expect((await fetch(`${c.httpUrl}/api/readiness`)).status).toBe(503);
  const sealWhileFull = await seal(c);
  expect(sealWhileFull.status).toBe(503);
  expect(sealWhileFull.headers.get('retry-after')).toBeTruthy();
  for (let i = 0; i < 2; i++) expect((await send(hexId(16))).res.status).toBe(503);
  expect(await metric(c, 'lookspan_store_disk_fault{stage="wal"}')).toBe(1);
  expect(await metric(c, 'lookspan_store_disk_write_failures_total{stage="load"}')).toBeGreaterThanOrEqual(1);

  // Cleared: the WAL takes writes again and the loader catches up, without a restart.
  await d.clear(c);
  await waitFor(async () => {
    const x = await health(c);
    return x.status === 'ok' && x.store.diskFaults.length === 0 && x.store.wal.lag.spans === 0;
  }, 30_000);
  expect(await metric(c, 'lookspan_store_disk_fault{stage="wal"}')).toBe(0);

  // Full again with hot rows and nothing waiting to load: the seal's Parquet write meets it.
  await d.fill(c);
  const sealFull = await seal(c);
  expect(sealFull.status).toBe(503);
  expect(((await sealFull.json()) as any).error.message).toContain(d.code);
  const hs = await health(c);
  expect(hs.status).toBe('degraded');
  expect(hs.store.diskFaults.map((f: any) => [f.stage, f.code])).toEqual([['seal', d.code]]);
  await d.clear(c);
  expect((await seal(c)).status).toBe(200);

  // The very request refused while full now succeeds, and so do new ones.
  expect((await send(refused)).res.status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await send(hexId(16))).res.status).toBe(200);
  expect((await seal(c)).status).toBe(200);
  const after = await health(c);
  expect(after.status).toBe('ok');
  expect(after.store.diskFaults).toEqual([]);

  // Every acknowledged span exactly once; nothing that was refused.
  expect(await storedTraces(c)).toEqual(acked);
  expect(acked.size).toBe(7);

  c.proc.kill('SIGTERM');
  expect(await c.exited).toBe(0);
}

describe('disk faults', () => {
  it('file-size limit (EFBIG): 503 / UNAVAILABLE while writes fail, health says why, recovery without restart, nothing acknowledged lost', async () => {
    await scenario(await fileSizeLimit());
  }, 60_000);

  it('full tmpfs (ENOSPC): the same, where mounting a tmpfs is allowed', async (ctx) => {
    const d = await smallTmpfs();
    if (!d) ctx.skip();
    await scenario(d!);
  }, 60_000);
});

describe('WalWriter disk faults', () => {
  const line = (i: number) => Buffer.from(JSON.stringify({ i }) + '\n');
  let walDir = '';
  afterEach(async () => {
    if (walDir) await rm(walDir, { recursive: true, force: true });
    walDir = '';
  });
  const writer = (sealed: SealedSegment[], syncDir?: (d: string) => Promise<void>) => new WalWriter({
    dir: walDir, nextSeq: 1, commitDelayMs: 2, segmentMaxBytes: 1 << 20, segmentMaxAgeMs: 60_000,
    onSealed: (s) => sealed.push(s), retry: { firstDelayMs: 20, maxDelayMs: 100 }, ...(syncDir ? { syncDir } : {}),
  });

  it('refuses appends while its directory is gone and takes them again, in a fresh segment, once it is back', async () => {
    walDir = await tempDir('lookspan-walfault-');
    const sealed: SealedSegment[] = [];
    const w = writer(sealed);
    await w.append(line(1), 1);
    await w.sealNow();
    await rm(walDir, { recursive: true });
    await expect(w.append(line(2), 1)).rejects.toThrow(/write-ahead log write failed: ENOENT/);
    expect(w.faults.current).toMatchObject({ stage: 'wal', operation: 'create', code: 'ENOENT' });
    // Refused at once while the fault lasts; the probe keeps failing.
    await expect(w.append(line(3), 1)).rejects.toThrow(/ENOENT .*retrying/);
    await waitFor(async () => (w.faults.current?.failures ?? 0) >= 3);
    await mkdir(walDir);
    await waitFor(async () => w.broken === null);
    await w.append(line(4), 1);
    await w.close();
    expect(sealed.map((s) => s.spans)).toEqual([1, 1]);
    // Segment 2 was taken by the failed create; nothing but the new segment is left behind.
    expect(await readdir(walDir)).toEqual(['000000000003.sealed']);
  });

  it('a seal whose directory fsync fails: the segment is not handed on until the fsync succeeds, then exactly once', async () => {
    walDir = await tempDir('lookspan-walfault-');
    const sealed: SealedSegment[] = [];
    let calls = 0;
    // The second directory fsync (after the rename) fails once, as EIO.
    const w = writer(sealed, async () => {
      calls++;
      if (calls === 2) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    await w.append(line(1), 1);
    await expect(w.sealNow()).rejects.toThrow(/EIO/);
    expect(sealed).toEqual([]);
    expect(w.unhanded).toMatchObject({ spans: 1, segments: 1 });
    expect(w.faults.current).toMatchObject({ operation: 'fsync', code: 'EIO' });
    await waitFor(async () => w.broken === null);
    expect(sealed.map((s) => [s.seq, s.spans])).toEqual([[1, 1]]);
    expect(w.unhanded.segments).toBe(0);
    await w.append(line(2), 1);
    await w.close();
    expect(sealed.map((s) => [s.seq, s.spans])).toEqual([[1, 1], [2, 1]]);
  });
});
