import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { listSessions, type SessionFilter } from '../../src/analysis/sessions.js';
import { queryRows } from '../../src/analysis/rows.js';
import { walLine } from '../helpers/wal-line.js';
import { openTestStore, rng } from '../helpers/store.js';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
const T0 = Date.UTC(2026, 2, 10) * 1000;

/**
 * The session list's windows against a merge of all history: sessions whose
 * traces start hours or days apart, traces whose spans arrive in several
 * rounds sealed between them (parts in several dates, files and the hot
 * table), and a trace whose first part names no session, so a session's
 * start shows only through the probe by trace.
 */
describe('newest-first session search over time windows', () => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    ({ dir, store } = await openTestStore('lookspan-session-window-'));
    const rand = rng(11);
    const rounds: string[][] = [[], [], [], []];
    let traceNo = 0;
    for (let sn = 0; sn < 40; sn++) {
      const sid = `sess-${sn}`;
      const start = T0 + Math.floor(rand() * 6 * DAY_US);
      const traces = 1 + Math.floor(rand() * 4);
      const longLived = rand() < 0.5;
      for (let t = 0; t < traces; t++) {
        const traceId = (traceNo++).toString(16).padStart(32, '0');
        const at = start + (longLived && t > 0 ? Math.floor(rand() * 3 * DAY_US) : t * 60_000_000);
        const spread = rand() < 0.4;
        const n = 1 + Math.floor(rand() * 4);
        // Some traces name their session only on later spans.
        const unnamedFirst = rand() < 0.2;
        for (let k = 0; k < n; k++) {
          const spanAt = at + (spread && k > 0 ? Math.floor(rand() * 6 * HOUR_US) : k * 1000);
          rounds[spread ? Math.floor(rand() * 4) : 0].push(walLine(traceId, {
            span_id: `${traceNo.toString(16).padStart(8, '0')}${k.toString(16).padStart(8, '0')}`,
            started_us: spanAt, ended_us: spanAt + 5000, status: rand() < 0.15 ? 'error' : 'ok',
            session_id: unnamedFirst && k === 0 ? null : sid, agent_name: rand() < 0.5 ? 'alpha' : 'beta',
            user_id: sn % 3 === 0 ? 'u1' : 'u2', type: rand() < 0.5 ? 'tool_call' : 'llm_call',
          }));
        }
      }
    }
    for (const [i, lines] of rounds.entries()) {
      if (lines.length > 0) {
        await store.wal.append(Buffer.from(lines.join('\n') + '\n'), lines.length);
        await store.wal.sealNow();
        await store.loader.drain();
      }
      if (i < rounds.length - 1) await store.sealAll();
    }
  }, 60_000);

  afterAll(async () => {
    await store?.close(Date.now() + 10_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('spreads sessions over dates, files and the hot table', async () => {
    const r = await store.db.withSnapshot((c) => queryRows(c,
      `SELECT count(DISTINCT date) AS dates, count(*) AS parts, count(DISTINCT trace_id) AS traces, (SELECT count(*) FROM traces) AS hot FROM all_trace_parts`));
    expect(Number(r[0].dates)).toBeGreaterThanOrEqual(6);
    expect(Number(r[0].parts)).toBeGreaterThan(Number(r[0].traces));
    expect(Number(r[0].hot)).toBeGreaterThan(0);
  });

  const filters: Array<Partial<SessionFilter>> = [
    {}, { userId: 'u1' }, { agentName: 'beta' }, { outcome: 'failed' }, { outcome: 'clean' },
    { fromUs: T0 + 2 * DAY_US }, { toUs: T0 + 3 * DAY_US + 5 * HOUR_US }, { fromUs: T0 + DAY_US + 7, toUs: T0 + 4 * DAY_US },
    { fromUs: T0 + 30 * DAY_US },
  ];
  it.each(filters.map((f) => [JSON.stringify(f), f]))('pages %s exactly as a merge of all history orders them', async (_, f) => {
    const all = await store.db.withSnapshot((c) => queryRows(c, `
      WITH t AS (SELECT * FROM all_traces WHERE project_id = 'default' AND session_id IS NOT NULL${f.userId ? ` AND user_id = '${f.userId}'` : ''}),
      a AS (SELECT DISTINCT trace_id FROM all_spans WHERE agent_name = 'beta')
      SELECT session_id, min(started_at) AS started_at, count(*) AS traces, sum(span_count) AS spans FROM t GROUP BY session_id
      HAVING true
        ${f.fromUs !== undefined ? `AND min(started_at) >= make_timestamp(${f.fromUs})` : ''}
        ${f.toUs !== undefined ? `AND min(started_at) <= make_timestamp(${f.toUs})` : ''}
        ${f.agentName ? 'AND bool_or(trace_id IN (SELECT trace_id FROM a))' : ''}
        ${f.outcome === 'failed' ? 'AND sum(error_count) > 0' : f.outcome === 'clean' ? 'AND sum(error_count) = 0' : ''}
      ORDER BY started_at DESC, session_id`));
    for (const limit of [1, 6, 50]) {
      for (const offset of [0, 5, 39]) {
        const got = await store.db.withSnapshot((c) => listSessions(c, { projectId: 'default', limit, offset, ...f }));
        const want = all.slice(offset, offset + limit);
        expect(got.sessions.map((x) => [x.id, x.traceCount, x.spanCount])).toEqual(want.map((r) => [r.session_id, Number(r.traces), Number(r.spans)]));
        expect(got.hasMore).toBe(all.length > offset + limit);
      }
    }
  });
});
