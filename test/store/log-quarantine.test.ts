/**
 * The log records' WAL (wal/logs/) under the same careful loading as spans:
 * a log segment with a line DuckDB cannot hold loads every other line, sets
 * the bad one aside in wal/logs/quarantine with its reason, and a replay
 * after a fix loads it exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestServer, tempDir, waitFor } from '../helpers/server.js';
import { hexId } from '../helpers/otlp-json.js';
import { normalizeLogs } from '../../src/pipeline/log-normalize.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** WAL lines for `n` user-message records of one trace, as the log pipeline writes them. */
function walLines(traceId: string, n: number): string[] {
  const records = Array.from({ length: n }, (_, i) => ({
    timeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n), traceId, spanId: hexId(8), eventName: 'gen_ai.user.message',
    body: { kvlistValue: { values: [{ key: 'content', value: { stringValue: `m${i}` } }] } },
  }));
  const body = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }));
  const out = normalizeLogs(body, 'json', {
    limits: { maxAttributeDepth: 16 }, semconv: { payloadMaxBytes: 65536 }, project: 'default', storeOtherEvents: false, nowUs: Date.now() * 1000,
  });
  return out.wal.toString('utf8').trim().split('\n');
}

const hotLogs = async (s: Awaited<ReturnType<typeof startTestServer>>, traceId: string) =>
  s.store.db.withSnapshot(async (c) => Number((await c.runAndReadAll('SELECT count(*) FROM all_logs WHERE trace_id = $1', [traceId])).getRows()[0][0]));

describe('log WAL quarantine', () => {
  it('loads the good lines of a log segment, sets the bad one aside with its reason, and replays it after a fix', async () => {
    const dir = await tempDir('lookspan-log-quarantine-');
    dirs.push(dir);
    const logWal = path.join(dir, 'wal', 'logs');
    await mkdir(logWal, { recursive: true });
    const traceId = hexId(16);
    const lines = walLines(traceId, 3);
    lines[1] = lines[1].replace(/"choice_index":null/, '"choice_index":100000000000000000000');
    await writeFile(path.join(logWal, '000000000003.sealed'), lines.join('\n') + '\n');

    const s = await startTestServer({}, dir);
    try {
      expect(await hotLogs(s, traceId)).toBe(2);
      const q = (await (await fetch(`${s.httpUrl}/api/storage/quarantine`)).json()) as any;
      expect(q.logs.records).toBe(1);
      expect(q.logs.files[0].reasons).toEqual(['choice_index: 100000000000000000000 does not fit BIGINT']);
      const health = (await (await fetch(`${s.httpUrl}/api/health`)).json()) as any;
      expect(health.store.diskFaults).toEqual([]);

      const file = path.join(logWal, 'quarantine', '000000000003.rejected.ndjson');
      const entry = JSON.parse((await readFile(file, 'utf8')).trim());
      expect(entry).toMatchObject({ segment: '000000000003.sealed', line: 2 });
      entry.record = entry.record.replace('100000000000000000000', '0');
      await writeFile(file, JSON.stringify(entry) + '\n');
      const r = (await (await fetch(`${s.httpUrl}/api/storage/quarantine/replay`, { method: 'POST' })).json()) as any;
      expect(r.logs).toEqual({ files: 1, lines: 1, inserted: 1, stillQuarantined: 0 });
      expect(await hotLogs(s, traceId)).toBe(3);
      // Once more: identity keeps it from loading twice.
      await writeFile(file, JSON.stringify(entry) + '\n');
      expect(((await (await fetch(`${s.httpUrl}/api/storage/quarantine/replay`, { method: 'POST' })).json()) as any).logs.inserted).toBe(0);
      expect(await hotLogs(s, traceId)).toBe(3);
    } finally {
      await s.dispose();
    }
  });

  it('acknowledged log records survive a restart, stored exactly once', async () => {
    const dir = await tempDir('lookspan-log-replay-');
    dirs.push(dir);
    const traceId = hexId(16);
    let s = await startTestServer({}, dir);
    try {
      const req = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), traceId, eventName: 'gen_ai.user.message', body: { stringValue: 'x' } }] }] }] };
      expect((await fetch(`${s.httpUrl}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) })).status).toBe(200);
      await waitFor(async () => (await hotLogs(s, traceId)) === 1);
    } finally {
      await s.stop();
    }
    // The stop sealed and loaded the log WAL; start-up finds nothing to load twice.
    s = await startTestServer({}, dir);
    try {
      expect(await hotLogs(s, traceId)).toBe(1);
    } finally {
      await s.dispose();
    }
  });
});
