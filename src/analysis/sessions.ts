import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { listValue } from '@duckdb/node-api';
import { MERGED_TRACES } from '../store/lake/relations.js';
import { SPAN_PROBLEM_SQL, healthTagSql, type HealthTag } from './health-tags.js';
import { isoSql, queryRows } from './rows.js';
import { SERVER_CALL_SQL } from './spans.js';
import { idSource } from '../store/lake/id-lookup.js';
import { paramList, partsBefore, partsSince, spanSemiJoin, windowParts, windowSearch } from './trace-window.js';

/**
 * Sessions: the traces that name one `session_id` (a trace's session is
 * the first its spans name, as its summary records it), with every span of
 * those traces. One implementation serves both shapes: GET /api/sessions
 * (camelCase) and GET /api/agents/sessions (langsight's session object).
 */
export interface SessionFilter {
  projectId: string;
  /** Sessions in which this agent has at least one span. */
  agentName?: string;
  userId?: string;
  healthTag?: HealthTag;
  /** `failed`: at least one failed span; `clean`: none. */
  outcome?: 'failed' | 'clean';
  /** Microseconds since the epoch, inclusive bounds on the session start. */
  fromUs?: number;
  toUs?: number;
  limit: number;
  offset: number;
}

/** A session as both API shapes are built from it. */
export interface SessionSummary {
  id: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  traceCount: number;
  spanCount: number;
  errorCount: number;
  llmCallCount: number;
  toolCallCount: number;
  failedToolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  /** The agent of the session's first trace (the one that started it). */
  rootAgent: string | null;
  userId: string | null;
  agents: string[];
  servers: string[];
  healthTag: HealthTag;
}

const INT64_MAX = '9223372036854775807';

/** Trace parts per session the first window is sized for (a few traces each, some sealed in two parts). */
const SESSION_PARTS_HINT = 8;

/** Sessions grouped from merged trace summaries (`t`: merged rows with a session). */
const SESSION_GROUP = `
  SELECT session_id, min(started_at) AS started_at, max(ended_at) AS ended_at, count(*)::BIGINT AS trace_count,
    sum(span_count)::BIGINT AS span_count, sum(error_count)::BIGINT AS error_count,
    sum(llm_call_count)::BIGINT AS llm_call_count, sum(tool_call_count)::BIGINT AS tool_call_count,
    least(sum(input_tokens), ${INT64_MAX})::BIGINT AS input_tokens, least(sum(output_tokens), ${INT64_MAX})::BIGINT AS output_tokens,
    sum(cost_usd) AS cost_usd,
    arg_min(agent_name, started_at) FILTER (WHERE agent_name IS NOT NULL) AS root_agent,
    arg_min(user_id, started_at) FILTER (WHERE user_id IS NOT NULL) AS user_id,
    list(trace_id ORDER BY started_at, trace_id) AS trace_ids
  FROM t GROUP BY session_id`;

interface SessionRow {
  session_id: string;
  started_at: string;
  ended_at: string;
  started_us: number;
  ended_us: number;
  trace_count: number;
  span_count: number;
  error_count: number;
  llm_call_count: number;
  tool_call_count: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  root_agent: string | null;
  user_id: string | null;
  trace_ids: string[];
}

const SESSION_COLUMNS = `session_id, ${isoSql('started_at')} AS started_at_iso, ${isoSql('ended_at')} AS ended_at_iso,
  epoch_us(started_at) AS started_us, epoch_us(ended_at) AS ended_us, trace_count, span_count, error_count,
  llm_call_count, tool_call_count, input_tokens, output_tokens, cost_usd, root_agent, user_id, trace_ids`;

function toRow(r: Record<string, unknown>): SessionRow {
  return {
    session_id: String(r.session_id), started_at: String(r.started_at_iso), ended_at: String(r.ended_at_iso),
    started_us: Number(r.started_us), ended_us: Number(r.ended_us), trace_count: Number(r.trace_count),
    span_count: Number(r.span_count), error_count: Number(r.error_count), llm_call_count: Number(r.llm_call_count),
    tool_call_count: Number(r.tool_call_count), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens),
    cost_usd: (r.cost_usd as number) ?? null, root_agent: (r.root_agent as string) ?? null, user_id: (r.user_id as string) ?? null,
    trace_ids: (r.trace_ids as string[]) ?? [],
  };
}

/** Span columns the session facts (agents, servers, tool calls, health tag) read. */
const FACT_COLUMNS = 's.agent_name, s.server_name, s.tool_name, s.mcp_method, s.type, s.status, s.started_at';

/**
 * The spans of `sessions`' traces (`sid` = the session), bounded by the sessions' time range:
 * `columns` of them (all by default) and their `problem`.
 */
async function sessionSpans(conn: DuckDBConnection, projectId: string, rows: SessionRow[], add: (v: DuckDBValue) => string, columns = 's.*'): Promise<string> {
  const traces = rows.flatMap((r) => r.trace_ids);
  const sids = rows.flatMap((r) => r.trace_ids.map(() => r.session_id));
  // A trace's spans start inside [trace start, trace end], and only the files whose trace-id filters may hold one are read.
  const spans = await idSource(conn, {
    projectId, kind: 'spans', keys: [{ column: 'trace_id', ids: traces }],
    sinceUs: Math.min(...rows.map((r) => r.started_us)), beforeUs: Math.max(...rows.map((r) => r.ended_us)) + 1,
  }, add);
  return `SELECT p.sid, ${columns}, ${SPAN_PROBLEM_SQL} AS problem
    FROM (${spans}) s JOIN (SELECT unnest(${add(listValue(traces))}::VARCHAR[]) AS trace_id, unnest(${add(listValue(sids))}::VARCHAR[]) AS sid) p USING (trace_id)`;
}

/** Span-level aggregates of each session: agents, servers, tool calls and the health tag. */
async function spanFacts(conn: DuckDBConnection, projectId: string, rows: SessionRow[]): Promise<Map<string, { agents: string[]; servers: string[]; toolCalls: number; failedToolCalls: number; healthTag: HealthTag }>> {
  const out = new Map<string, { agents: string[]; servers: string[]; toolCalls: number; failedToolCalls: number; healthTag: HealthTag }>();
  if (rows.length === 0) return out;
  const { params, add } = paramList([projectId]);
  // Only the columns the facts read: the CTE is materialized, so DuckDB would otherwise read every payload of every span.
  const spans = await sessionSpans(conn, projectId, rows, add, FACT_COLUMNS);
  const facts = await queryRows(conn, `
    WITH ss AS MATERIALIZED (${spans}),
    tags AS (${healthTagSql('SELECT sid, tool_name, started_at, status, problem FROM ss')})
    SELECT f.sid, f.agents, f.servers, f.tool_calls, f.failed_tool_calls, tags.health_tag FROM (
      SELECT sid,
        coalesce(list(DISTINCT agent_name ORDER BY agent_name) FILTER (WHERE agent_name IS NOT NULL), []) AS agents,
        coalesce(list(DISTINCT server_name ORDER BY server_name) FILTER (WHERE ${SERVER_CALL_SQL}), []) AS servers,
        count(*) FILTER (WHERE type = 'tool_call') AS tool_calls,
        count(*) FILTER (WHERE type = 'tool_call' AND status = 'error') AS failed_tool_calls
      FROM ss GROUP BY sid) f JOIN tags USING (sid)`, params);
  for (const f of facts) {
    out.set(String(f.sid), {
      agents: (f.agents as string[]) ?? [], servers: (f.servers as string[]) ?? [],
      toolCalls: Number(f.tool_calls), failedToolCalls: Number(f.failed_tool_calls), healthTag: f.health_tag as HealthTag,
    });
  }
  return out;
}

function toSummary(r: SessionRow, f: { agents: string[]; servers: string[]; toolCalls: number; failedToolCalls: number; healthTag: HealthTag } | undefined): SessionSummary {
  return {
    id: r.session_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: (r.ended_us - r.started_us) / 1000,
    traceCount: r.trace_count,
    spanCount: r.span_count,
    errorCount: r.error_count,
    llmCallCount: r.llm_call_count,
    toolCallCount: f?.toolCalls ?? r.tool_call_count,
    failedToolCalls: f?.failedToolCalls ?? 0,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    costUsd: r.cost_usd,
    rootAgent: r.root_agent,
    userId: r.user_id,
    agents: f?.agents ?? [],
    servers: f?.servers ?? [],
    healthTag: f?.healthTag ?? 'success',
  };
}

/** A session of a window: its id, start and traces (the full summary is merged for the page alone). */
interface WindowRow {
  session_id: string;
  start_us: number;
  trace_ids: string[];
}

/**
 * Sessions newest first (by their first trace's start), and whether more
 * follow. A session that started at time B or later has every trace, and
 * so every trace part, starting at B or later: the window search of
 * trace-window.ts applies, with the probe asking whether a session (or
 * one of its traces) has a part starting before the window.
 */
export async function listSessions(conn: DuckDBConnection, f: SessionFilter): Promise<{ sessions: SessionSummary[]; hasMore: boolean }> {
  const page = await windowSearch<WindowRow>(conn, {
    projectId: f.projectId, fromUs: f.fromUs, toUs: f.toUs, limit: f.limit, offset: f.offset,
    fetch: async (bound, limit) => {
      const { params, add } = paramList([f.projectId]);
      const parts = windowParts(bound, add);
      const traceConds = ['session_id IS NOT NULL'];
      if (f.userId !== undefined) traceConds.push(`user_id = ${add(f.userId)}`);
      const having: string[] = [];
      if (f.fromUs !== undefined) having.push(`min(started_at) >= make_timestamp(${add(f.fromUs)}::BIGINT)`);
      if (f.toUs !== undefined) having.push(`min(started_at) <= make_timestamp(${add(f.toUs)}::BIGINT)`);
      if (f.agentName !== undefined) having.push(`bool_or(${spanSemiJoin(`agent_name = ${add(f.agentName)}`, bound, f.fromUs, add)})`);
      if (f.outcome === 'failed') having.push('sum(error_count) > 0');
      if (f.outcome === 'clean') having.push('sum(error_count) = 0');
      let tags = '';
      let tagJoin = '';
      if (f.healthTag !== undefined) {
        // The tag needs the spans: those of the window's sessions, which started inside the window.
        const since = bound === null ? '' : ` AND s.started_at >= make_timestamp(${add(bound)}::BIGINT)`;
        tags = `, ws AS (SELECT x.session_id AS sid, s.tool_name, s.started_at, s.status, s.error_type, s.status_message
                    FROM all_spans s JOIN (SELECT trace_id, session_id FROM t) x USING (trace_id) WHERE s.project_id = $1${since}),
                 tags AS (${healthTagSql(`SELECT sid, tool_name, started_at, status, ${SPAN_PROBLEM_SQL} AS problem FROM ws`)})`;
        tagJoin = ` JOIN tags ON tags.sid = g.session_id AND tags.health_tag = ${add(f.healthTag)}`;
      }
      // Sessions that started before the bound (one of their parts, or of their traces' parts, starts before it)
      // are dropped in the same statement, so each window is one round trip.
      const early = bound === null ? '' : `,
        early AS (
          SELECT session_id FROM all_trace_parts WHERE project_id = $1 AND ${partsBefore(bound, add)}
            AND session_id IN (SELECT session_id FROM g)
          UNION SELECT t.session_id FROM t WHERE t.trace_id IN (
            SELECT trace_id FROM all_trace_parts WHERE project_id = $1 AND ${partsBefore(bound, add)}
              AND trace_id IN (SELECT trace_id FROM t)))`;
      // Only the columns the filters and the order need, so DuckDB merges just those aggregates.
      const rows = await queryRows(conn, `
        WITH parts AS (${parts}), merged AS (${MERGED_TRACES}),
        t AS (SELECT trace_id, session_id, started_at, error_count FROM merged WHERE ${traceConds.join(' AND ')}),
        g AS (SELECT session_id, min(started_at) AS started_at, list(trace_id) AS trace_ids FROM t GROUP BY session_id
              ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''})${tags}${early}
        SELECT g.session_id, epoch_us(g.started_at) AS start_us, g.trace_ids FROM g${tagJoin}
        ${bound === null ? '' : 'WHERE g.session_id NOT IN (SELECT session_id FROM early)'}
        ORDER BY g.started_at DESC, g.session_id LIMIT ${add(limit)}`, params);
      return rows.map((r) => ({ session_id: String(r.session_id), start_us: Number(r.start_us), trace_ids: (r.trace_ids as string[]) ?? [] }));
    },
    // fetch drops them itself.
    startedBefore: async () => new Set(),
    partsPerRow: SESSION_PARTS_HINT,
  });
  if (page.rows.length === 0) return { sessions: [], hasMore: page.hasMore };
  const full = await sessionRows(conn, f.projectId, page.rows);
  const facts = await spanFacts(conn, f.projectId, full);
  return { sessions: full.map((r) => toSummary(r, facts.get(r.session_id))), hasMore: page.hasMore };
}

/** The full summaries of a window's sessions, newest first: their traces merged from the parts starting no earlier than the oldest. */
async function sessionRows(conn: DuckDBConnection, projectId: string, page: WindowRow[]): Promise<SessionRow[]> {
  const { params, add } = paramList([projectId]);
  const since = partsSince(Math.min(...page.map((r) => r.start_us)), add);
  const traces = add(listValue(page.flatMap((r) => r.trace_ids)));
  const rows = await queryRows(conn, `
    WITH parts AS (SELECT * EXCLUDE (date) FROM all_trace_parts WHERE project_id = $1 AND ${since} AND trace_id IN (SELECT unnest(${traces}::VARCHAR[]))),
    merged AS (${MERGED_TRACES}),
    t AS (SELECT * FROM merged WHERE session_id IS NOT NULL),
    g AS (${SESSION_GROUP})
    SELECT ${SESSION_COLUMNS} FROM g ORDER BY g.started_at DESC, g.session_id`, params);
  return rows.map(toRow);
}

/** One agent's part in a session (the multi-agent timeline). */
export interface SessionAgent {
  name: string;
  firstSeenAt: string;
  lastSeenAt: string;
  spanCount: number;
  errorCount: number;
  llmCallCount: number;
  toolCallCount: number;
}

/** The session's merged trace summaries: every trace whose session it is (found through the parts that name it). */
async function sessionRow(conn: DuckDBConnection, projectId: string, sessionId: string): Promise<SessionRow | null> {
  // Two multi-id lookups: the parts naming the session (files whose session-id filter may hold it), then every part of those traces.
  const named = paramList([projectId]);
  const naming = await idSource(conn, { projectId, kind: 'traces', keys: [{ column: 'session_id', ids: [sessionId] }] }, named.add);
  const ids = (await queryRows(conn, `SELECT DISTINCT trace_id FROM (${naming}) ORDER BY trace_id`, named.params)).map((r) => String(r.trace_id));
  if (ids.length === 0) return null;
  const { params, add } = paramList([projectId]);
  const parts = await idSource(conn, { projectId, kind: 'traces', keys: [{ column: 'trace_id', ids }] }, add);
  const rows = await queryRows(conn, `
    WITH parts AS (SELECT * EXCLUDE (date) FROM (${parts})),
    merged AS (${MERGED_TRACES}),
    t AS (SELECT * FROM merged WHERE session_id = ${add(sessionId)}),
    g AS (${SESSION_GROUP})
    SELECT ${SESSION_COLUMNS} FROM g`, params);
  return rows.length === 0 ? null : toRow(rows[0]);
}

/** A session found by getSession: what sessionSpanRows needs to read its spans without looking it up again. */
export type SessionRef = SessionRow;

/**
 * A session's summary, and with `timeline` its agents in order of
 * appearance; null when no trace names it.
 */
export async function getSession(conn: DuckDBConnection, projectId: string, sessionId: string, opts: { timeline: boolean } = { timeline: true }): Promise<{ summary: SessionSummary; agents: SessionAgent[]; traceIds: string[]; startUs: number; ref: SessionRef } | null> {
  const row = await sessionRow(conn, projectId, sessionId);
  if (row === null) return null;
  const facts = await spanFacts(conn, projectId, [row]);
  const { params, add } = paramList([projectId]);
  const agents = !opts.timeline ? [] : await queryRows(conn, `
    SELECT agent_name, ${isoSql('min(started_at)')} AS first_seen, ${isoSql('max(ended_at)')} AS last_seen,
      count(*) AS spans, count(*) FILTER (WHERE status = 'error') AS errors,
      count(*) FILTER (WHERE type = 'llm_call') AS llm_calls, count(*) FILTER (WHERE type = 'tool_call') AS tool_calls
    FROM (${await sessionSpans(conn, projectId, [row], add)}) WHERE agent_name IS NOT NULL
    GROUP BY agent_name ORDER BY min(started_at), agent_name`, params);
  return {
    summary: toSummary(row, facts.get(row.session_id)),
    agents: agents.map((a) => ({
      name: String(a.agent_name), firstSeenAt: String(a.first_seen), lastSeenAt: String(a.last_seen),
      spanCount: Number(a.spans), errorCount: Number(a.errors), llmCallCount: Number(a.llm_calls), toolCallCount: Number(a.tool_calls),
    })),
    traceIds: row.trace_ids,
    startUs: row.started_us,
    ref: row,
  };
}

/** The session's spans, ordered by start, at most `limit` of them after `offset`, with whether more follow. */
export async function sessionSpanRows(conn: DuckDBConnection, projectId: string, ref: SessionRef, columns: string, limit: number, offset: number): Promise<{ rows: Record<string, unknown>[]; hasMore: boolean }> {
  const { params, add } = paramList([projectId]);
  const rows = await queryRows(conn, `
    SELECT ${columns} FROM (${await sessionSpans(conn, projectId, [ref], add)}) ORDER BY started_at, trace_id, span_id LIMIT ${add(limit + 1)} OFFSET ${add(offset)}`, params);
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
