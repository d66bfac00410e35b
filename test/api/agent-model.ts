/**
 * A generated multi-agent data set (ToolCallSpans of langsight-api.txt) and
 * an independent model of what the read side must answer for it: sessions,
 * health tags and the lineage graph, computed here in plain TypeScript from
 * the rules in docs/analysis.md, never from the code under test.
 */

export interface GenSpan {
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  span_type: 'agent' | 'tool_call' | 'handoff' | 'llm_call';
  server_name: string;
  tool_name: string;
  agent_name: string;
  session_id: string;
  started_at: string;
  ended_at: string;
  status: 'success' | 'error' | 'timeout' | 'prevented';
  error?: string;
  cost_usd?: number;
  input_args?: unknown;
  target_agent_name?: string;
}

/** A small deterministic generator, so a failure names a reproducible data set. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

const AGENTS = ['planner', 'coder', 'reviewer', 'support'];
const SERVERS: Array<[string, string]> = [['pg-mcp', 'query'], ['slack-mcp', 'post'], ['jira-mcp', 'get_issue'], ['fs-mcp', 'read']];
export const PREVENTED = {
  loop: 'loop_detected: repetition — query repeated 5 times',
  budget: 'budget_exceeded: max_cost_usd limit is 1.0, actual is 1.2',
  wall: 'budget_exceeded: max_wall_time_s limit is 60, actual is 75',
  breaker: 'circuit_breaker_open: pg-mcp disabled after 5 consecutive failures',
};

const iso = (ms: number) => new Date(ms).toISOString();

interface CallPlan {
  status: GenSpan['status'];
  error?: string;
  server?: number;
}

/**
 * Sessions of 1-3 traces: a root agent span, 1-5 MCP tool calls, sometimes
 * a second agent (a span of its own under the root, with its own calls) and
 * a ToolCallSpan handoff. `crafted` sessions exercise each health tag rule.
 */
export function generate(seed: number, startMs: number, spreadMs: number): GenSpan[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const spans: GenSpan[] = [];
  let n = 0;
  const session = (sid: string, startAt: number, agent: string, traces: CallPlan[][], opts: { sub?: boolean } = {}) => {
    traces.forEach((calls, t) => {
      const trace = `${sid}-t${t}`;
      const t0 = startAt + t * 30_000 + Math.floor(rand() * 5000);
      let clock = t0 + 10;
      const root = `${trace}-root`;
      const tool = (parent: string, who: string, c: CallPlan) => {
        const [server, toolName] = SERVERS[c.server ?? Math.floor(rand() * SERVERS.length)];
        const dur = 5 + Math.floor(rand() * 400) + (rand() < 0.1 ? 1500 : 0);
        spans.push({
          trace_id: trace, span_id: `${trace}-c${n}`, parent_span_id: parent, span_type: 'tool_call', server_name: server, tool_name: toolName,
          agent_name: who, session_id: sid, started_at: iso(clock), ended_at: iso(clock + dur), status: c.status,
          ...(c.error ? { error: c.error } : {}), ...(rand() < 0.5 ? { cost_usd: Math.round(rand() * 1e6) / 1e8 } : {}),
          input_args: { n: n++ },
        });
        clock += dur + 3;
      };
      const sub = opts.sub ?? rand() < 0.35;
      const other = AGENTS[(AGENTS.indexOf(agent) + 1 + Math.floor(rand() * 3)) % AGENTS.length];
      const subCalls = sub ? calls.splice(Math.floor(calls.length / 2)) : [];
      for (const c of calls) tool(root, agent, c);
      if (sub) {
        const subId = `${trace}-sub`;
        // Half of the handoffs are announced by a ToolCallSpan handoff, which then parents the other agent's span.
        let parent = root;
        if (rand() < 0.5) {
          parent = `${trace}-handoff`;
          spans.push({
            trace_id: trace, span_id: parent, parent_span_id: root, span_type: 'handoff', server_name: `${agent}-runtime`, tool_name: 'handoff',
            agent_name: agent, session_id: sid, started_at: iso(clock), ended_at: iso(clock + 2), status: 'success', target_agent_name: other,
          });
          clock += 3;
        }
        const subStart = clock;
        for (const c of subCalls.length > 0 ? subCalls : [{ status: 'success' as const }]) tool(subId, other, c);
        spans.push({
          trace_id: trace, span_id: subId, parent_span_id: parent, span_type: 'agent', server_name: `${other}-runtime`, tool_name: 'run',
          agent_name: other, session_id: sid, started_at: iso(subStart - 1), ended_at: iso(clock + 1), status: 'success',
        });
        clock += 2;
      }
      spans.push({
        trace_id: trace, span_id: root, span_type: 'agent', server_name: `${agent}-runtime`, tool_name: 'run', agent_name: agent, session_id: sid,
        started_at: iso(t0), ended_at: iso(clock + 5), status: 'success',
      });
    });
  };
  const ok: CallPlan = { status: 'success' };
  const at = (i: number) => startMs + Math.floor((i / 60) * spreadMs);
  // One session per rule (docs/analysis.md), then random ones.
  session('s-success', at(0), 'planner', [[ok, ok], [ok]]);
  session('s-fallback', at(1), 'coder', [[{ status: 'error', error: 'connection reset', server: 0 }, { ...ok, server: 0 }]], { sub: false });
  session('s-loop', at(2), 'reviewer', [[ok, { status: 'prevented', error: PREVENTED.loop, server: 0 }]], { sub: false });
  session('s-budget', at(3), 'support', [[ok], [{ status: 'prevented', error: PREVENTED.budget }]], { sub: false });
  session('s-wall', at(4), 'planner', [[ok, { status: 'prevented', error: PREVENTED.wall }]], { sub: false });
  session('s-timeout', at(5), 'coder', [[{ status: 'timeout', server: 1 }, { ...ok, server: 2 }]], { sub: false });
  session('s-breaker', at(6), 'reviewer', [[{ status: 'prevented', error: PREVENTED.breaker, server: 0 }, { ...ok, server: 3 }]], { sub: false });
  session('s-drift', at(7), 'support', [[{ status: 'error', error: 'Schema drift: get_issue input changed', server: 2 }, { ...ok, server: 2 }]], { sub: false });
  session('s-failure', at(8), 'planner', [[ok, { status: 'error', error: 'permission denied', server: 3 }]], { sub: false });
  // Clean by its spans; its agent's prevention config (max_steps 2) makes the engine tag it budget_exceeded.
  session('s-budgeted', at(9), 'budgeted', [[ok, ok, ok, ok]], { sub: false });
  for (let i = 10; i < 60; i++) {
    const traces = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Array.from({ length: 1 + Math.floor(rand() * 5) }, (): CallPlan => {
      const x = rand();
      if (x < 0.78) return ok;
      if (x < 0.9) return { status: 'error', error: pick(['connection refused', 'bad request', 'Schema drift detected on tool']) };
      if (x < 0.95) return { status: 'timeout' };
      return { status: 'prevented', error: pick(Object.values(PREVENTED)) };
    }));
    session(`s-${String(i).padStart(3, '0')}`, at(i) + Math.floor(rand() * 60_000), pick(AGENTS), traces);
  }
  return spans;
}

/** A generated span as the store keeps it (the native receiver's mapping, src/semconv/native/tool-call-span.ts). */
export interface Stored {
  span: GenSpan;
  type: string;
  toolName: string | null;
  failed: boolean;
  errorType: string | null;
  message: string | null;
  startUs: number;
  endUs: number;
  durationMs: number;
}

export function stored(s: GenSpan): Stored {
  const startUs = Date.parse(s.started_at) * 1000;
  const endUs = Date.parse(s.ended_at) * 1000;
  return {
    span: s,
    type: s.span_type === 'tool_call' ? 'tool_call' : s.span_type === 'llm_call' ? 'llm_call' : 'agent',
    toolName: s.span_type === 'tool_call' ? s.tool_name : null,
    failed: s.status !== 'success',
    errorType: s.status === 'timeout' ? 'timeout' : s.status === 'prevented' ? 'prevented' : s.status === 'error' ? 'tool_error' : null,
    message: s.error ?? (s.status === 'prevented' ? 'prevented by the SDK prevention layer' : null),
    startUs,
    endUs,
    durationMs: (endUs - startUs) / 1000,
  };
}

/** docs/analysis.md "What went wrong in a span". */
export function problem(x: Stored): string | null {
  if (!x.failed) return null;
  const prefix = (x.message ?? '').split(':')[0];
  if (x.errorType === 'prevented' && prefix === 'budget_exceeded' && (x.message ?? '').includes('max_wall_time_s')) return 'wall_time';
  if (x.errorType === 'prevented' && ['loop_detected', 'budget_exceeded', 'circuit_breaker_open'].includes(prefix)) return prefix;
  if (['loop_detected', 'budget_exceeded', 'circuit_breaker_open', 'schema_drift', 'timeout'].includes(x.errorType ?? '')) return x.errorType;
  if ((x.message ?? '').toLowerCase().includes('schema drift')) return 'schema_drift';
  return 'error';
}

/** docs/analysis.md "Health tags": the first rule that holds. */
export function healthTag(spans: Stored[], verdict?: string): string {
  const recovered = (x: Stored) => ['error', 'timeout', 'circuit_breaker_open'].includes(problem(x) ?? '') && x.toolName !== null &&
    spans.some((y) => y.toolName === x.toolName && !y.failed && y.startUs > x.startUs);
  const any = (f: (x: Stored) => boolean) => spans.some(f);
  if (verdict === 'loop_detected' || any((x) => problem(x) === 'loop_detected')) return 'loop_detected';
  if (verdict === 'budget_exceeded' || any((x) => problem(x) === 'budget_exceeded')) return 'budget_exceeded';
  if (verdict === 'timeout' || any((x) => problem(x) === 'wall_time' || problem(x) === 'timeout' && !recovered(x))) return 'timeout';
  if (verdict === 'circuit_breaker_open' || any((x) => problem(x) === 'circuit_breaker_open' && !recovered(x))) return 'circuit_breaker_open';
  if (any((x) => problem(x) === 'schema_drift')) return 'schema_drift';
  if (any((x) => problem(x) === 'error' && !recovered(x))) return 'tool_failure';
  if (any(recovered)) return 'success_with_fallback';
  return 'success';
}

/** ISO 8601 with microseconds, as the API writes times. */
export const isoMicros = (us: number) => `${new Date(Math.floor(us / 1000)).toISOString().slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** The langsight session object of each session, newest first (start, then id). */
export function expectedSessions(all: GenSpan[], verdicts: Record<string, string> = {}): Array<Record<string, unknown>> {
  const by = new Map<string, Stored[]>();
  for (const s of all) {
    const list = by.get(s.session_id) ?? [];
    list.push(stored(s));
    by.set(s.session_id, list);
  }
  const out = [...by.entries()].map(([sid, spans]) => {
    const first = Math.min(...spans.map((x) => x.startUs));
    const last = Math.max(...spans.map((x) => x.endUs));
    const traces = new Map<string, Stored[]>();
    for (const x of spans) traces.set(x.span.trace_id, [...(traces.get(x.span.trace_id) ?? []), x]);
    const firstTrace = [...traces.values()].sort((a, b) => Math.min(...a.map((x) => x.startUs)) - Math.min(...b.map((x) => x.startUs)))[0];
    const tools = spans.filter((x) => x.type === 'tool_call');
    const costs = spans.filter((x) => x.span.cost_usd !== undefined);
    return {
      session_id: sid,
      agent_name: firstTrace.find((x) => x.span.parent_span_id === undefined)!.span.agent_name,
      first_call_at: isoMicros(first),
      last_call_at: isoMicros(last),
      duration_ms: (last - first) / 1000,
      tool_calls: tools.length,
      failed_calls: tools.filter((x) => x.failed).length,
      servers_used: sorted(tools.map((x) => x.span.server_name)),
      health_tag: healthTag(spans, verdicts[sid]),
      agents_used: sorted(spans.map((x) => x.span.agent_name)),
      trace_count: traces.size,
      span_count: spans.length,
      error_count: spans.filter((x) => x.failed).length,
      total_input_tokens: 0,
      total_output_tokens: 0,
      cost_usd: costs.length === 0 ? null : costs.reduce((a, x) => a + x.span.cost_usd!, 0),
      _startUs: first,
    };
  });
  out.sort((a, b) => b._startUs - a._startUs || (a.session_id < b.session_id ? -1 : 1));
  return out.map(({ _startUs, ...rest }) => { void _startUs; return rest; });
}

/** DuckDB's quantile_cont: linear interpolation between the two nearest ranks. */
export function quantileCont(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function metrics(xs: Stored[]) {
  return {
    call_count: xs.length,
    error_count: xs.filter((x) => x.failed).length,
    avg_latency_ms: round3(xs.reduce((a, x) => a + x.durationMs, 0) / xs.length),
    p95_latency_ms: round3(quantileCont(xs.map((x) => x.durationMs), 0.95)),
    session_count: new Set(xs.map((x) => x.span.session_id)).size,
  };
}

/** docs/analysis.md "Lineage": nodes and edges keyed `type source target`, for spans started in [fromUs, toUs). */
export function expectedLineage(all: GenSpan[], fromUs: number, toUs: number) {
  const w = all.map(stored).filter((x) => x.startUs >= fromUs && x.startUs < toUs);
  const byId = new Map(w.map((x) => [`${x.span.trace_id}/${x.span.span_id}`, x]));
  const parentAgent = (x: Stored) => (x.span.parent_span_id === undefined ? undefined : byId.get(`${x.span.trace_id}/${x.span.parent_span_id}`)?.span.agent_name);
  const calls = w.filter((x) => x.toolName !== null);
  const group = <K>(xs: Stored[], key: (x: Stored) => K | undefined) => {
    const m = new Map<K, Stored[]>();
    for (const x of xs) {
      const k = key(x);
      if (k !== undefined) m.set(k, [...(m.get(k) ?? []), x]);
    }
    return m;
  };
  const edges = new Map<string, ReturnType<typeof metrics>>();
  for (const [k, xs] of group(calls, (x) => `calls agent:${x.span.agent_name} server:${x.span.server_name}`)) edges.set(k, metrics(xs));
  const handoffs: Array<[string, Stored]> = [];
  for (const x of w) {
    const p = parentAgent(x);
    const announced = x.span.parent_span_id !== undefined && byId.get(`${x.span.trace_id}/${x.span.parent_span_id}`)?.span.target_agent_name === x.span.agent_name;
    if (p !== undefined && p !== x.span.agent_name && !announced) handoffs.push([`handoff agent:${p} agent:${x.span.agent_name}`, x]);
    if (x.span.target_agent_name !== undefined && x.span.target_agent_name !== x.span.agent_name) {
      handoffs.push([`handoff agent:${x.span.agent_name} agent:${x.span.target_agent_name}`, x]);
    }
  }
  const hs = new Map<string, Stored[]>();
  for (const [k, x] of handoffs) hs.set(k, [...(hs.get(k) ?? []), x]);
  for (const [k, xs] of hs) edges.set(k, metrics(xs));
  const nodes = new Map<string, ReturnType<typeof metrics> | { session_count: number; call_count: number }>();
  for (const [k, xs] of group(calls, (x) => `server:${x.span.server_name}`)) nodes.set(k, metrics(xs));
  for (const [k, xs] of group(calls, (x) => `agent:${x.span.agent_name}`)) nodes.set(k, metrics(xs));
  // An agent's sessions are every session it has a span in.
  for (const [k, xs] of group(w, (x) => `agent:${x.span.agent_name}`)) {
    const m = nodes.get(k) as ReturnType<typeof metrics> | undefined;
    const sessions = new Set(xs.map((x) => x.span.session_id)).size;
    nodes.set(k, m ? { ...m, session_count: sessions } : { call_count: 0, error_count: 0, avg_latency_ms: null, p95_latency_ms: null, session_count: sessions } as never);
  }
  return { nodes, edges };
}
