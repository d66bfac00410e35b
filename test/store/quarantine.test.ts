import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, tempDir, waitLoaded } from '../helpers/server.js';
import { hexId } from '../helpers/otlp-json.js';
import { walLine } from '../helpers/wal-line.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const health = async (url: string) => (await (await fetch(`${url}/api/health`)).json()) as any;
const metric = async (url: string, name: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};
const spanCount = async (url: string, traceId: string) => {
  const res = await fetch(`${url}/api/traces/${traceId}`);
  return res.status === 200 ? ((await res.json()) as any).spanCount : 0;
};

describe('WAL quarantine', () => {
  it('loads every valid line of a segment, sets aside the bad ones with reasons, counts them across a restart, and replays them after a fix', async () => {
    const dir = await tempDir('lookspan-quarantine-');
    dirs.push(dir);
    const walDir = path.join(dir, 'wal');
    await mkdir(walDir, { recursive: true });
    const good = hexId(16);
    const bad = hexId(16);
    const lines = [
      walLine(good),
      walLine(bad).replace('"input_tokens":10', '"input_tokens":100000000000000000000'),
      walLine(good),
      '{"project_id":"default","trace_id":"' + bad + '","span_id":"torn',
      walLine(good),
      walLine(bad, { started_us: null }),
      walLine(bad).replace('"name":"chat"', '"name":"\\ud800"'),
    ];
    await writeFile(path.join(walDir, '000000000007.sealed'), lines.join('\n') + '\n');

    let s = await startTestServer({}, dir);
    try {
      await waitLoaded(s);
      expect(await spanCount(s.httpUrl, good)).toBe(3);
      expect(await spanCount(s.httpUrl, bad)).toBe(0);
      const h = await health(s.httpUrl);
      expect(h.status).toBe('degraded');
      expect(h.store.quarantine.spans).toBe(4);
      expect(await metric(s.httpUrl, 'lookspan_wal_quarantined_spans')).toBe(4);
      expect(await readdir(path.join(walDir, 'quarantine'))).toEqual(['000000000007.rejected.ndjson']);
      const listed = (await (await fetch(`${s.httpUrl}/api/storage/quarantine`)).json()) as any;
      expect(listed.spans).toBe(4);
      const reasons = listed.files[0].reasons.join(' | ');
      expect(reasons).toMatch(/input_tokens: 100000000000000000000 does not fit BIGINT/);
      expect(reasons).toMatch(/not a JSON object/);
      expect(reasons).toMatch(/started_us is missing/);
    } finally {
      await s.stop();
    }

    // Counted from disk after a restart; replay without a fix changes nothing.
    s = await startTestServer({}, dir);
    try {
      expect((await health(s.httpUrl)).store.quarantine.spans).toBe(4);
      expect(await metric(s.httpUrl, 'lookspan_wal_quarantined_spans')).toBe(4);
      let r = (await (await fetch(`${s.httpUrl}/api/storage/quarantine/replay`, { method: 'POST' })).json()) as any;
      expect(r).toEqual({ files: 1, lines: 4, inserted: 0, stillQuarantined: 4, logs: { files: 0, lines: 0, inserted: 0, stillQuarantined: 0 } });

      // The operator fixes two records in place; replay loads those and keeps the rest.
      const file = path.join(walDir, 'quarantine', '000000000007.rejected.ndjson');
      const entries = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(entries.map((e) => e.line)).toEqual([2, 4, 6, 7]);
      entries[0].record = entries[0].record.replace('100000000000000000000', '100');
      entries[2].record = entries[2].record.replace('"started_us":null', '"started_us":1700000000000000');
      await writeFile(file, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      r = (await (await fetch(`${s.httpUrl}/api/storage/quarantine/replay`, { method: 'POST' })).json()) as any;
      expect(r).toEqual({ files: 1, lines: 4, inserted: 2, stillQuarantined: 2, logs: { files: 0, lines: 0, inserted: 0, stillQuarantined: 0 } });
      expect(await spanCount(s.httpUrl, bad)).toBe(2);
      expect((await health(s.httpUrl)).store.quarantine.spans).toBe(2);

      // Replaying again is harmless: nothing is inserted twice.
      r = (await (await fetch(`${s.httpUrl}/api/storage/quarantine/replay`, { method: 'POST' })).json()) as any;
      expect(r.inserted).toBe(0);

      await writeFile(file, '');
      await rm(file);
    } finally {
      await s.stop();
    }
    s = await startTestServer({}, dir);
    try {
      const h = await health(s.httpUrl);
      expect(h.status).toBe('ok');
      expect(h.store.quarantine.spans).toBe(0);
      expect(await spanCount(s.httpUrl, bad)).toBe(2);
      expect(await spanCount(s.httpUrl, good)).toBe(3);
    } finally {
      await s.dispose();
    }
  });
});
