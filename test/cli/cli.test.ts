import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startTestServer, tempDir, waitLoaded } from '../helpers/server.js';
import { cli, type CliResult } from '../helpers/cli.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { walkParquet } from '../helpers/lake.js';


/** A minimal RFC 4180 CSV parser (quoted fields, doubled quotes, embedded newlines). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\n') { row.push(field); rows.push(row); row = []; field = ''; } else if (ch !== '\r') field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

const dirs: string[] = [];
let dataDir: string;
const api: Record<string, { traces: number; spans: number; inputTokens: number; outputTokens: number }> = {};
const traceSpanCounts: Record<string, number> = {};
const all = (k: 'traces' | 'spans') => api.default[k] + api['team-b'][k];
const traces = [hexId(16), hexId(16), hexId(16)];

beforeAll(async () => {
  dataDir = await tempDir('lookspan-cli-');
  dirs.push(dataDir);
  const s = await startTestServer({ storage: { replica: 'r1' } }, dataDir);
  try {
    for (const [i, t] of traces.entries()) expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(t, 3 + i))).status).toBe(200);
    expect((await postJson(`${s.httpUrl}/api/ingest`, {
      projectId: 'team-b',
      spans: [
        { traceId: 'nt1', spanId: 's1', name: '=cmd()', startedAt: '2026-06-02T10:00:00Z', endedAt: '2026-06-02T10:00:01Z', type: 'agent' },
        { traceId: 'nt1', spanId: 's2', parentSpanId: 's1', name: '+plus, "quoted"', startedAt: '2026-06-02T10:00:00.5Z', endedAt: '2026-06-02T10:00:00.9Z', type: 'tool_call' },
        { traceId: 'nt2', spanId: 's1', name: 'later', startedAt: '2026-06-05T10:00:00Z', endedAt: '2026-06-05T10:00:01Z', type: 'agent' },
      ],
    })).status).toBe(200);
    await waitLoaded(s);
    const sealed = (await (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' })).json()) as any;
    expect(sealed.storage.hot).toEqual({ spans: 0, traces: 0, logs: 0 });
    const get = async (u: string) => (await (await fetch(`${s.httpUrl}${u}`)).json()) as any;
    for (const p of ['default', 'team-b']) {
      const spans = await get(`/api/traces/spans?total=1&limit=1000&projectId=${p}`);
      api[p] = {
        traces: (await get(`/api/traces?total=1&limit=1000&projectId=${p}`)).total,
        spans: spans.total,
        inputTokens: spans.spans.reduce((a: number, x: any) => a + (x.input_tokens ?? 0), 0),
        outputTokens: spans.spans.reduce((a: number, x: any) => a + (x.output_tokens ?? 0), 0),
      };
    }
    for (const t of traces) traceSpanCounts[t] = (await get(`/api/traces/${t}`)).spanCount;
  } finally {
    await s.stop();
  }
}, 60_000);

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the lookspan CLI', () => {
  it('query: spans and traces views give the API numbers; table and JSON output', async () => {
    expect(api.default.spans).toBe(3 + 4 + 5);
    expect(api['team-b'].spans).toBe(3);
    expect(api.default.inputTokens).toBe((3 + 4 + 5) * 100);
    const q = await cli(['--data-dir', dataDir, 'query', '--json',
      'SELECT project_id, count(*) AS spans, coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens, count(DISTINCT trace_id) AS traces FROM spans GROUP BY project_id ORDER BY project_id']);
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual(['default', 'team-b'].map((p) => ({
      project_id: p, spans: api[p].spans, input_tokens: api[p].inputTokens, output_tokens: api[p].outputTokens, traces: api[p].traces,
    })));

    const t = await cli(['--data-dir', dataDir, 'query', '--jsonl', "SELECT trace_id, span_count FROM traces WHERE project_id = 'default' ORDER BY trace_id"]);
    expect(t.code).toBe(0);
    const rows = t.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(Object.fromEntries(rows.map((r) => [r.trace_id, r.span_count]))).toEqual(traceSpanCounts);
    const sums = await cli(['--data-dir', dataDir, 'query', '--json', "SELECT sum(span_count) AS spans, sum(input_tokens) AS input FROM traces WHERE project_id = 'default'"]);
    expect(JSON.parse(sums.stdout)).toEqual([{ spans: api.default.spans, input: api.default.inputTokens }]);

    // date comes from the partition path.
    const d = await cli(['--data-dir', dataDir, 'query', '--json', "SELECT date, count(*) AS n FROM spans WHERE project_id = 'team-b' GROUP BY date ORDER BY date"]);
    expect(JSON.parse(d.stdout)).toEqual([{ date: '2026-06-02', n: 2 }, { date: '2026-06-05', n: 1 }]);

    const table = await cli(['--data-dir', dataDir, 'query', "SELECT project_id, count(*) AS n FROM spans GROUP BY project_id ORDER BY project_id"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/project_id \| +n\n/);
    expect(table.stdout).toMatch(/default +\| +12\n/);
    expect(table.stdout).toMatch(/team-b +\| +3\n/);
    expect(table.stdout).toContain('(2 rows)');
  }, 60_000);

  it('query: empty views with their columns when the lake has no files', async () => {
    const empty = await tempDir('lookspan-cli-empty-');
    dirs.push(empty);
    const q = await cli(['--data-dir', empty, 'query', '--json', 'SELECT (SELECT count(*) FROM spans) AS s, (SELECT count(*) FROM traces) AS t, (SELECT count(*) FROM (DESCRIBE spans)) AS cols']);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ s: 0, t: 0, cols: 44 }]);
  }, 30_000);

  it('query: refuses writes, settings, several statements and reading other files, with exit 2 and no stack trace', async () => {
    const refusals: Array<Promise<{ sql: string; r: CliResult }>> = [];
    for (const sql of [
      "DELETE FROM spans", "INSERT INTO spans (name) VALUES ('x')", "CREATE TABLE t AS SELECT 1", "COPY spans TO '/tmp/lookspan-cli-out.csv'",
      "ATTACH '/tmp/lookspan-cli.db' AS x", 'INSTALL httpfs', 'LOAD httpfs', 'SET threads = 1', 'PRAGMA database_list', 'SELECT 1; SELECT 2',
      "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM glob('/etc/*')", "SELECT * FROM parquet_scan('/etc/passwd')",
    ]) refusals.push(cli(['--data-dir', dataDir, 'query', sql]).then((r) => ({ sql, r })));
    for (const { sql, r } of await Promise.all(refusals)) {
      expect({ sql, code: r.code }).toEqual({ sql, code: 2 });
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^lookspan: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('root:');
    }
    const bad = await cli(['--data-dir', dataDir, 'query', 'SELECT nope FROM spans']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^lookspan: Binder Error/);
  }, 120_000);

  it('export: parquet, csv (formula-safe) and jsonl, filtered by project and time with partition pruning', async () => {
    const out = await tempDir('lookspan-cli-out-');
    dirs.push(out);
    const common = ['--data-dir', dataDir, 'export', '--project', 'team-b', '--since', '2026-06-02T00:00:00Z', '--until', '2026-06-03'];

    const csv = await cli([...common, '--format', 'csv', '--out', path.join(out, 'b.csv')]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(`2 rows written to ${path.join(out, 'b.csv')}\n`);
    const [header, ...lines] = parseCsv(await readFile(path.join(out, 'b.csv'), 'utf8'));
    expect(header.slice(0, 3)).toEqual(['project_id', 'trace_id', 'span_id']);
    const names = lines.map((l) => l[header.indexOf('name')]).sort();
    expect(names).toEqual(["'+plus, \"quoted\"", "'=cmd()"]);
    expect(lines.every((l) => l[0] === 'team-b')).toBe(true);

    const jsonl = await cli([...common, '--format', 'jsonl', '--out', path.join(out, 'b.jsonl')]);
    expect(jsonl.code).toBe(0);
    const objs = (await readFile(path.join(out, 'b.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => o.name).sort()).toEqual(['+plus, "quoted"', '=cmd()']);
    expect(objs.every((o) => o.project_id === 'team-b' && o.trace_id === 'nt1')).toBe(true);

    const pq = await cli(['--data-dir', dataDir, 'export', '--project', 'default', '--out', path.join(out, 'd.parquet')]);
    expect(pq.code).toBe(0);
    expect(pq.stdout).toMatch(/^12 rows written/);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    let rows: any[];
    try {
      rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet('${path.join(out, 'd.parquet')}')`)).getRowObjectsJson();
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
    expect(rows).toHaveLength(12);
    expect(rows.reduce((a, r) => a + Number(r.input_tokens ?? 0), 0)).toBe(api.default.inputTokens);
    expect(new Set(rows.map((r) => r.trace_id))).toEqual(new Set(traces));

    // All projects, a window with nothing in it: an empty file, 0 rows.
    const none = await cli(['--data-dir', dataDir, 'export', '--since', '2000-01-01', '--until', '2000-01-02', '--out', path.join(out, 'none.jsonl')]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^0 rows written/);

    // Usage errors: exit 2, no stack.
    const usage: Array<Promise<{ args: string[]; r: CliResult }>> = [];
    for (const args of [
      ['export', '--format', 'xml', '--out', path.join(out, 'x')],
      ['export', '--out', path.join(out, 'noext')],
      ['export', '--since', 'yesterday', '--out', path.join(out, 'a.csv')],
      ['export', '--format', 'csv'],
    ]) usage.push(cli(['--data-dir', dataDir, ...args]).then((r) => ({ args, r })));
    for (const { args, r } of await Promise.all(usage)) {
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it('storage --json: files, rows, bytes per partition from the files; two replicas are both counted', async () => {
    const base = await cli(['--data-dir', dataDir, 'storage', '--json']);
    expect(base.code).toBe(0);
    const r = JSON.parse(base.stdout);
    expect(r.totals.spans.rows).toBe(all('spans'));
    expect(r.totals.traces.rows).toBe(all('traces'));
    expect(r.replicas.map((x: any) => x.replica)).toEqual(['r1']);
    expect(r.schemaVersions).toEqual({ 1: r.totals.spans.files + r.totals.traces.files });
    expect(r.partitions.filter((p: any) => p.kind === 'spans' && p.projectId === 'team-b').map((p: any) => [p.date, p.rows])).toEqual([['2026-06-02', 2], ['2026-06-05', 1]]);
    expect(r.partitions.every((p: any) => p.bytes > 0)).toBe(true);

    // A second replica sealing into the same lake: copy every file under the name r2.
    const copy = await tempDir('lookspan-cli-replicas-');
    dirs.push(copy);
    await cp(dataDir, copy, { recursive: true });
    for (const f of await walkParquet(path.join(copy, 'lake'))) {
      const target = path.join(path.dirname(f), path.basename(f).replace(/^r1-/, 'r2-'));
      await writeFile(target, await readFile(f));
    }
    const two = JSON.parse((await cli(['--data-dir', copy, 'storage', '--json'])).stdout);
    expect(two.replicas.map((x: any) => [x.replica, x.rows])).toEqual([['r1', all('spans') + all('traces')], ['r2', all('spans') + all('traces')]]);
    expect(two.totals.spans.rows).toBe(2 * all('spans'));
    const q = await cli(['--data-dir', copy, 'query', '--json', 'SELECT count(*) AS n FROM spans']);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 2 * all('spans') }]);
    // Trace summaries merge across replicas' partial rows: one row per trace.
    const t = await cli(['--data-dir', copy, 'query', '--json', 'SELECT count(*) AS n FROM traces']);
    expect(JSON.parse(t.stdout)).toEqual([{ n: all('traces') }]);

    const text = await cli(['--data-dir', dataDir, 'storage']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('schema versions: 1');
    expect(text.stdout).toContain('POST /api/storage/seal');
  }, 120_000);

  it('help on every command, the data dir from the environment, clear errors', async () => {
    for (const r of await Promise.all([['--help'], ['query', '--help'], ['export', '--help'], ['storage', '--help']].map((a) => cli(a)))) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: lookspan');
      expect(r.stdout).toContain('POST /api/storage/seal');
    }
    const env = await cli(['query', '--json', 'SELECT count(*) AS n FROM spans'], { LOOKSPAN_DATA_DIR: dataDir });
    expect(JSON.parse(env.stdout)).toEqual([{ n: all('spans') }]);
    const missing = await cli(['--data-dir', path.join(dataDir, 'nope'), 'storage']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^lookspan: data directory .* does not exist/);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  }, 60_000);
});
