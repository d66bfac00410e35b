/**
 * The agent read side at scale: BENCH_AGENT_READS_SPANS (default 1M; 10M
 * optional) multi-agent session spans generated straight into the hot
 * tables (one day per million spans, ending now, sealed every 200k spans as
 * the default hot bound would, as bench/lake-read.ts does), then the
 * session list (plain, by agent, by health tag), session detail (both
 * shapes) and the lineage graph measured through the functions the routes
 * call.
 *
 * Each session: 4 traces of 10 spans; a root agent (agent span, 2 LLM
 * calls, 3 MCP tool calls) hands over to a second agent (agent span, 1 LLM
 * call, 2 tool calls); 2.5 % of tool calls fail, 0.3 % are blocked by the
 * SDK's prevention layer, 0.3 % time out.
 *
 *   npx tsx bench/agent-reads.ts                 (BENCH_AGENT_READS_SPANS=1000000)
 *   BENCH_AGENT_READS_SPANS=10000000 npx tsx bench/agent-reads.ts
 *   BENCH_AGENT_READS_RUNS_SCALE=0.3 ...        (fewer runs of each read: lineage at 10M takes seconds a run)
 *
 * Each line has wall p50/p95, the process CPU per run and the target (lists p95 < 50 ms, lineage < 300 ms at 10M).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Store } from '../src/store/index.js';
import { DEFAULT_DUCKDB_MEMORY_LIMIT } from '../src/config/schema.js';
import { getSession, listSessions, sessionSpanRows } from '../src/analysis/sessions.js';
import { lineage } from '../src/analysis/lineage.js';
import { TOOL_CALL_COLUMNS, listSpans } from '../src/analysis/spans.js';
import { listTraces } from '../src/analysis/traces.js';
import { DiscoveryCache, discoveredNames } from '../src/analysis/discovery.js';
import { closeBenchStore } from './bench-store.js';

const TOTAL = Number(process.env.BENCH_AGENT_READS_SPANS ?? 1_000_000);
const CHUNK = 1_000_000;
const BATCH = 200_000;
const SPANS_PER_TRACE = 10;
const TRACES_PER_SESSION = 4;
const DAY_US = 86_400_000_000;
const DAYS = Math.ceil(TOTAL / CHUNK);
const BASE_US = Date.now() * 1000 - DAYS * DAY_US;
const SESSIONS_PER_DAY = CHUNK / SPANS_PER_TRACE / TRACES_PER_SESSION;

/** Spans [from, from + n) of day `day` (n a multiple of a session's spans, so no session straddles two batches). */
async function generate(store: Store, day: number, from: number, n: number): Promise<void> {
  const t0 = BASE_US + day * DAY_US;
  const gap = Math.floor(DAY_US / SESSIONS_PER_DAY);
  await store.db.writer.run(`
    INSERT INTO spans (project_id, trace_id, span_id, parent_span_id, started_at, ended_at, duration_ms, name, span_kind, type,
      status, status_message, error_type, service_name, framework, session_id, user_id, agent_name, provider, operation,
      request_model, response_model, input_tokens, output_tokens, cost_usd, cost_source, tool_name, server_name, mcp_method,
      input, output, attributes, resource, events, links)
    SELECT 'default', lpad(printf('%x', gt), 32, '0'), lpad(printf('%x', g), 16, '0'),
      CASE WHEN k = 0 THEN NULL WHEN k <= 6 THEN lpad(printf('%x', g - k), 16, '0') ELSE lpad(printf('%x', g - k + 6), 16, '0') END,
      make_timestamp(st::BIGINT), make_timestamp((st + dur)::BIGINT), dur / 1000,
      CASE WHEN typ = 'tool_call' THEN 'tools/call ' || tool WHEN typ = 'agent' THEN 'invoke_agent ' || agent ELSE 'chat gpt-4o' END,
      'client', typ,
      CASE WHEN problem IS NULL THEN 'ok' ELSE 'error' END,
      CASE problem WHEN 'tool_error' THEN 'connection refused' WHEN 'timeout' THEN 'timed out after 30s'
        WHEN 'loop' THEN 'loop_detected: repetition — ' || tool || ' repeated 5 times'
        WHEN 'budget' THEN 'budget_exceeded: max_cost_usd limit is 1.0, actual is 1.02'
        WHEN 'cb' THEN 'circuit_breaker_open: ' || server || ' disabled after 5 consecutive failures' END,
      CASE WHEN problem IS NULL THEN NULL WHEN problem IN ('tool_error', 'timeout') THEN problem ELSE 'prevented' END,
      'bench', 'langsight', 'sess-' || gs, 'user-' || (gs % 100), agent,
      CASE WHEN typ = 'llm_call' THEN 'openai' END, CASE WHEN typ = 'llm_call' THEN 'chat' END,
      CASE WHEN typ = 'llm_call' THEN 'gpt-4o' END, CASE WHEN typ = 'llm_call' THEN 'gpt-4o-2024-08-06' END,
      CASE WHEN typ = 'llm_call' THEN 1000 END, CASE WHEN typ = 'llm_call' THEN 200 END, CASE WHEN typ = 'llm_call' THEN 0.0045 END,
      CASE WHEN typ = 'llm_call' THEN 'computed' ELSE 'unknown' END,
      CASE WHEN typ = 'tool_call' THEN tool END, CASE WHEN typ = 'tool_call' THEN server END, CASE WHEN typ = 'tool_call' THEN 'tools/call' END,
      '{"q":"select 1"}', '{"rows":1}', '{"langsight.span_type":"' || typ || '"}', '{"service.name":"bench"}', '[]', '[]'
    FROM (
      SELECT *, CASE WHEN typ <> 'tool_call' THEN NULL WHEN h < 25 THEN 'tool_error' WHEN h = 25 THEN 'loop' WHEN h = 26 THEN 'budget'
          WHEN h = 27 THEN 'cb' WHEN h < 31 THEN 'timeout' END AS problem,
        ${t0} + s * ${gap} + (t % ${TRACES_PER_SESSION}) * 20000000 + k * 100000 AS st,
        CASE WHEN k = 0 THEN 2000000 WHEN k = 6 THEN 900000 WHEN typ = 'llm_call' THEN 300000 ELSE (20 + h % 480) * 1000 END AS dur
      FROM (
        SELECT *, ${day} * ${CHUNK} + i AS g, ${day} * ${CHUNK / SPANS_PER_TRACE} + t AS gt, ${day} * ${SESSIONS_PER_DAY} + s AS gs,
          CASE WHEN k IN (0, 6) THEN 'agent' WHEN k IN (1, 2, 7) THEN 'llm_call' ELSE 'tool_call' END AS typ,
          'mcp-' || ((t + k) % 8) AS server, 'tool-' || ((t * 7 + k) % 5) AS tool,
          'agent-' || CASE WHEN k < 6 THEN s % 12 ELSE (s % 12 + 1 + s % 5) % 12 END AS agent
        FROM (SELECT i, i // ${SPANS_PER_TRACE} AS t, i % ${SPANS_PER_TRACE} AS k, i // ${SPANS_PER_TRACE * TRACES_PER_SESSION} AS s,
                hash(${day} * ${CHUNK} + i) % 1000 AS h
              FROM range(${from}, ${from + n}) r(i))))`);
  await store.db.writer.run(`
    INSERT INTO traces SELECT project_id, trace_id, min(started_at), max(ended_at),
      any_value(span_id) FILTER (WHERE parent_span_id IS NULL), any_value(name) FILTER (WHERE parent_span_id IS NULL),
      arg_min(name, started_at), CASE WHEN bool_or(status = 'error') THEN 'error' ELSE 'ok' END,
      'bench', 'langsight', any_value(session_id), any_value(user_id), any_value(agent_name) FILTER (WHERE parent_span_id IS NULL),
      count(*), count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE type = 'llm_call'), count(*) FILTER (WHERE type = 'tool_call'),
      sum(coalesce(input_tokens, 0)), sum(coalesce(output_tokens, 0)), sum(cost_usd), ['gpt-4o-2024-08-06'], now() - INTERVAL 1 HOUR
    FROM spans GROUP BY project_id, trace_id`);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
/** Runs of each read are scaled by BENCH_AGENT_READS_RUNS_SCALE (e.g. 0.3 for a quicker 10M run; at least 3 each). */
const SCALE = Number(process.env.BENCH_AGENT_READS_RUNS_SCALE ?? 1);

interface Timing {
  ms: number[];
  /** Process CPU (all DuckDB threads) per run: on a machine shared with other work the steadier figure. */
  cpuMs: number;
}
const fmt = (t: Timing) => `p50 ${pct(t.ms, 0.5).toFixed(1).padStart(7)} p95 ${pct(t.ms, 0.95).toFixed(1).padStart(7)} ms   CPU ${t.cpuMs.toFixed(1).padStart(7)} ms/run`;

async function timed(runs: number, fn: (i: number) => Promise<unknown>): Promise<Timing> {
  const n = Math.max(3, Math.round(runs * SCALE));
  const ms: number[] = [];
  let cpuUs = 0;
  for (let i = 0; i < n + 3; i++) {
    const t = performance.now();
    const c0 = process.cpuUsage();
    await fn(i);
    const c = process.cpuUsage(c0);
    // The first runs warm DuckDB's caches (parquet metadata, the catalog).
    if (i >= 3) {
      ms.push(performance.now() - t);
      cpuUs += c.user + c.system;
    }
  }
  return { ms, cpuMs: cpuUs / n / 1000 };
}

async function measure(store: Store, sessions: number): Promise<void> {
  const snap = <T>(fn: (c: import('@duckdb/node-api').DuckDBConnection) => Promise<T>) => store.db.withSnapshot(fn);
  const randomSession = () => `sess-${Math.floor(Math.random() * sessions)}`;
  const base = { projectId: 'default', limit: 50, offset: 0 };
  const cache = new DiscoveryCache();
  const lines: Array<[string, Timing]> = [
    ['sessions list (50)', await timed(30, () => snap((c) => listSessions(c, base)))],
    ['sessions list agent=agent-3', await timed(30, () => snap((c) => listSessions(c, { ...base, agentName: 'agent-3' })))],
    ['sessions list health_tag=loop_detected', await timed(10, () => snap((c) => listSessions(c, { ...base, healthTag: 'loop_detected' })))],
    ['trace list (50)', await timed(30, () => snap((c) => listTraces(c, base)))],
    ['trace list agent=agent-3', await timed(30, () => snap((c) => listTraces(c, { ...base, agentName: 'agent-3' })))],
    ['span list server=mcp-2', await timed(30, () => snap((c) => listSpans(c, { ...base, serverName: 'mcp-2' })))],
    ['sessions list page 20 (offset 1000)', await timed(10, () => snap((c) => listSessions(c, { ...base, offset: 1000 })))],
    ['session detail (summary, agents)', await timed(30, () => snap((c) => getSession(c, 'default', randomSession())))],
    ['session detail, langsight (spans, tree)', await timed(30, () => snap(async (c) => {
      const s = await getSession(c, 'default', randomSession(), { timeline: false });
      return sessionSpanRows(c, 'default', s!.ref, TOOL_CALL_COLUMNS, 1000, 0);
    }))],
    ['lineage 168h', await timed(10, () => snap((c) => lineage(c, { projectId: 'default', fromUs: Date.now() * 1000 - 168 * 3_600_000_000, toUs: Date.now() * 1000 })))],
    ['lineage 24h', await timed(10, () => snap((c) => lineage(c, { projectId: 'default', fromUs: Date.now() * 1000 - 24 * 3_600_000_000, toUs: Date.now() * 1000 })))],
    ['catalog discovery, counted afresh', await timed(10, () => snap((c) => discoveredNames(c, 'default')))],
    ['catalog discovery, sealed hours cached', await timed(10, () => snap((c) => discoveredNames(c, 'default', cache)))],
  ];
  for (const [name, t] of lines) {
    // The targets at 10M spans: lists (sessions, traces, spans, session detail) p95 under 50 ms, aggregates (lineage) under 300 ms.
    const target = name.startsWith('catalog') ? null : name.startsWith('lineage') ? 300 : 50;
    const verdict = target === null ? '' : `   target p95 < ${target} ms: ${pct(t.ms, 0.95) < target ? 'PASS' : 'FAIL'}`;
    console.log(`        ${name.padEnd(40)} ${fmt(t)}${verdict}`);
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookspan-bench-agent-reads-'));
  const store = await Store.open({
    dataDir: dir, duckdbMemoryLimit: process.env.BENCH_DUCKDB_MEMORY ?? DEFAULT_DUCKDB_MEMORY_LIMIT, duckdbThreads: 0, replica: 'bench',
    sealIdleSeconds: 3600, sealIntervalSeconds: 3600, commitDelayMs: 0, segmentMaxBytes: 1 << 30, segmentMaxAgeMs: 3_600_000,
  }, pino({ level: 'warn' }));
  try {
    await store.waitReplayed();
    const checkpoints = [1_000_000, TOTAL].filter((n, i, a) => n <= TOTAL && a.indexOf(n) === i);
    let stored = 0;
    let day = 0;
    const t0 = performance.now();
    for (const target of checkpoints) {
      while (stored < target) {
        const n = Math.min(CHUNK, target - stored);
        for (let off = 0; off < n; off += BATCH) {
          await generate(store, day, off, Math.min(BATCH, n - off));
          await store.sealAll();
        }
        stored += n;
        day++;
      }
      console.log(`${(stored / 1e6).toFixed(1).padStart(5)}M spans (${day * SESSIONS_PER_DAY} sessions), generated and sealed in ${((performance.now() - t0) / 1000).toFixed(0)} s; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      await measure(store, day * SESSIONS_PER_DAY);
    }
  } finally {
    await closeBenchStore(store, dir);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
