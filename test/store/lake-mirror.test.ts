// The object-storage mirror against a real S3-protocol server (s3rver) on
// 127.0.0.1: every committed lake file goes up under the same key layout,
// an outage delays uploads but never ingest or seals, a restart resumes
// exactly the pending uploads, and objects of compacted or dropped files
// are deleted so the bucket reads every row once.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig, type LookspanConfigInput } from '../../src/config/index.js';
import { configSchema } from '../../src/config/schema.js';
import { startLookspan, type RunningLookspan } from '../../src/server.js';
import { startTestServer, tempDir, waitFor, waitLoaded } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { getJson, walkParquet } from '../helpers/lake.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { S3Bucket } from '../../src/store/lake/mirror-s3.js';
import { randomBytes } from 'node:crypto';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const PREFIX = 'lookspan/test';

/**
 * A TCP relay to the S3 server on a stable address that can go down: new
 * connections are refused and open ones cut (the SDK keeps connections
 * alive), as when the bucket's network goes away.
 */
async function relay(to: number): Promise<{ port: number; down(): void; up(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = net.connect(to, '127.0.0.1');
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const cut = () => {
    for (const sock of sockets) sock.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    down: () => {
      up = false;
      cut();
    },
    up: () => {
      up = true;
    },
    close: () => new Promise<void>((r) => {
      cut();
      server.close(() => r());
    }),
  };
}

function mirrorConfig(s3: { bucket: string }, endpoint: string, extra: Record<string, unknown> = {}) {
  return { enabled: true, bucket: s3.bucket, prefix: PREFIX, endpoint, forcePathStyle: true, deleteGraceSeconds: 0, ...extra };
}

/** Starts Lookspan on `dataDir` with a logger whose output the test can read. */
async function startLogged(dataDir: string, overrides: LookspanConfigInput, logs: string[]): Promise<RunningLookspan> {
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      server: { host: '127.0.0.1', httpPort: 0, grpcPort: 0 },
      storage: { dataDir, ...(overrides.storage ?? {}) },
      pipeline: { segmentMaxAgeMs: 100 },
    },
  });
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const running = await startLookspan(config, pino({ level: 'debug' }, sink));
  await running.store.waitReplayed();
  return running;
}

async function ingestTraces(url: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => hexId(16));
  for (const [i, id] of ids.entries()) expect((await postJson(`${url}/v1/traces`, otlpJsonTrace(id, 2 + i))).status).toBe(200);
  return ids;
}

async function seal(url: string): Promise<any> {
  const res = await fetch(`${url}/api/storage/seal`, { method: 'POST' });
  expect(res.status).toBe(200);
  return res.json();
}

/** Waits until the mirror has every committed file up and nothing left to delete; returns the status. */
async function mirrored(url: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(async () => {
    const b = (await getJson(`${url}/api/storage`)).body;
    const files = b.partitions.reduce((n: number, p: any) => n + p.files, 0);
    const m = b.mirror;
    return m.pending.files === 0 && m.awaitingDelete === 0 && m.inFlight === 0 && m.uploaded.files === files ? b : null;
  }, timeoutMs, 100);
}

/** The lake's committed files, relative (`spans/project_id=…/…`), from the catalog the server reports through its files on disk. */
async function lakeFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'lake');
  return (await walkParquet(root)).map((f) => path.relative(root, f).split(path.sep).join('/')).filter((f) => !f.startsWith('.')).sort();
}

/** Downloads every object under the prefix into `into` (the lake layout) and reads span counts and tokens with DuckDB alone. */
async function readBucket(s3: LocalS3, into: string) {
  const objects = await s3.list(`${PREFIX}/`);
  for (const o of objects) {
    const target = path.join(into, o.key.slice(PREFIX.length + 1));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, await s3.get(o.key));
  }
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const spans = path.join(into, 'spans', '**', '*.parquet');
    const traces = path.join(into, 'traces', '**', '*.parquet');
    const [row] = (await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS spans, count(DISTINCT (project_id, trace_id, span_id))::INTEGER AS distinct_spans,
              sum(input_tokens)::INTEGER AS input_tokens, count(DISTINCT trace_id)::INTEGER AS traces
       FROM read_parquet('${spans}', hive_partitioning = true)`,
    )).getRowObjectsJS();
    const [t] = (await conn.runAndReadAll(
      `SELECT count(DISTINCT trace_id)::INTEGER AS traces, sum(span_count)::INTEGER AS span_count FROM read_parquet('${traces}', hive_partitioning = true)`,
    )).getRowObjectsJS();
    return { keys: objects.map((o) => o.key), spans: row.spans, distinctSpans: row.distinct_spans, inputTokens: row.input_tokens, traces: row.traces, summaryTraces: t.traces, summarySpans: t.span_count };
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** What the API says: traces, spans and input tokens over every trace of the default project. */
async function apiNumbers(url: string) {
  const list = (await getJson(`${url}/api/traces?total=1&limit=1000`)).body;
  return {
    traces: list.total as number,
    spans: list.traces.reduce((n: number, t: any) => n + t.spanCount, 0),
    inputTokens: list.traces.reduce((n: number, t: any) => n + t.totalUsage.inputTokens, 0),
  };
}

describe('storage.mirror configuration', () => {
  it('is off by default, and on only with a bucket', async () => {
    expect(configSchema.parse({}).storage.mirror.enabled).toBe(false);
    const r = configSchema.safeParse({ storage: { mirror: { enabled: true } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['storage', 'mirror', 'bucket']);
    expect(configSchema.safeParse({ storage: { mirror: { enabled: true, bucket: 'b', prefix: '/x' } } }).success).toBe(false);
    expect(configSchema.safeParse({ storage: { mirror: { enabled: true, bucket: 'b', secretAccessKey: 'k' } } }).success).toBe(false);
    const s = await startTestServer();
    try {
      expect((await getJson(`${s.httpUrl}/api/storage`)).body.mirror).toEqual({ enabled: false });
    } finally {
      await s.dispose();
    }
  });
});

describe('the object-storage mirror (s3rver on 127.0.0.1)', () => {
  it('uploads a file larger than a part as a multipart upload, byte for byte', async () => {
    const s3 = await startLocalS3();
    const dir = await tempDir('lookspan-mirror-');
    dirs.push(dir);
    const bucket = new S3Bucket({ bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true }, 1024 * 1024);
    try {
      const file = path.join(dir, 'big.parquet');
      const body = randomBytes(2.5 * 1024 * 1024);
      await writeFile(file, body);
      const key = bucket.key('spans/project_id=default/date=2026-06-02/r-000000001-0.parquet');
      expect(key).toBe(`${PREFIX}/spans/project_id=default/date=2026-06-02/r-000000001-0.parquet`);
      expect((await bucket.put(key, file, new AbortController().signal)).bytes).toBe(body.length);
      expect(Buffer.from(await s3.get(key)).equals(body)).toBe(true);
      await bucket.delete(key, new AbortController().signal);
      expect(await s3.list(`${PREFIX}/`)).toEqual([]);
    } finally {
      bucket.close();
      await s3.stop();
    }
  });

  it('uploads every sealed file under the lake key layout; the objects, read with DuckDB alone, give the API numbers', async () => {
    const s3 = await startLocalS3();
    const dataDir = await tempDir('lookspan-mirror-');
    dirs.push(dataDir);
    const s = await startTestServer({ storage: { replica: 'm1', mirror: mirrorConfig(s3, s3.endpoint) } }, dataDir);
    try {
      await ingestTraces(s.httpUrl, 3);
      expect((await postJson(`${s.httpUrl}/api/ingest`, {
        projectId: 'team-b', spans: [{ traceId: 'nt1', spanId: 's1', name: 'agent.run', startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z', type: 'agent' }],
      })).status).toBe(200);
      await waitLoaded(s);
      await seal(s.httpUrl);
      await ingestTraces(s.httpUrl, 2);
      await waitLoaded(s);
      await seal(s.httpUrl);
      const status = await mirrored(s.httpUrl);
      const files = await lakeFiles(dataDir);
      expect(files.length).toBeGreaterThanOrEqual(6);
      expect(status.mirror).toMatchObject({
        enabled: true, target: { bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint }, failing: 0, lastError: null,
        uploaded: { files: files.length }, session: { uploadedFiles: files.length, failures: 0 },
      });

      const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
      expect(metrics).toContain(`lookspan_lake_mirror_uploaded_files_total ${files.length}\n`);
      expect(metrics).toContain('lookspan_lake_mirror_failing_files 0\n');

      const bucket = await readBucket(s3, path.join(dataDir, 'downloaded'));
      expect(bucket.keys).toEqual(files.map((f) => `${PREFIX}/${f}`).sort());
      for (const f of files) {
        const key = `${PREFIX}/${f}`;
        expect(Buffer.from(await s3.get(key)).equals(await readFile(path.join(dataDir, 'lake', f))), key).toBe(true);
      }
      const api = await apiNumbers(s.httpUrl);
      expect(api).toEqual({ traces: 5, spans: 2 + 3 + 4 + 2 + 3, inputTokens: (2 + 3 + 4 + 2 + 3) * 100 });
      // The bucket holds the default project's 5 traces and team-b's one.
      expect(bucket).toMatchObject({ spans: api.spans + 1, distinctSpans: api.spans + 1, inputTokens: api.inputTokens, traces: 6, summaryTraces: 6, summarySpans: api.spans + 1 });
    } finally {
      await s.dispose();
      await s3.stop();
    }
  }, 60_000);

  it('an outage delays uploads, never ingest or seals; uploads are retried, and a restart resumes only the pending ones', async () => {
    const s3 = await startLocalS3();
    const r = await relay(Number(new URL(s3.endpoint).port));
    const endpoint = `http://127.0.0.1:${r.port}`;
    const dataDir = await tempDir('lookspan-mirror-');
    dirs.push(dataDir);
    const overrides = { storage: { replica: 'm2', mirror: mirrorConfig(s3, endpoint) } };
    const logs: string[] = [];
    let s = await startLogged(dataDir, overrides, logs);
    let firstFiles: string[];
    try {
      await ingestTraces(s.httpUrl, 2);
      await waitLoaded(s);
      await seal(s.httpUrl);
      await mirrored(s.httpUrl);
      firstFiles = await lakeFiles(dataDir);

      // The bucket goes away: ingest is acknowledged and seals commit as before; the mirror reports what it cannot do.
      r.down();
      await ingestTraces(s.httpUrl, 2);
      await waitLoaded(s);
      const sealed = await seal(s.httpUrl);
      expect(sealed.sealed.traces).toBe(2);
      const failing = await waitFor(async () => {
        const m = (await getJson(`${s.httpUrl}/api/storage`)).body.mirror;
        return m.failing > 0 && m.inFlight === 0 ? m : null;
      }, 20_000, 100);
      const pendingFiles = (await lakeFiles(dataDir)).filter((f) => !firstFiles.includes(f));
      expect(failing.pending.files).toBe(pendingFiles.length);
      expect(failing.uploaded.files).toBe(firstFiles.length);
      expect(failing.lastError).toMatchObject({ op: 'upload' });
      expect(await (await fetch(`${s.httpUrl}/metrics`)).text()).toMatch(/^lookspan_lake_mirror_failing_files [1-9]/m);
      expect(pendingFiles).toContain(failing.lastError.path);
      expect((await getJson(`${s.httpUrl}/api/health`)).status).toBe(200);
    } finally {
      await s.stop();
    }
    expect(logs.join('')).toContain('lake mirror upload failed; will retry');
    // Credentials come from the SDK's chain; no log line carries them.
    expect(logs.join('')).not.toContain(process.env.AWS_SECRET_ACCESS_KEY);

    // Restarted with the bucket back: the pending files go up, the ones recorded as uploaded do not go up again.
    r.up();
    s = await startLogged(dataDir, overrides, logs);
    try {
      const status = await mirrored(s.httpUrl);
      const all = await lakeFiles(dataDir);
      expect(status.mirror.session.uploadedFiles).toBe(all.length - firstFiles.length);
      expect((await s3.list(`${PREFIX}/`)).map((o) => o.key)).toEqual(all.map((f) => `${PREFIX}/${f}`).sort());

      // An outage while running: the upload is retried with backoff and lands once the bucket is back.
      r.down();
      await ingestTraces(s.httpUrl, 1);
      await waitLoaded(s);
      await seal(s.httpUrl);
      await waitFor(async () => (await getJson(`${s.httpUrl}/api/storage`)).body.mirror.failing > 0, 20_000, 100);
      r.up();
      const after = await mirrored(s.httpUrl, 30_000);
      expect(after.mirror.failing).toBe(0);
      const bucket = await readBucket(s3, path.join(dataDir, 'downloaded'));
      expect(bucket.keys).toEqual((await lakeFiles(dataDir)).map((f) => `${PREFIX}/${f}`).sort());
      const api = await apiNumbers(s.httpUrl);
      expect({ traces: bucket.traces, spans: bucket.spans, inputTokens: bucket.inputTokens }).toEqual(api);
    } finally {
      await s.stop();
      await r.close();
      await s3.stop();
    }
  }, 60_000);

  it('deletes the objects of files a compaction replaced or retention dropped, after the files that replace them are up', async () => {
    const s3 = await startLocalS3();
    const dataDir = await tempDir('lookspan-mirror-');
    dirs.push(dataDir);
    // No periodic seal or retention during the test: the test drives them.
    const s = await startTestServer({ storage: { replica: 'm3', sealIntervalSeconds: 3600, retentionDays: 30, mirror: mirrorConfig(s3, s3.endpoint) } }, dataDir);
    try {
      for (let i = 0; i < 3; i++) {
        await ingestTraces(s.httpUrl, 2);
        await waitLoaded(s);
        await seal(s.httpUrl);
      }
      // One trace from long ago, in a partition retention drops.
      expect((await postJson(`${s.httpUrl}/api/ingest`, {
        spans: [{ traceId: 'old1', spanId: 's1', name: 'old', startedAt: '2020-01-02T10:00:00Z', endedAt: '2020-01-02T10:00:01Z', type: 'agent' }],
      })).status).toBe(200);
      await waitLoaded(s);
      await seal(s.httpUrl);
      await mirrored(s.httpUrl);
      const before = await lakeFiles(dataDir);
      expect(before.filter((f) => f.includes('date=2020-01-02'))).toHaveLength(2);

      const compact = await (await fetch(`${s.httpUrl}/api/storage/compact`, { method: 'POST' })).json() as any;
      expect(compact.compacted.filesBefore).toBeGreaterThan(compact.compacted.filesAfter);
      const dropped = await (await fetch(`${s.httpUrl}/api/storage/retention`, { method: 'POST' })).json() as any;
      expect(dropped.files).toBe(2);
      const status = await mirrored(s.httpUrl);
      expect(status.mirror.session.deletedObjects).toBe(compact.compacted.filesBefore + 2);

      const catalog = await s.store.db.withSnapshot(async (c) => (await c.runAndReadAll('SELECT path FROM lake_files ORDER BY path')).getRows().map((x) => `${PREFIX}/${String(x[0])}`));
      const bucket = await readBucket(s3, path.join(dataDir, 'downloaded'));
      expect(bucket.keys).toEqual(catalog.sort());
      expect(bucket.keys.some((k) => k.includes('date=2020-01-02'))).toBe(false);
      const api = await apiNumbers(s.httpUrl);
      expect(api.traces).toBe(6);
      expect({ traces: bucket.traces, spans: bucket.spans, distinctSpans: bucket.distinctSpans, inputTokens: bucket.inputTokens })
        .toEqual({ traces: api.traces, spans: api.spans, distinctSpans: api.spans, inputTokens: api.inputTokens });
    } finally {
      await s.dispose();
      await s3.stop();
    }
  }, 60_000);
});
