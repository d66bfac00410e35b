// Several replicas, one lake: two Lookspan servers with their own data dirs
// (WAL, DuckDB) seal into one shared lake directory (storage.lakeDir) and
// mirror into one bucket of a local S3 server. File names never clash,
// neither replica's start-up touches the other's files or staging, a third
// data dir cannot take a replica id already in use, and the offline CLI over
// the shared lake (and DuckDB over the bucket) returns the union exactly once.
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { ROOT, startTestServer, tempDir, waitFor, waitLoaded, type TestServer } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { getJson, walkParquet } from '../helpers/lake.js';
import { startLocalS3 } from '../helpers/s3.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The lake CLI as a child process, the way a user runs it; resolves with stdout (rejects on a non-zero exit). */
async function cli(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

// `ls` and `ls-1`: the first is a prefix of the second, as a StatefulSet's pod names can be.
const REPLICAS = ['ls', 'ls-1'] as const;
const PREFIX = 'shared';

/** Ingests `n` traces of distinct sizes over OTLP/JSON; returns trace id → span count. */
async function ingest(s: TestServer, n: number, first: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = hexId(16);
    expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(id, first + i))).status).toBe(200);
    out.set(id, first + i);
  }
  await waitLoaded(s);
  return out;
}

async function post(url: string): Promise<any> {
  const res = await fetch(url, { method: 'POST' });
  expect(res.status).toBe(200);
  return res.json();
}

/** Lake files (relative to the lake) by replica, from the file names. */
async function filesByReplica(lake: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const f of await walkParquet(lake)) {
    const rel = path.relative(lake, f).split(path.sep).join('/');
    if (rel.startsWith('.')) continue;
    const m = /^(spans|traces)\/project_id=[^/]+\/date=\d{4}-\d{2}-\d{2}\/(.+)-(\d{9})-(\d+)\.parquet$/.exec(rel);
    expect(m, rel).not.toBeNull();
    (out[m![2]] ??= []).push(rel);
  }
  return out;
}

async function catalog(s: TestServer): Promise<string[]> {
  return s.store.db.withSnapshot(async (c) => (await c.runAndReadAll('SELECT path FROM lake_files ORDER BY path')).getRows().map((r) => String(r[0])));
}

describe('two replicas sharing one lake directory and one bucket', () => {
  it('seal without clashing, leave each other alone, and the CLI reads the union exactly once', async () => {
    const lake = await tempDir('lookspan-shared-lake-');
    const data = [await tempDir('lookspan-replica-'), await tempDir('lookspan-replica-')];
    dirs.push(lake, ...data);
    const s3 = await startLocalS3();
    const config = (i: number) => ({
      storage: {
        replica: REPLICAS[i], lakeDir: lake, sealIntervalSeconds: 3600,
        mirror: { enabled: true, bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint, forcePathStyle: true, deleteGraceSeconds: 0 },
      },
    });
    let servers = [await startTestServer(config(0), data[0]), await startTestServer(config(1), data[1])];
    const expected = new Map<string, number>();
    try {
      // Two seals each: both replicas use seal seqs 1 and 2, so only the replica id keeps the names apart.
      const own: Array<Map<string, number>> = [new Map(), new Map()];
      for (let round = 0; round < 2; round++) {
        for (const [i, s] of servers.entries()) {
          for (const [t, n] of await ingest(s, 2, 2 + 3 * i + round)) own[i].set(t, n);
          expect((await post(`${s.httpUrl}/api/storage/seal`)).sealed.traces).toBe(2);
        }
      }
      for (const m of own) for (const [t, n] of m) expected.set(t, n);
      const spans = [...expected.values()].reduce((a, b) => a + b, 0);

      const byReplica = await filesByReplica(lake);
      expect(Object.keys(byReplica).sort()).toEqual([...REPLICAS].sort());
      const names = (r: string) => byReplica[r].map((f) => path.posix.basename(f).slice(r.length + 1));
      // Same seqs and part numbers on both sides: without the replica id in the name they would clash.
      expect(new Set(names('ls'))).toEqual(new Set(names('ls-1')));
      // Each replica's catalog names exactly its own files.
      for (const [i, s] of servers.entries()) expect(await catalog(s)).toEqual([...byReplica[REPLICAS[i]]].sort());
      // Each replica's API serves its own traces.
      for (const [i, s] of servers.entries()) expect((await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000`)).body.total).toBe(own[i].size);

      // Restart `ls` while `ls-1` has a seal staged: start-up clears only its own staging and removes no file of ls-1's.
      const staged = path.join(lake, '.tmp', 'replica-ls-1', 'seal-9');
      await mkdir(staged, { recursive: true });
      await writeFile(path.join(staged, 'in-progress.parquet'), 'x');
      await mkdir(path.join(lake, '.tmp', 'replica-ls', 'seal-9'), { recursive: true });
      await servers[0].stop();
      servers[0] = await startTestServer(config(0), data[0]);
      expect(await filesByReplica(lake)).toEqual(byReplica);
      expect(await readdir(staged)).toEqual(['in-progress.parquet']);
      expect(await readdir(path.join(lake, '.tmp'))).toEqual(['replica-ls-1']);
      await rm(path.join(lake, '.tmp', 'replica-ls-1'), { recursive: true });

      // A third data dir cannot take a replica id that seals into this lake.
      const intruder = await tempDir('lookspan-replica-');
      dirs.push(intruder);
      await expect(startTestServer(config(1), intruder)).rejects.toThrow(/storage\.replica .*"ls-1" is already used in the lake/);
      expect(await filesByReplica(lake)).toEqual(byReplica);

      // The CLI over the shared lake: every span of both replicas, each once.
      const [count] = JSON.parse(await cli(['--lake', lake, 'query', '--json', 'SELECT count(*) AS n, count(DISTINCT (project_id, trace_id, span_id)) AS d, count(DISTINCT trace_id) AS t FROM spans']));
      expect(count).toEqual({ n: spans, d: spans, t: expected.size });
      const traceRows = JSON.parse(await cli(['--lake', lake, 'query', '--json', 'SELECT trace_id, span_count FROM traces ORDER BY trace_id']));
      expect(new Map(traceRows.map((r: any) => [r.trace_id, Number(r.span_count)]))).toEqual(expected);
      const out = path.join(lake, '..', `${path.basename(lake)}-export.jsonl`);
      dirs.push(out);
      expect(await cli(['--lake', lake, 'export', '--out', out])).toContain(`${spans} rows written`);
      const exported = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(new Set(exported.map((r) => `${r.trace_id}/${r.span_id}`)).size).toBe(spans);
      const report = JSON.parse(await cli(['--lake', lake, 'storage', '--json']));
      expect(report.totals.spans.rows).toBe(spans);
      expect(report.replicas.map((r: any) => r.replica).sort()).toEqual([...REPLICAS].sort());

      // Both compact; once the replaced files are gone (at shutdown at the latest) the CLI still reads the union once.
      for (const s of servers) expect((await post(`${s.httpUrl}/api/storage/compact`)).compacted.partitions).toBeGreaterThan(0);
      // Both mirrors are done: one bucket holds both replicas' current files, no key twice.
      await waitFor(async () => {
        for (const s of servers) {
          const m = (await getJson(`${s.httpUrl}/api/storage`)).body.mirror;
          if (m.pending.files > 0 || m.awaitingDelete > 0 || m.inFlight > 0) return false;
        }
        return true;
      }, 20_000, 100);
      const current = [...await catalog(servers[0]), ...await catalog(servers[1])].sort();
      const keys = (await s3.list(`${PREFIX}/`)).map((o) => o.key);
      expect(keys).toEqual(current.map((f) => `${PREFIX}/${f}`));

      const download = await tempDir('lookspan-bucket-');
      dirs.push(download);
      for (const k of keys) {
        const target = path.join(download, k.slice(PREFIX.length + 1));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, await s3.get(k));
      }
      const inst = await DuckDBInstance.create(':memory:');
      const conn = await inst.connect();
      try {
        const [b] = (await conn.runAndReadAll(
          `SELECT count(*)::INTEGER AS n, count(DISTINCT (trace_id, span_id))::INTEGER AS d FROM read_parquet('${path.join(download, 'spans', '**', '*.parquet')}', hive_partitioning = true)`,
        )).getRowObjectsJS();
        expect(b).toEqual({ n: spans, d: spans });
      } finally {
        conn.closeSync();
        inst.closeSync();
      }
    } finally {
      for (const s of servers) await s.stop();
      await s3.stop();
    }
    servers = [];

    const [after] = JSON.parse(await cli(['--lake', lake, 'query', '--json', 'SELECT count(*) AS n, count(DISTINCT (trace_id, span_id)) AS d FROM spans']));
    const spans = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(after).toEqual({ n: spans, d: spans });
  }, 60_000);
});
