import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { getTrace, listTraces, type TraceFilter } from '../../src/analysis/traces.js';
import { queryRows } from '../../src/analysis/rows.js';
import { walLine } from '../helpers/wal-line.js';
import { openTestStore, rng } from '../helpers/store.js';

const DAY_US = 86_400_000_000;
const T0 = Date.UTC(2026, 2, 10) * 1000;

describe('newest-first trace search over date windows', () => {
  let dir: string;
  let store: Store;

  beforeAll(async () => {
    ({ dir, store } = await openTestStore('lookspan-trace-window-'));
    // 60 traces over 8 days; a third of them have spans on several days (late or long-running
    // spans), loaded in separate rounds and sealed between rounds, so their partial summaries sit
    // in several date partitions, several files of one partition, and the hot table.
    const rand = rng(7);
    const rounds: string[][] = [[], [], [], []];
    for (let t = 0; t < 60; t++) {
      const traceId = t.toString(16).padStart(32, '0');
      const start = T0 + Math.floor(rand() * 8) * DAY_US + Math.floor(rand() * DAY_US);
      const spread = rand() < 0.35;
      const spans = 1 + Math.floor(rand() * 4);
      for (let s = 0; s < spans; s++) {
        const at = start + (spread && s > 0 ? Math.floor(rand() * 3 * DAY_US) : s * 1000) - (spread && s === spans - 1 && rand() < 0.3 ? DAY_US : 0);
        rounds[spread ? Math.floor(rand() * 4) : 0].push(walLine(traceId, {
          span_id: `${t.toString(16).padStart(8, '0')}${s.toString(16).padStart(8, '0')}`,
          started_us: at, ended_us: at + 1000, status: rand() < 0.2 ? 'error' : 'ok',
          request_model: rand() < 0.5 ? 'gpt-4o' : 'claude-sonnet-4', service_name: rand() < 0.5 ? 'a' : 'b',
        }));
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

  it('spreads trace parts over dates, files and the hot table (the layout the search must handle)', async () => {
    const parts = await store.db.withSnapshot((c) => queryRows(c,
      `SELECT count(DISTINCT date) AS dates, count(*) AS parts, count(DISTINCT trace_id) AS traces,
              (SELECT count(*) FROM traces) AS hot FROM all_trace_parts`));
    expect(Number(parts[0].dates)).toBeGreaterThanOrEqual(8);
    expect(Number(parts[0].parts)).toBeGreaterThan(Number(parts[0].traces));
    expect(Number(parts[0].hot)).toBeGreaterThan(0);
  });

  it('opens, for a trace lookup, the files that hold the trace and few others', async () => {
    const { traceSources } = await import('../../src/store/lake/relations.js');
    const files = (await store.db.withSnapshot((c) => queryRows(c, `SELECT file FROM lake_trace_lookup WHERE kind = 'spans'`))).map((r) => String(r.file));
    const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
    const holders = await store.db.withSnapshot((c) => queryRows(c,
      `SELECT trace_id, list(DISTINCT filename) AS files FROM read_parquet([${list}], filename = true) GROUP BY trace_id`));
    const spanFiles = files.length;
    expect(spanFiles).toBeGreaterThan(4);
    let named = 0;
    for (const h of holders) {
      const src = await store.db.withSnapshot((c) => traceSources(c, 'default', String(h.trace_id)));
      for (const f of h.files as string[]) expect(src.spans).toContain(f);
      named += (src.spans.match(/\.parquet'/g) ?? []).length;
      const detail = await store.db.withSnapshot((c) => getTrace(c, 'default', String(h.trace_id)));
      const all = await store.db.withSnapshot((c) => queryRows(c, `SELECT count(*) AS n FROM all_spans WHERE trace_id = $1`, [String(h.trace_id)]));
      expect(detail?.spans.length).toBe(Number(all[0].n));
    }
    // Each trace's own files, plus about 1 % false positives of the rest.
    const own = holders.reduce((a, h) => a + (h.files as string[]).length, 0);
    expect(named - own).toBeLessThan(Math.max(3, holders.length * spanFiles * 0.05));
  });

  const filters: Array<Partial<TraceFilter>> = [
    {}, { status: 'error' }, { status: 'ok' }, { service: 'b' }, { model: 'gpt-4o' },
    { fromUs: T0 + 3 * DAY_US }, { toUs: T0 + 4 * DAY_US + 12 * 3_600_000_000 },
    { fromUs: T0 + 2 * DAY_US + 5, toUs: T0 + 6 * DAY_US }, { fromUs: T0 + 40 * DAY_US },
  ];
  it.each(filters.map((f) => [JSON.stringify(f), f]))('pages %s exactly as a merge of all history orders them', async (_, f) => {
    for (const limit of [1, 7, 50]) {
      for (const offset of [0, 4, 59]) {
        const q: TraceFilter = { projectId: 'default', limit, offset, ...f };
        const got = await store.db.withSnapshot((c) => listTraces(c, { ...q, withTotal: true }));
        const conds = ['project_id = $1'];
        const params: Array<string | number> = ['default'];
        const add = (sql: string, v: string | number | undefined) => {
          if (v === undefined) return;
          params.push(v);
          conds.push(sql.replace('?', `$${params.length}`));
        };
        add('status = ?', q.status);
        add('service_name = ?', q.service);
        add('list_contains(models, ?)', q.model);
        add('started_at >= make_timestamp(?::BIGINT)', q.fromUs);
        add('started_at <= make_timestamp(?::BIGINT)', q.toUs);
        const all = await store.db.withSnapshot((c) => queryRows(c,
          `SELECT trace_id, span_count, status FROM all_traces WHERE ${conds.join(' AND ')} ORDER BY started_at DESC, trace_id`, params));
        const want = all.slice(offset, offset + limit);
        expect(got.traces.map((t) => [t.id, t.spanCount, t.status])).toEqual(want.map((r) => [r.trace_id, Number(r.span_count), r.status]));
        expect(got.hasMore).toBe(all.length > offset + limit);
        expect(got.total).toBe(all.length);
      }
    }
  });
});
