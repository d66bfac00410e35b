import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from './rows.js';
import { SERVER_CALL_SQL } from './spans.js';

/**
 * The lineage graph (docs/analysis.md "Lineage"): agents and MCP servers
 * as nodes; `calls` edges from an agent to each server it called and
 * `handoff` edges from an agent to each agent it handed work to, built from
 * the spans that started inside a time window.
 *
 * A call is a span naming an MCP server; its agent is the span's own agent
 * or, when the span names none, its parent span's (instrumentations put the
 * agent on the agent span and not on each tool call). A handoff is a span
 * that names its target agent (`langsight.target_agent_name`, the
 * ToolCallSpan handoff), or a span of agent B whose parent span belongs to
 * agent A ≠ B and is not a handoff to B (that one is counted already).
 */
export interface LineageQuery {
  projectId: string;
  /** Microseconds since the epoch: spans that started inside [fromUs, toUs]. */
  fromUs: number;
  toUs: number;
}

export interface LineageMetrics {
  call_count: number;
  error_count: number;
  avg_latency_ms: number | null;
  p95_latency_ms: number | null;
  session_count: number;
}

export interface LineageNode {
  id: string;
  type: 'agent' | 'server';
  label: string;
  metrics: LineageMetrics;
}

export interface LineageEdge {
  source: string;
  target: string;
  type: 'calls' | 'handoff';
  metrics: LineageMetrics;
}

/** At most this many nodes and edges each (the busiest first); `truncated` says when more exist. */
export const LINEAGE_MAX_ITEMS = 5000;

const METRICS = `count(*)::BIGINT AS call_count, count(*) FILTER (WHERE status = 'error')::BIGINT AS error_count,
  avg(duration_ms) AS avg_latency_ms, quantile_cont(duration_ms, 0.95) AS p95_latency_ms,
  count(DISTINCT session_id)::BIGINT AS session_count`;

const round = (x: unknown) => (x === null || x === undefined ? null : Math.round(Number(x) * 1000) / 1000);
const metrics = (r: Record<string, unknown>): LineageMetrics => ({
  call_count: Number(r.call_count), error_count: Number(r.error_count), avg_latency_ms: round(r.avg_latency_ms),
  p95_latency_ms: round(r.p95_latency_ms), session_count: Number(r.session_count),
});

/** The graph of the window, busiest nodes and edges first. */
export async function lineage(conn: DuckDBConnection, q: LineageQuery): Promise<{ nodes: LineageNode[]; edges: LineageEdge[]; truncated: boolean }> {
  const params = [q.projectId, q.fromUs, q.toUs, LINEAGE_MAX_ITEMS + 1];
  const role = (kind: string, a: string, b: string) => `{'kind': '${kind}', 'a': ${a}, 'b': ${b}}`;
  // One scan of the window's spans, each joined to its parent (the spans that name an agent), and one
  // aggregation: every span stands for each role it plays (a call of an agent to a server, a call to a
  // server, a span of an agent, a handoff), unnested into (kind, a, b) rows grouped together.
  const rows = await queryRows(conn, `
    WITH w AS (
      SELECT trace_id, span_id, parent_span_id, agent_name, server_name, status, duration_ms, session_id, ${SERVER_CALL_SQL} AS is_call,
        CASE WHEN type = 'agent' AND contains(CAST(attributes AS VARCHAR), 'langsight.target_agent_name')
          THEN json_extract_string(attributes, '$."langsight.target_agent_name"') END AS target_agent
      FROM all_spans WHERE project_id = $1 AND started_at >= make_timestamp($2::BIGINT) AND started_at < make_timestamp($3::BIGINT)),
    j AS (
      SELECT w.*, coalesce(w.agent_name, p.agent_name) AS agent, p.agent_name AS parent_agent, p.target_agent AS parent_target
      FROM w LEFT JOIN (SELECT trace_id, span_id, agent_name, target_agent FROM w WHERE agent_name IS NOT NULL) p
        ON p.trace_id = w.trace_id AND p.span_id = w.parent_span_id),
    roles AS (
      SELECT unnest(list_filter([
          CASE WHEN is_call AND agent IS NOT NULL THEN ${role('call', 'agent', 'server_name')} END,
          CASE WHEN is_call AND agent IS NOT NULL THEN ${role('agent_calls', 'agent', 'NULL::VARCHAR')} END,
          CASE WHEN is_call THEN ${role('server', 'NULL::VARCHAR', 'server_name')} END,
          CASE WHEN agent IS NOT NULL THEN ${role('agent', 'agent', 'NULL::VARCHAR')} END,
          -- A span under another agent's span is a handoff, unless that span already named it as its target.
          CASE WHEN agent_name IS NOT NULL AND parent_agent IS NOT NULL AND parent_agent <> agent_name
              AND parent_target IS DISTINCT FROM agent_name THEN ${role('handoff', 'parent_agent', 'agent_name')} END,
          CASE WHEN target_agent IS NOT NULL AND agent_name IS NOT NULL AND target_agent <> agent_name
            THEN ${role('handoff', 'agent_name', 'target_agent')} END
        ], x -> x IS NOT NULL), recursive := true), status, duration_ms, session_id
      FROM j),
    g AS (SELECT kind, a, b, ${METRICS} FROM roles GROUP BY kind, a, b),
    ranked AS (SELECT *, row_number() OVER (PARTITION BY kind ORDER BY call_count DESC, a, b) AS rank FROM g)
    SELECT * FROM ranked WHERE rank <= $4 ORDER BY kind, rank`, params);
  const calls = rows.filter((r) => r.kind !== 'handoff' && r.kind !== 'agent');
  const handoffs = rows.filter((r) => r.kind === 'handoff');
  const agents = rows.filter((r) => r.kind === 'agent');

  const edges: LineageEdge[] = [];
  const serverNodes: LineageNode[] = [];
  const agentCalls = new Map<string, LineageMetrics>();
  for (const r of calls) {
    if (r.kind === 'call') {
      edges.push({ source: `agent:${r.a}`, target: `server:${r.b}`, type: 'calls', metrics: metrics(r) });
    } else if (r.kind === 'server') {
      serverNodes.push({ id: `server:${r.b}`, type: 'server', label: String(r.b), metrics: metrics(r) });
    } else {
      agentCalls.set(String(r.a), metrics(r));
    }
  }
  for (const r of handoffs) {
    edges.push({ source: `agent:${r.a}`, target: `agent:${r.b}`, type: 'handoff', metrics: metrics(r) });
  }
  const agentNodes = new Map<string, LineageNode>();
  const none: LineageMetrics = { call_count: 0, error_count: 0, avg_latency_ms: null, p95_latency_ms: null, session_count: 0 };
  for (const r of agents) {
    const name = String(r.a);
    // An agent's calls are its MCP calls; its sessions are every session it has a span in.
    const m = agentCalls.get(name) ?? none;
    agentNodes.set(name, { id: `agent:${name}`, type: 'agent', label: name, metrics: { ...m, session_count: Number(r.session_count) } });
  }
  // A handoff target seen only as a target (its own spans outside the window) is still a node.
  for (const e of edges) {
    for (const id of [e.source, e.target]) {
      const name = id.slice('agent:'.length);
      if (id.startsWith('agent:') && !agentNodes.has(name)) {
        agentNodes.set(name, { id, type: 'agent', label: name, metrics: agentCalls.get(name) ?? none });
      }
    }
  }
  const nodes = [...agentNodes.values(), ...serverNodes];
  // The ranking keeps LINEAGE_MAX_ITEMS + 1 of each kind: one more than shown says the graph was cut.
  const truncated = rows.some((r) => Number(r.rank) > LINEAGE_MAX_ITEMS);
  const keep = (xs: unknown[]) => xs.slice(0, LINEAGE_MAX_ITEMS);
  return { nodes: keep(nodes) as LineageNode[], edges: keep(edges) as LineageEdge[], truncated };
}
