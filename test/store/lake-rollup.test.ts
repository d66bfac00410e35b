import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { queryRows } from '../../src/analysis/rows.js';
import { windowRollups } from '../../src/analysis/span-rollup.js';
import { paramList } from '../../src/analysis/trace-window.js';
import { rollupSelect } from '../../src/store/lake/rollup.js';
import { walLine } from '../helpers/wal-line.js';
import { openTestStore, rng } from '../helpers/store.js';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
const T0 = Date.UTC(2026, 2, 10) * 1000;

interface Gen {
  project_id: string;
  trace_id: string;
  span_id: string;
  started_us: number;
  type: string;
  status: string;
  agent_name: string | null;
  request_model: string | null;
  response_model: string | null;
  provider: string | null;
  tool_name: string | null;
  server_name: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  duration_ms: number;
}

/** The rollup's groups and sums computed here, from the generated spans, by the rules of docs/storage.md ("Hourly rollups"). */
function expectedRollups(spans: readonly Gen[]): Map<string, { spans: number; errors: number; llm: number; tool: number; unpriced: number; cost: number | null; input: number | null; reasoning: number | null; ms: number }> {
  const out = new Map<string, { spans: number; errors: number; llm: number; tool: number; unpriced: number; cost: number | null; input: number | null; reasoning: number | null; ms: number }>();
  for (const s of spans) {
    const isCall = s.type === 'llm_call' || s.type === 'embedding' || s.input_tokens !== null || s.output_tokens !== null || s.cost_usd !== null;
    const key = JSON.stringify([s.project_id, Math.floor(s.started_us / HOUR_US) * HOUR_US, s.response_model ?? s.request_model, s.provider,
      s.agent_name, s.server_name, s.tool_name, isCall, s.tool_name !== null]);
    const e = out.get(key) ?? { spans: 0, errors: 0, llm: 0, tool: 0, unpriced: 0, cost: null, input: null, reasoning: null, ms: 0 };
    e.spans++;
    if (s.status === 'error') e.errors++;
    if (s.type === 'llm_call') e.llm++;
    if (s.type === 'tool_call') e.tool++;
    if (s.cost_usd === null && (s.input_tokens !== null || s.output_tokens !== null)) e.unpriced++;
    if (s.cost_usd !== null) e.cost = (e.cost ?? 0) + s.cost_usd;
    if (s.input_tokens !== null) e.input = (e.input ?? 0) + s.input_tokens;
    if (s.reasoning_tokens !== null) e.reasoning = (e.reasoning ?? 0) + s.reasoning_tokens;
    e.ms += s.duration_ms;
    out.set(key, e);
  }
  return out;
}

/** `all_span_rollups` summed per group (a group's rows come from several files and the hot table). */
async function storedRollups(store: Store): Promise<Map<string, Record<string, unknown>>> {
  const rows = await store.db.withSnapshot((c) => queryRows(c, `
    SELECT project_id, epoch_us(hour) AS hour_us, model, provider, agent_name, server_name, tool_name, is_call, is_tool,
      sum(spans) AS spans, sum(errors) AS errors, sum(llm_spans) AS llm, sum(tool_spans) AS tool, sum(unpriced) AS unpriced,
      fsum(cost_usd) AS cost, sum(input_tokens)::BIGINT AS input, sum(reasoning_tokens)::BIGINT AS reasoning, fsum(duration_ms) AS ms
    FROM all_span_rollups GROUP BY ALL`));
  return new Map(rows.map((r) => [JSON.stringify([r.project_id, Number(r.hour_us), r.model, r.provider, r.agent_name, r.server_name, r.tool_name, r.is_call, r.is_tool]), r]));
}

function expectSame(stored: Map<string, Record<string, unknown>>, expected: ReturnType<typeof expectedRollups>): void {
  expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [k, e] of expected) {
    const s = stored.get(k)!;
    expect({ k, spans: Number(s.spans), errors: Number(s.errors), llm: Number(s.llm), tool: Number(s.tool), unpriced: Number(s.unpriced) })
      .toEqual({ k, spans: e.spans, errors: e.errors, llm: e.llm, tool: e.tool, unpriced: e.unpriced });
    expect(s.input === null ? null : Number(s.input)).toBe(e.input);
    expect(s.reasoning === null ? null : Number(s.reasoning)).toBe(e.reasoning);
    if (e.cost === null) expect(s.cost).toBeNull();
    else expect(Number(s.cost)).toBeCloseTo(e.cost, 9);
    expect(Number(s.ms)).toBeCloseTo(e.ms, 6);
  }
}

/** The rollup rows of a window two ways: from the rollups plus its partial hours, and straight from every span. */
async function windowBothWays(store: Store, projectId: string, fromUs: number, toUs: number): Promise<[unknown[], unknown[]]> {
  const sums = `SELECT model, provider, agent_name, server_name, tool_name, is_call, is_tool, sum(spans)::BIGINT AS spans, sum(errors)::BIGINT AS errors,
      sum(llm_spans)::BIGINT AS llm, sum(tool_spans)::BIGINT AS tool, sum(unpriced)::BIGINT AS unpriced, round(fsum(cost_usd), 9) AS cost,
      sum(input_tokens)::BIGINT AS input, sum(output_tokens)::BIGINT AS output, round(fsum(duration_ms), 6) AS ms`;
  const order = 'GROUP BY ALL ORDER BY ALL';
  return store.db.withSnapshot(async (c) => {
    const { params, add } = paramList([projectId]);
    const viaRollups = await queryRows(c, `${sums} FROM (${await windowRollups(c, { projectId, fromUs, toUs }, add)}) ${order}`, params);
    const direct = await queryRows(c, `${sums} FROM (${rollupSelect(
      'SELECT * FROM all_spans WHERE project_id = $1 AND started_at >= make_timestamp($2::BIGINT) AND started_at < make_timestamp($3::BIGINT)')}) ${order}`,
    [projectId, fromUs, toUs]);
    return [viaRollups, direct];
  });
}

describe('hourly span rollups of the lake (store/lake/rollup.ts)', () => {
  let dir: string;
  let store: Store;
  const spans: Gen[] = [];
  const rand = rng(11);

  /** Spans of `traces` new traces over `days` days from T0, as WAL lines loaded into the hot table. */
  async function load(batch: Gen[]): Promise<void> {
    const lines = batch.map((g) => walLine(g.trace_id, {
      ...g, ended_us: g.started_us + Math.round(g.duration_ms * 1000), cost_source: g.cost_usd === null ? 'unknown' : 'computed',
    }));
    await store.wal.append(Buffer.from(lines.join('\n') + '\n'), lines.length);
    await store.wal.sealNow();
    await store.loader.drain();
    spans.push(...batch);
  }

  function generate(traces: number, firstTrace: number, atUs: () => number): Gen[] {
    const out: Gen[] = [];
    for (let t = firstTrace; t < firstTrace + traces; t++) {
      const start = atUs();
      const project = rand() < 0.2 ? 'other' : 'default';
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
        const type = k === 0 ? 'agent' : ['llm_call', 'tool_call', 'embedding', 'chain'][Math.floor(rand() * 4)];
        const llm = type === 'llm_call' || type === 'embedding';
        const tokens = llm || rand() < 0.05;
        out.push({
          project_id: project, trace_id: t.toString(16).padStart(32, '0'), span_id: `${t.toString(16).padStart(8, '0')}${k.toString(16).padStart(8, '0')}`,
          // Some spans start minutes after the trace: a trace may cross an hour or a day.
          started_us: start + k * Math.floor(rand() * 20 * 60_000_000), type, status: rand() < 0.1 ? 'error' : 'ok',
          agent_name: k === 0 || rand() < 0.2 ? `agent-${Math.floor(rand() * 3)}` : null,
          request_model: llm ? ['gpt-4o', 'claude-sonnet-4'][Math.floor(rand() * 2)] : null,
          response_model: llm && rand() < 0.5 ? 'gpt-4o-2024-08-06' : null,
          provider: llm ? (rand() < 0.8 ? 'openai' : null) : null,
          tool_name: type === 'tool_call' ? `tool-${Math.floor(rand() * 4)}` : null,
          server_name: type === 'tool_call' && rand() < 0.7 ? `mcp-${Math.floor(rand() * 2)}` : null,
          input_tokens: tokens ? Math.floor(rand() * 5000) : null, output_tokens: tokens && rand() < 0.9 ? Math.floor(rand() * 800) : null,
          reasoning_tokens: tokens && rand() < 0.3 ? Math.floor(rand() * 100) : null,
          cost_usd: tokens && rand() < 0.7 ? Math.round(rand() * 1e6) / 1e8 : null,
          duration_ms: Math.round(rand() * 5e6) / 1e3,
        });
      }
    }
    return out;
  }

  beforeAll(async () => {
    ({ dir, store } = await openTestStore('lookspan-rollup-'));
    // Three rounds of traces over four days, each sealed into its own files.
    for (let round = 0; round < 3; round++) {
      await load(generate(120, round * 1000, () => T0 + Math.floor(rand() * 4 * DAY_US)));
      await store.sealAll();
    }
    // Late spans for traces already sealed (their hours now have rows in files and hot rows), and new hot traces.
    const late = spans.filter((_, i) => i % 17 === 0).map((s, i): Gen => ({ ...s, span_id: `late${i.toString(16).padStart(12, '0')}`, started_us: s.started_us + 60_000_000 }));
    await load([...late, ...generate(40, 5000, () => T0 + Math.floor(rand() * 4 * DAY_US))]);
  }, 60_000);

  afterAll(async () => {
    await store?.close(Date.now() + 10_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('holds, per hour and group, the counts and sums of every span, hot rows and files together', async () => {
    const hot = await store.db.withSnapshot((c) => queryRows(c, 'SELECT count(*) AS n FROM spans'));
    expect(Number(hot[0].n)).toBeGreaterThan(0);
    const files = await store.db.withSnapshot((c) => queryRows(c, `SELECT count(*) AS n FROM lake_files WHERE kind = 'spans'`));
    expect(Number(files[0].n)).toBeGreaterThan(8);
    expectSame(await storedRollups(store), expectedRollups(spans));
  });

  it('gives every window, whole hours or not, the sums the spans give', async () => {
    const windows: Array<[number, number]> = [
      [T0, T0 + 4 * DAY_US], [T0 + 1234567, T0 + 3 * DAY_US - 7654321], [T0 + 5 * 60_000_000, T0 + 50 * 60_000_000],
      [T0 + HOUR_US, T0 + 2 * HOUR_US], [T0 + 30 * HOUR_US + 17, T0 + 30 * HOUR_US + 18],
    ];
    for (let i = 0; i < 6; i++) {
      const a = T0 + Math.floor(rand() * 4 * DAY_US);
      windows.push([a, a + 1 + Math.floor(rand() * 2 * DAY_US)]);
    }
    for (const [from, to] of windows) {
      for (const project of ['default', 'other']) {
        const [viaRollups, direct] = await windowBothWays(store, project, from, to);
        expect(viaRollups).toEqual(direct);
      }
    }
    const [some] = await windowBothWays(store, 'default', T0, T0 + 4 * DAY_US);
    expect(some.length).toBeGreaterThan(20);
  });

  it('stays the same after a seal and after compaction', async () => {
    const expected = expectedRollups(spans);
    await store.sealAll();
    expectSame(await storedRollups(store), expected);
    const c = await store.compact();
    expect(c.partitions).toBeGreaterThan(0);
    const after = await store.db.withSnapshot((conn) => queryRows(conn, `
      SELECT (SELECT count(*) FROM lake_rollups WHERE path NOT IN (SELECT path FROM lake_files)) AS orphaned,
             (SELECT count(*) FROM lake_files WHERE kind = 'spans' AND path NOT IN (SELECT path FROM lake_rollups)) AS unrolled`));
    expect(after[0]).toEqual({ orphaned: 0, unrolled: 0 });
    expectSame(await storedRollups(store), expected);
  });

  it('is rebuilt from the files when its rows are missing (a store from before rollups)', async () => {
    await store.db.writer.run('DELETE FROM lake_rollups');
    await store.lake.refresh(store.db.writer);
    expectSame(await storedRollups(store), expectedRollups(spans));
  });

  it('drops the rows of partitions retention drops', async () => {
    // Keep from the third day on: the horizon's date is T0 + 2 days.
    const days = Math.floor((Date.now() * 1000 - (T0 + 2 * DAY_US + HOUR_US)) / DAY_US);
    const r = await store.retention(false, days);
    expect(r.files).toBeGreaterThan(0);
    const horizonDate = r.horizon!.slice(0, 10);
    const kept = spans.filter((s) => new Date(s.started_us / 1000).toISOString().slice(0, 10) >= horizonDate);
    expect(kept.length).toBeLessThan(spans.length);
    const left = await store.db.withSnapshot((c) => queryRows(c,
      `SELECT count(*) AS n FROM lake_rollups WHERE strftime(hour, '%Y-%m-%d') < $1 OR path NOT IN (SELECT path FROM lake_files)`, [horizonDate]));
    expect(Number(left[0].n)).toBe(0);
    expectSame(await storedRollups(store), expectedRollups(kept));
  });
});
