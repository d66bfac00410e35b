import { afterAll, describe, expect, it } from 'vitest';
import { readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestServer, tempDir, waitLoaded } from '../helpers/server.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { walkParquet, getJson } from '../helpers/lake.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** What the API answers for the traces: list, detail of each, span query; compared before and after a seal. */
async function apiView(url: string, traceIds: string[]) {
  const list = (await getJson(`${url}/api/traces?total=1&limit=1000`)).body;
  const details = [];
  for (const id of traceIds) details.push((await getJson(`${url}/api/traces/${id}`)).body);
  const spans = (await getJson(`${url}/api/traces/spans?total=1&limit=1000`)).body;
  return { list, details, spans };
}

describe('the Parquet lake', () => {
  it('seals hot rows into hive-partitioned Parquet with identical API answers, across a restart; a re-send adds nothing', async () => {
    const dir = await tempDir('lookspan-lake-');
    dirs.push(dir);
    let s = await startTestServer({ storage: { replica: 'r1' } }, dir);
    const traces = [hexId(16), hexId(16), hexId(16)];
    const bodies = traces.map((t, i) => otlpJsonTrace(t, 4 + i, { model: i === 0 ? 'gpt-4o' : 'gpt-4o-mini' }));
    let before;
    try {
      for (const b of bodies) expect((await postJson(`${s.httpUrl}/v1/traces`, b)).status).toBe(200);
      // A native trace in another project, to exercise partitioning.
      expect((await postJson(`${s.httpUrl}/api/ingest`, {
        projectId: 'team-b', spans: [{ traceId: 'nt1', spanId: 's1', name: 'agent.run', startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z', type: 'agent' }],
      })).status).toBe(200);
      await waitLoaded(s);
      before = await apiView(s.httpUrl, traces);

      const sealed = (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' }).then((r) => r.json())) as any;
      expect(sealed.sealed.traces).toBe(4);
      expect(sealed.sealed.spans).toBe(4 + 5 + 6 + 1);
      expect(sealed.storage.hot).toEqual({ spans: 0, traces: 0, logs: 0 });
      const kinds = new Set(sealed.storage.partitions.map((p: any) => `${p.kind}/${p.projectId}`));
      expect(kinds).toEqual(new Set(['spans/default', 'traces/default', 'spans/team-b', 'traces/team-b']));
      expect(await apiView(s.httpUrl, traces)).toEqual(before);

      // A collector re-sending a batch after its traces were sealed adds nothing.
      expect((await postJson(`${s.httpUrl}/v1/traces`, bodies[0])).status).toBe(200);
      await waitLoaded(s);
      expect(await apiView(s.httpUrl, traces)).toEqual(before);
      expect((await getJson(`${s.httpUrl}/api/storage`)).body.hot.spans).toBe(0);

      // A late span for a sealed trace merges with its sealed summary.
      const late = otlpJsonTrace(traces[1], 2);
      expect((await postJson(`${s.httpUrl}/v1/traces`, late)).status).toBe(200);
      await waitLoaded(s);
      const merged = (await getJson(`${s.httpUrl}/api/traces/${traces[1]}`)).body;
      expect(merged.spanCount).toBe(5 + 2);
      expect(merged.spans).toHaveLength(7);
      expect((await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000`)).body.total).toBe(before.list.total);
    } finally {
      await s.stop();
    }

    // Files follow the documented layout and carry the schema version; an engine with no Lookspan code reads them.
    const files = await walkParquet(path.join(dir, 'lake'));
    for (const f of files) expect(path.relative(path.join(dir, 'lake'), f)).toMatch(/^(spans|traces)\/project_id=[^/]+\/date=\d{4}-\d{2}-\d{2}\/r1-\d{9}-\d+\.parquet$/);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const glob = path.join(dir, 'lake', 'spans', '**', '*.parquet');
      const rows = (await conn.runAndReadAll(
        `SELECT project_id, count(*) AS n, sum(input_tokens) AS tokens FROM read_parquet('${glob}', hive_partitioning = true) GROUP BY project_id ORDER BY project_id`,
      )).getRowObjectsJson();
      expect(rows).toEqual([{ project_id: 'default', n: '15', tokens: String(15 * 100) }, { project_id: 'team-b', n: '1', tokens: null }]);
      const meta = (await conn.runAndReadAll(`SELECT DISTINCT value::VARCHAR AS v FROM parquet_kv_metadata('${glob}') WHERE key::VARCHAR = 'lookspan_lake_schema_version'`)).getRows();
      expect(meta).toEqual([['1']]);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }

    // After a restart, the same answers (the late spans were sealed or are hot: either way counted once).
    s = await startTestServer({ storage: { replica: 'r1' } }, dir);
    try {
      const again = (await getJson(`${s.httpUrl}/api/traces/${traces[0]}`)).body;
      expect(again).toEqual(before.details[0]);
      expect((await getJson(`${s.httpUrl}/api/traces/${traces[1]}`)).body.spanCount).toBe(7);
    } finally {
      await s.dispose();
    }
  });

  it('keeps project ids with path-unsafe characters through a seal, and refuses ones Parquet readers take as NULL', async () => {
    const s = await startTestServer({ storage: { replica: 'r1' } });
    try {
      const ids = ['a=b', '..', 'x%2Fy', 'ü', ' sp ace', 'a/b/c', '123', 'a\\b'];
      for (const p of ids) {
        expect((await postJson(`${s.httpUrl}/api/ingest`, { projectId: p, spans: [{ traceId: 't', spanId: 's', name: 'n', startedAt: 1000 }] })).status).toBe(200);
      }
      for (const p of ['null', 'NULL', '__HIVE_DEFAULT_PARTITION__']) {
        const res = await postJson(`${s.httpUrl}/api/ingest`, { projectId: p, spans: [{ traceId: 't', spanId: 's', name: 'n', startedAt: 1000 }] });
        expect(res.status).toBe(400);
      }
      await waitLoaded(s);
      const sealed = (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' }).then((r) => r.json())) as any;
      expect(sealed.sealed.traces).toBe(ids.length);
      const rows = await s.store.db.withSnapshot(async (conn) => (await conn.runAndReadAll('SELECT project_id FROM all_spans ORDER BY 1')).getRows().map((r) => r[0]));
      expect(rows).toEqual([...ids].sort());
    } finally {
      await s.dispose();
    }
  });

  it('removes at start-up a Parquet file a crash left before its seal committed', async () => {
    const dir = await tempDir('lookspan-lake-');
    dirs.push(dir);
    const orphanDir = path.join(dir, 'lake', 'spans', 'project_id=default', 'date=2026-06-02');
    await mkdir(orphanDir, { recursive: true });
    await writeFile(path.join(orphanDir, 'r1-000000001-0.parquet'), 'torn');
    await mkdir(path.join(dir, 'lake', '.tmp', 'seal-1'), { recursive: true });
    const s = await startTestServer({ storage: { replica: 'r1' } }, dir);
    try {
      expect(await readdir(orphanDir)).toEqual([]);
      expect(await readdir(path.join(dir, 'lake'))).not.toContain('.tmp');
      expect((await getJson(`${s.httpUrl}/api/traces`)).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });
});
