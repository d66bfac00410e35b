import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startTestServer, tempDir, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { getJson, walkParquet } from '../helpers/lake.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

const post = async (url: string) => {
  const res = await fetch(url, { method: 'POST' });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};
async function ingest(s: TestServer, projectId: string, traceId: string, startedAt: string, spans = 1) {
  const body = {
    projectId,
    spans: Array.from({ length: spans }, (_, i) => ({
      traceId, spanId: `s${i}`, parentSpanId: i === 0 ? undefined : 's0', name: i === 0 ? 'agent.run' : 'tool', type: i === 0 ? 'agent' : 'tool_call',
      startedAt: new Date(Date.parse(startedAt) + i * 1000).toISOString(), endedAt: new Date(Date.parse(startedAt) + i * 1000 + 500).toISOString(),
    })),
  };
  expect((await postJson(`${s.httpUrl}/api/ingest`, body)).status).toBe(200);
}
const detail = (s: TestServer, project: string, trace: string) => getJson(`${s.httpUrl}/api/traces/${trace}?projectId=${project}`);
const summary = (r: any) => Object.fromEntries(r.projects.map((p: any) => [p.projectId, { days: p.retentionDays, horizon: p.horizon === null ? null : p.horizon.slice(0, 10), lake: p.lake, hot: p.hot }]));

describe('retention per project', () => {
  it('storage.retentionByProject is a map of project id to whole days, 0 or more', () => {
    expect(loadConfig({ env: {} }).storage.retentionByProject).toEqual({});
    expect(loadConfig({ env: {}, overrides: { storage: { retentionByProject: { 'team-b': 0, 'team-c': 7 } } } }).storage.retentionByProject)
      .toEqual({ 'team-b': 0, 'team-c': 7 });
    expect(() => loadConfig({ env: {}, overrides: { storage: { retentionByProject: { 'team-b': -1 } } } })).toThrow(/storage\.retentionByProject\.team-b/);
    expect(() => loadConfig({ env: {}, overrides: { storage: { retentionByProject: { 'team-b': 1.5 } } } })).toThrow(/storage\.retentionByProject\.team-b/);
  });

  it("applies each project's horizon to its partitions and hot rows (0 keeps forever); the dry run lists every project", async () => {
    const dir = await tempDir('lookspan-retention-projects-');
    dirs.push(dir);
    const s = await startTestServer({
      storage: { replica: 'r1', sealIntervalSeconds: 3600, retentionDays: 30, retentionByProject: { 'team-b': 0, 'team-c': 5 } },
    }, dir);
    try {
      await ingest(s, 'default', 'd-old', daysAgo(40), 2);
      await ingest(s, 'default', 'd-new', daysAgo(1));
      await ingest(s, 'team-b', 'b-old', daysAgo(400), 3);
      await ingest(s, 'team-c', 'c-old', daysAgo(10));
      await ingest(s, 'team-c', 'c-new', daysAgo(2));
      await waitLoaded(s);
      await post(`${s.httpUrl}/api/storage/seal`);
      // Still hot: an old team-c trace (past its 5 days, inside the global 30) and an old team-b one.
      await ingest(s, 'team-c', 'c-old-hot', daysAgo(8), 2);
      await ingest(s, 'team-b', 'b-old-hot', daysAgo(90));
      await waitLoaded(s);
      const kept: Record<string, unknown> = {};
      for (const [p, t] of [['default', 'd-new'], ['team-b', 'b-old'], ['team-b', 'b-old-hot'], ['team-c', 'c-new']]) kept[`${p}/${t}`] = (await detail(s, p, t)).body;
      expect((kept['team-b/b-old'] as any).spanCount).toBe(3);
      expect((await getJson(`${s.httpUrl}/api/storage`)).body.retentionByProject).toEqual({ 'team-b': 0, 'team-c': 5 });

      const dry = await post(`${s.httpUrl}/api/storage/retention?dryRun=1`);
      expect(dry).toMatchObject({ dryRun: true, retentionDays: 30, retentionByProject: { 'team-b': 0, 'team-c': 5 } });
      expect(dry.horizon.slice(0, 10)).toBe(daysAgo(30).slice(0, 10));
      expect(summary(dry)).toEqual({
        default: { days: 30, horizon: daysAgo(30).slice(0, 10), lake: expect.objectContaining({ partitions: 2, files: 2, spans: 2, traces: 1 }), hot: { spans: 0, traces: 0, logs: 0 } },
        'team-b': { days: 0, horizon: null, lake: { partitions: 0, files: 0, bytes: 0, spans: 0, traces: 0, logs: 0 }, hot: { spans: 0, traces: 0, logs: 0 } },
        'team-c': { days: 5, horizon: daysAgo(5).slice(0, 10), lake: expect.objectContaining({ partitions: 2, files: 2, spans: 1, traces: 1 }), hot: { spans: 2, traces: 1, logs: 0 } },
      });
      expect(dry.partitions.map((p: any) => `${p.projectId}/${p.kind}/${p.date}`).sort()).toEqual([
        `default/spans/${daysAgo(40).slice(0, 10)}`, `default/traces/${daysAgo(40).slice(0, 10)}`,
        `team-c/spans/${daysAgo(10).slice(0, 10)}`, `team-c/traces/${daysAgo(10).slice(0, 10)}`,
      ]);
      expect(dry).toMatchObject({ files: 4, hot: { spans: 2, traces: 1 } });
      expect((await detail(s, 'team-c', 'c-old')).status).toBe(200);

      const real = await post(`${s.httpUrl}/api/storage/retention`);
      expect(real.dryRun).toBe(false);
      expect(real.partitions).toEqual(dry.partitions);
      expect(summary(real)).toEqual(summary(dry));
      for (const [p, t] of [['default', 'd-old'], ['team-c', 'c-old'], ['team-c', 'c-old-hot']]) expect((await detail(s, p, t)).status).toBe(404);
      for (const [key, body] of Object.entries(kept)) {
        const [p, t] = key.split('/');
        expect((await detail(s, p, t)).body).toEqual(body);
      }
      expect((await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000&projectId=team-b`)).body.total).toBe(2);
      expect((await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000&projectId=team-c`)).body.total).toBe(1);
      const again = await post(`${s.httpUrl}/api/storage/retention?dryRun=1`);
      expect(again).toMatchObject({ partitions: [], files: 0, hot: { spans: 0, traces: 0 } });
    } finally {
      await s.stop();
    }
    const left = (await walkParquet(path.join(dir, 'lake'))).map((f) => path.relative(path.join(dir, 'lake'), f).split(path.sep).slice(0, 3).join('/'));
    expect(left.filter((f) => f.includes(daysAgo(10).slice(0, 10)) || f.includes(daysAgo(40).slice(0, 10)))).toEqual([]);
    expect(left.filter((f) => f.includes(daysAgo(400).slice(0, 10)))).toHaveLength(2);
  });

  it('applies a project override when the global retentionDays is 0, and keeps everything else', async () => {
    const s = await startTestServer({ storage: { sealIntervalSeconds: 3600, retentionByProject: { 'team-c': 3 } } });
    try {
      await ingest(s, 'default', 'ancient', '2020-01-01T00:00:00Z');
      await ingest(s, 'team-c', 'c-old', daysAgo(4));
      await ingest(s, 'team-c', 'c-new', daysAgo(1));
      await waitLoaded(s);
      await post(`${s.httpUrl}/api/storage/seal`);
      const r = await post(`${s.httpUrl}/api/storage/retention`);
      expect(r).toMatchObject({ retentionDays: 0, horizon: null, files: 2 });
      expect(summary(r).default).toEqual({ days: 0, horizon: null, lake: { partitions: 0, files: 0, bytes: 0, spans: 0, traces: 0, logs: 0 }, hot: { spans: 0, traces: 0, logs: 0 } });
      expect((await detail(s, 'default', 'ancient')).status).toBe(200);
      expect((await detail(s, 'team-c', 'c-old')).status).toBe(404);
      expect((await detail(s, 'team-c', 'c-new')).status).toBe(200);
    } finally {
      await s.dispose();
    }
  });
});
