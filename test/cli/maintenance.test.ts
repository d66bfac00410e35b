import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, tempDir, waitLoaded, type TestServer } from '../helpers/server.js';
import { cli } from '../helpers/cli.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { getJson } from '../helpers/lake.js';


const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const oldDate = daysAgo(40).slice(0, 10);
const dirs: string[] = [];
let dataDir: string;
let configFile: string;
const fresh = [hexId(16), hexId(16)];
const SERVER = { replica: 'r1', sealIntervalSeconds: 3600, retentionDays: 30, retentionByProject: { 'team-b': 0 } };

const native = (projectId: string, traceId: string, startedAt: string) => ({
  projectId, spans: [{ traceId, spanId: 's0', name: 'agent.run', type: 'agent', startedAt, endedAt: new Date(Date.parse(startedAt) + 1000).toISOString() }],
});
const seal = async (s: TestServer) => {
  await waitLoaded(s);
  expect((await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' })).status).toBe(200);
};
/** Everything the API answers for the traces of this test. */
async function apiView(url: string) {
  const out: Record<string, unknown> = {};
  for (const p of ['default', 'team-b']) {
    out[`list/${p}`] = (await getJson(`${url}/api/traces?total=1&limit=1000&projectId=${p}`)).body;
    out[`spans/${p}`] = (await getJson(`${url}/api/traces/spans?total=1&limit=1000&projectId=${p}`)).body;
  }
  for (const t of fresh) out[`detail/${t}`] = (await getJson(`${url}/api/traces/${t}`)).body;
  for (const [p, t] of [['default', 'old'], ['default', 'old-hot'], ['team-b', 'b-old']]) out[`detail/${p}/${t}`] = (await getJson(`${url}/api/traces/${t}?projectId=${p}`)).body;
  return out;
}
const storageJson = async () => JSON.parse((await cli(['--data-dir', dataDir, 'storage', '--json'])).stdout);

beforeAll(async () => {
  dataDir = await tempDir('lookspan-cli-maint-');
  dirs.push(dataDir);
  configFile = path.join(dataDir, 'lookspan.yaml');
  await writeFile(configFile, `storage:\n  replica: r1\n  retentionDays: 30\n  retentionByProject:\n    team-b: 0\n`);
  const s = await startTestServer({ storage: SERVER }, dataDir);
  try {
    // Three seals into today's default partitions (a late span gives fresh[0] a second partial summary), one into the old ones.
    for (const t of fresh) {
      expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(t, 3))).status).toBe(200);
      await seal(s);
    }
    const late = otlpJsonTrace(fresh[0], 2);
    late.resourceSpans[0].scopeSpans[0].spans.shift();
    for (const sp of late.resourceSpans[0].scopeSpans[0].spans) sp.parentSpanId = hexId(8);
    expect((await postJson(`${s.httpUrl}/v1/traces`, late)).status).toBe(200);
    expect((await postJson(`${s.httpUrl}/api/ingest`, native('default', 'old', daysAgo(40)))).status).toBe(200);
    expect((await postJson(`${s.httpUrl}/api/ingest`, native('team-b', 'b-old', daysAgo(40)))).status).toBe(200);
    await seal(s);
    // Left hot when the server stops: retention must find it in lookspan.duckdb.
    expect((await postJson(`${s.httpUrl}/api/ingest`, native('default', 'old-hot', daysAgo(40)))).status).toBe(200);
    await waitLoaded(s);
  } finally {
    await s.stop();
  }
}, 60_000);

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('lookspan compact and retention', () => {
  it('refuse to run beside a running server, naming its process and the route that does the same', async () => {
    const s = await startTestServer({ storage: SERVER }, dataDir);
    try {
      const port = new URL(s.httpUrl).port;
      const [compact, dry] = await Promise.all([
        cli(['--data-dir', dataDir, 'compact'], { LOOKSPAN_HTTP_PORT: port }),
        cli(['--data-dir', dataDir, 'retention', '--dry-run'], { LOOKSPAN_HTTP_PORT: port }),
      ]);
      for (const [r, route] of [[compact, '/api/storage/compact'], [dry, '/api/storage/retention?dryRun=1']] as const) {
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain(`data dir ${dataDir} is in use by a running Lookspan server (process ${process.pid} holds DuckDB's lock`);
        expect(r.stderr).toContain(`curl -X POST http://127.0.0.1:${port}${route}`);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('compact: rewrites each partition as one file, a readable table or --json, progress on stderr; the API answers the same after', async () => {
    let s = await startTestServer({ storage: SERVER }, dataDir);
    const before = await apiView(s.httpUrl);
    await s.stop();
    expect((before[`detail/${fresh[0]}`] as any).spanCount).toBe(4);
    const parts = (await storageJson()).partitions;
    expect(parts.filter((p: any) => p.files > 1).map((p: any) => `${p.kind}/${p.projectId}/${p.files}`).sort()).toEqual(['spans/default/3', 'traces/default/3']);

    const table = await cli(['--config', configFile, '--data-dir', dataDir, 'compact']);
    expect(table.stderr).toContain('compacting the lake of replica r1');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Compacted 2 partitions of replica r1: 6 files -> 2, 1 duplicate or partial row merged away/);
    expect(table.stdout).toMatch(/kind +\| project_id \| date +\| files_before \| files_after \| rows_before \| rows_after \| bytes_before \| bytes_after\n/);
    const today = new Date().toISOString().slice(0, 10);
    expect(table.stdout).toMatch(new RegExp(`spans +\\| default +\\| ${today} +\\| +3 \\| +1 \\| +7 \\| +7 \\|`));
    expect(table.stdout).toMatch(new RegExp(`traces +\\| default +\\| ${today} +\\| +3 \\| +1 \\| +3 \\| +2 \\|`));
    expect(table.stdout).toContain('(2 rows)');
    // The replaced files are gone from disk before the command returns.
    expect((await storageJson()).partitions.every((p: any) => p.files === 1)).toBe(true);

    const again = await cli(['--config', configFile, '--data-dir', dataDir, 'compact', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ replica: 'r1', compacted: { partitions: 0, filesBefore: 0, filesAfter: 0 }, partitions: [] });
    expect((await cli(['--config', configFile, '--data-dir', dataDir, 'compact'])).stdout).toMatch(/^Nothing to compact/);

    s = await startTestServer({ storage: SERVER }, dataDir);
    try {
      expect(await apiView(s.httpUrl)).toEqual(before);
      expect((await getJson(`${s.httpUrl}/api/storage`)).body.lastCompaction).toMatchObject({ partitions: 2, filesBefore: 6, filesAfter: 2 });
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('retention --dry-run lists per project what would go and changes nothing; without it, drops that', async () => {
    const storageBefore = await storageJson();
    const dry = await cli(['--config', configFile, '--data-dir', dataDir, 'retention', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const r = JSON.parse(dry.stdout);
    expect(r).toMatchObject({ dryRun: true, retentionDays: 30, retentionByProject: { 'team-b': 0 }, files: 2, hot: { spans: 1, traces: 1 } });
    expect(r.projects.map((p: any) => [p.projectId, p.retentionDays, p.lake.files, p.hot.spans])).toEqual([['default', 30, 2, 1], ['team-b', 0, 0, 0]]);
    expect(r.partitions.map((p: any) => `${p.kind}/${p.projectId}/${p.date}`)).toEqual([`spans/default/${oldDate}`, `traces/default/${oldDate}`]);
    expect(await storageJson()).toEqual(storageBefore);

    const table = await cli(['--config', configFile, '--data-dir', dataDir, 'retention', '--dry-run']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Would drop 2 lake partitions \(2 files\) and 1 hot span in 1 hot trace summary\. Default horizon: \d{4}-/);
    expect(table.stdout).toContain('Nothing was changed (dry run).');
    expect(table.stdout).toMatch(/default +\| +30 \| \d{4}-\d{2}-\d{2}T[\d:.]+Z \| +2 \| +2 \|/);
    expect(table.stdout).toMatch(/team-b +\| +0 \| kept forever +\| +0 \| +0 \|/);
    // --days previews another global horizon; team-b keeps its override.
    const wide = JSON.parse((await cli(['--config', configFile, '--data-dir', dataDir, 'retention', '--dry-run', '--days', '50', '--json'])).stdout);
    expect(wide).toMatchObject({ retentionDays: 50, files: 0, hot: { spans: 0, traces: 0 } });

    const applied = await cli(['--config', configFile, '--data-dir', dataDir, 'retention']);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^Dropped 2 lake partitions \(2 files\) and 1 hot span/);
    expect(applied.stderr).toContain('deleting 2 dropped files');
    const left = (await storageJson()).partitions.map((p: any) => `${p.kind}/${p.projectId}/${p.date}`);
    expect(left).not.toContain(`spans/default/${oldDate}`);
    expect(left).toContain(`spans/team-b/${oldDate}`);
    expect(JSON.parse((await cli(['--config', configFile, '--data-dir', dataDir, 'retention', '--dry-run', '--json'])).stdout))
      .toMatchObject({ files: 0, partitions: [], hot: { spans: 0, traces: 0 } });

    const s = await startTestServer({ storage: SERVER }, dataDir);
    try {
      expect((await getJson(`${s.httpUrl}/api/traces/old?projectId=default`)).status).toBe(404);
      expect((await getJson(`${s.httpUrl}/api/traces/old-hot?projectId=default`)).status).toBe(404);
      expect((await getJson(`${s.httpUrl}/api/traces/b-old?projectId=team-b`)).status).toBe(200);
      expect((await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000&projectId=default`)).body.total).toBe(2);
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('clear errors: no data dir, no catalog, bad numbers; retention off says so', async () => {
    const missing = await cli(['--data-dir', path.join(dataDir, 'nope'), 'compact']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^lookspan: data directory .*nope does not exist/);
    const bare = await tempDir('lookspan-cli-bare-');
    dirs.push(bare);
    await mkdir(path.join(bare, 'lake'));
    const noCatalog = await cli(['--data-dir', bare, 'retention', '--dry-run']);
    expect(noCatalog.code).toBe(1);
    expect(noCatalog.stderr).toContain('holds no lookspan.duckdb');
    expect((await cli(['--data-dir', dataDir, 'retention', '--dry-run', '--days', 'soon'])).code).toBe(2);
    expect((await cli(['--data-dir', dataDir, 'compact', '--min-files', '1'])).code).toBe(2);
    const off = await cli(['--data-dir', dataDir, 'retention', '--dry-run']);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^Retention is off/);
    for (const r of await Promise.all([['compact', '--help'], ['retention', '--help']].map((a) => cli(a)))) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("DuckDB's file lock");
    }
  }, 60_000);
});
