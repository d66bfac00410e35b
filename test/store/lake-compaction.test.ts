import { afterAll, describe, expect, it } from 'vitest';
import { copyFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, tempDir, waitLoaded, type TestServer } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { walkParquet, getJson } from '../helpers/lake.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const postEmpty = async (url: string) => {
  const res = await fetch(url, { method: 'POST' });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};

/** Everything the API answers for these traces: list (with its total), each detail, the span query, in both projects. */
async function apiView(url: string, traceIds: string[]) {
  const out: Record<string, unknown> = {};
  for (const p of ['default', 'team-b']) {
    out[`list/${p}`] = (await getJson(`${url}/api/traces?total=1&limit=1000&projectId=${p}`)).body;
    out[`spans/${p}`] = (await getJson(`${url}/api/traces/spans?total=1&limit=1000&projectId=${p}`)).body;
  }
  for (const id of traceIds) out[`detail/${id}`] = (await getJson(`${url}/api/traces/${id}`)).body;
  out['detail/team-b/nt1'] = (await getJson(`${url}/api/traces/nt1?projectId=team-b`)).body;
  return out;
}

const sealAll = async (s: TestServer) => postEmpty(`${s.httpUrl}/api/storage/seal`);
const native = (projectId: string, traceId: string, spanId: string, startedAt: string, parentSpanId?: string) => ({
  projectId,
  spans: [{ traceId, spanId, parentSpanId, name: 'agent.run', startedAt, endedAt: new Date(Date.parse(startedAt) + 1000).toISOString(), type: 'agent' }],
});

/** OTLP spans for an existing trace, under the trace's root (so the trace keeps one root). */
function lateSpans(traceId: string, n: number) {
  const body = otlpJsonTrace(traceId, n + 1);
  const spans = body.resourceSpans[0].scopeSpans[0].spans;
  spans.shift();
  for (const sp of spans) sp.parentSpanId = hexId(8);
  return body;
}

describe('lake compaction', () => {
  it('rewrites each partition as one file with identical API answers, drops a duplicate that reached the lake, survives a restart', async () => {
    const dir = await tempDir('lookspan-compact-');
    dirs.push(dir);
    let s = await startTestServer({ storage: { replica: 'r1', sealIntervalSeconds: 3600 } }, dir);
    const traces = [hexId(16), hexId(16), hexId(16), hexId(16)];
    let before: Record<string, unknown>;
    try {
      // Three seals into the same partitions; a late span for traces[0] makes a second partial summary.
      for (const [i, t] of traces.entries()) {
        expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(t, 3 + i, { model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini' }))).status).toBe(200);
        expect((await postJson(`${s.httpUrl}/api/ingest`, native('team-b', 'nt1', `s${i}`, '2026-06-02T10:00:0' + i + 'Z', i === 0 ? undefined : 's0'))).status).toBe(200);
        if (i === 0 || i === 2) {
          await waitLoaded(s);
          await sealAll(s);
        }
      }
      expect((await postJson(`${s.httpUrl}/v1/traces`, lateSpans(traces[0], 2))).status).toBe(200);
      await waitLoaded(s);
      await sealAll(s);
      before = await apiView(s.httpUrl, traces);
      expect((before[`detail/${traces[0]}`] as any).spanCount).toBe(5);
      expect((before['detail/team-b/nt1'] as any).spanCount).toBe(4);

      const storage = (await getJson(`${s.httpUrl}/api/storage`)).body;
      expect(storage.hot).toEqual({ spans: 0, traces: 0, logs: 0 });
      expect(storage.partitions.every((p: any) => p.files === 3)).toBe(true);
      expect(storage.partitions).toHaveLength(4);

      // A duplicate that reached the lake: a copy of a recorded span file under a new recorded name.
      await s.store.loader.exclusive(async () => {
        const conn = s.store.db.writer;
        const [rel] = (await conn.runAndReadAll(
          `SELECT path FROM lake_files WHERE kind = 'spans' AND project_id = 'default' ORDER BY path LIMIT 1`,
        )).getRows()[0].map(String);
        const copy = rel.replace(/r1-\d{9}-/, 'r1-000000900-');
        await copyFile(path.join(s.store.lake.root, rel), path.join(s.store.lake.root, copy));
        await conn.run(`INSERT INTO lake_files SELECT '${copy}', kind, project_id, date, rows, bytes, min_started_at, max_started_at, 900, now() FROM lake_files WHERE path = '${rel}'`);
        await s.store.lake.refresh(conn);
      });
      const doubled = (await getJson(`${s.httpUrl}/api/traces/spans?total=1&limit=1000`)).body;
      expect(doubled.total).toBeGreaterThan((before['spans/default'] as any).total);

      const res = await postEmpty(`${s.httpUrl}/api/storage/compact`);
      expect(res.compacted).toMatchObject({ partitions: 4, filesBefore: 13, filesAfter: 4 });
      expect(res.compacted.rowsRemoved).toBeGreaterThan(0);
      expect(res.storage.partitions).toHaveLength(4);
      expect(res.storage.partitions.every((p: any) => p.files === 1)).toBe(true);
      expect(res.storage.lastCompaction).toMatchObject({ partitions: 4, filesBefore: 13, filesAfter: 4 });
      expect(res.storage.lastSeal.traces).toBeGreaterThan(0);
      expect(await apiView(s.httpUrl, traces)).toEqual(before);

      // Nothing left to compact; a re-send of sealed spans still adds nothing (the dedup check reads the new file).
      expect((await postEmpty(`${s.httpUrl}/api/storage/compact`)).compacted).toMatchObject({ partitions: 0, filesBefore: 0, filesAfter: 0 });
      expect((await postJson(`${s.httpUrl}/api/ingest`, native('team-b', 'nt1', 's1', '2026-06-02T10:00:01Z', 's0'))).status).toBe(200);
      await waitLoaded(s);
      expect(await apiView(s.httpUrl, traces)).toEqual(before);
      expect((await getJson(`${s.httpUrl}/api/storage`)).body.hot.spans).toBe(0);

      // A seal after compaction gets a seq of its own (no name clash with the compacted files).
      expect((await postJson(`${s.httpUrl}/api/ingest`, native('team-b', 'nt2', 'x', '2026-06-02T11:00:00Z'))).status).toBe(200);
      await waitLoaded(s);
      expect((await sealAll(s)).sealed.traces).toBe(1);
      expect((await getJson(`${s.httpUrl}/api/traces/nt2?projectId=team-b`)).body.spanCount).toBe(1);
      before['list/team-b'] = (await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000&projectId=team-b`)).body;
      before['spans/team-b'] = (await getJson(`${s.httpUrl}/api/traces/spans?total=1&limit=1000&projectId=team-b`)).body;
      expect((before['list/team-b'] as any).total).toBe(2);
    } finally {
      await s.stop();
    }

    // On disk: one file per compacted partition (plus the later seal's), in the documented layout.
    const lake = path.join(dir, 'lake');
    const files = await walkParquet(lake);
    for (const f of files) expect(path.relative(lake, f)).toMatch(/^(spans|traces)\/project_id=[^/]+\/date=\d{4}-\d{2}-\d{2}\/r1-\d{9}-\d+\.parquet$/);
    expect(files).toHaveLength(6);

    // A crash after a compaction's commit leaves replaced files no record names: start-up removes them.
    const leftover = files.find((f) => f.includes(`${path.sep}spans${path.sep}project_id=default`))!;
    const stale = path.join(path.dirname(leftover), 'r1-000000001-0.parquet');
    await copyFile(leftover, stale);
    s = await startTestServer({ storage: { replica: 'r1', sealIntervalSeconds: 3600 } }, dir);
    try {
      expect(await readdir(path.dirname(leftover))).toEqual([path.basename(leftover)]);
      expect(await apiView(s.httpUrl, traces)).toEqual(before);
    } finally {
      await s.dispose();
    }
  });

  it('compacts a partition automatically once a seal leaves it with more than 8 files', async () => {
    const s = await startTestServer({ storage: { replica: 'r1', sealIntervalSeconds: 3600 } });
    try {
      for (let i = 0; i < 9; i++) {
        expect((await postJson(`${s.httpUrl}/api/ingest`, native('default', `t${i}`, 's', '2026-06-02T10:00:00Z'))).status).toBe(200);
        await waitLoaded(s);
        await sealAll(s);
        const parts = (await getJson(`${s.httpUrl}/api/storage`)).body.partitions;
        expect(parts.map((p: any) => p.files)).toEqual(i < 8 ? [i + 1, i + 1] : [1, 1]);
      }
      const list = (await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000`)).body;
      expect(list.total).toBe(9);
    } finally {
      await s.dispose();
    }
  });
});

describe('lake retention', () => {
  it('reports with dryRun what is older than retentionDays, then drops those partitions and hot rows', async () => {
    const dir = await tempDir('lookspan-retention-');
    dirs.push(dir);
    const s = await startTestServer({ storage: { replica: 'r1', retentionDays: 30, sealIntervalSeconds: 3600 } }, dir);
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const oldDate = old.slice(0, 10);
    try {
      const fresh = hexId(16);
      expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(fresh, 3))).status).toBe(200);
      expect((await postJson(`${s.httpUrl}/api/ingest`, native('default', 'old-sealed', 's', old))).status).toBe(200);
      expect((await postJson(`${s.httpUrl}/api/ingest`, native('team-b', 'old-b', 's', old))).status).toBe(200);
      await waitLoaded(s);
      await sealAll(s);
      // Still hot at retention time: one old trace and the fresh one's late span.
      expect((await postJson(`${s.httpUrl}/api/ingest`, native('default', 'old-hot', 's', old))).status).toBe(200);
      expect((await postJson(`${s.httpUrl}/v1/traces`, lateSpans(fresh, 1))).status).toBe(200);
      await waitLoaded(s);
      const listBefore = (await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000`)).body;
      expect(listBefore.total).toBe(3);
      const freshBefore = (await getJson(`${s.httpUrl}/api/traces/${fresh}`)).body;

      const dry = await postEmpty(`${s.httpUrl}/api/storage/retention?dryRun=1`);
      expect(dry.dryRun).toBe(true);
      expect(dry.retentionDays).toBe(30);
      expect(dry.partitions.map((p: any) => `${p.kind}/${p.projectId}/${p.date}`).sort()).toEqual(
        [`spans/default/${oldDate}`, `spans/team-b/${oldDate}`, `traces/default/${oldDate}`, `traces/team-b/${oldDate}`],
      );
      expect(dry.files).toBe(4);
      expect(dry.hot).toEqual({ spans: 1, traces: 1, logs: 0 });
      expect((await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000`)).body).toEqual(listBefore);
      expect((await getJson(`${s.httpUrl}/api/storage`)).body.partitions).toHaveLength(6);

      const real = await postEmpty(`${s.httpUrl}/api/storage/retention`);
      expect(real.dryRun).toBe(false);
      expect(real.partitions).toEqual(dry.partitions);
      expect(real.hot).toEqual({ spans: 1, traces: 1, logs: 0 });

      const list = (await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000`)).body;
      expect(list.total).toBe(1);
      expect(list.traces.map((t: any) => t.id)).toEqual([fresh]);
      expect((await getJson(`${s.httpUrl}/api/traces/old-sealed`)).status).toBe(404);
      expect((await getJson(`${s.httpUrl}/api/traces/old-hot`)).status).toBe(404);
      expect((await getJson(`${s.httpUrl}/api/traces/old-b?projectId=team-b`)).status).toBe(404);
      expect((await getJson(`${s.httpUrl}/api/traces/spans?total=1&limit=1000&projectId=team-b`)).body.total).toBe(0);
      expect((await getJson(`${s.httpUrl}/api/traces/${fresh}`)).body).toEqual(freshBefore);
      const storage = (await getJson(`${s.httpUrl}/api/storage`)).body;
      expect(storage.partitions.map((p: any) => p.date)).not.toContain(oldDate);
      expect(storage.hot.traces).toBe(1);

      // Nothing older is left.
      const again = await postEmpty(`${s.httpUrl}/api/storage/retention?dryRun=1`);
      expect(again).toMatchObject({ partitions: [], files: 0, hot: { spans: 0, traces: 0 } });
    } finally {
      await s.stop();
    }
    // The dropped files are deleted (after a grace period for reads in flight, at the latest at close), with their directories.
    const files = await walkParquet(path.join(dir, 'lake'));
    expect(files.filter((f) => f.includes(`date=${oldDate}`))).toEqual([]);
    expect(files).toHaveLength(2);
    expect(await readdir(path.join(dir, 'lake', 'spans'))).toEqual(['project_id=default']);
  });

  it('drops nothing when retentionDays is 0 (the default)', async () => {
    const s = await startTestServer({ storage: { sealIntervalSeconds: 3600 } });
    try {
      expect((await postJson(`${s.httpUrl}/api/ingest`, native('default', 'ancient', 's', '2020-01-01T00:00:00Z'))).status).toBe(200);
      await waitLoaded(s);
      await sealAll(s);
      const r = await postEmpty(`${s.httpUrl}/api/storage/retention`);
      expect(r).toMatchObject({ retentionDays: 0, horizon: null, partitions: [], files: 0 });
      expect((await getJson(`${s.httpUrl}/api/traces/ancient`)).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });
});
