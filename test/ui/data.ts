import { prng, type NativeSpan } from '../helpers/read-data.js';

/** What the generated data set holds, for the assertions. */
export interface Generated {
  spans: NativeSpan[];
  traceIds: string[];
  errorTraceIds: string[];
  sessionIds: string[];
}

const AGENTS = ['planner', 'researcher', 'writer'] as const;
const MODELS = [['gpt-4o', 'openai'], ['gpt-4o-mini', 'openai'], ['claude-sonnet-4-5', 'anthropic']] as const;
const TOOLS = [['github-mcp', 'search_issues'], ['github-mcp', 'get_file'], ['pg-mcp', 'query']] as const;

/**
 * A small dashboard data set through the native ingest shape: `sessions`
 * sessions in the last two days, each a handoff planner → researcher →
 * writer, one trace per agent, each trace an agent span with LLM calls
 * (messages as OpenAI chat and as OTel GenAI parts) and MCP tool calls
 * (arguments and results); some tool calls fail. Seeded: the same set every run.
 */
export function generate(now: number, sessions = 8, seed = 16): Generated {
  const r = prng(seed);
  const spans: NativeSpan[] = [];
  const traceIds: string[] = [];
  const errorTraceIds = new Set<string>();
  const sessionIds: string[] = [];
  for (let s = 0; s < sessions; s++) {
    const sessionId = `sess-${String(s).padStart(2, '0')}`;
    sessionIds.push(sessionId);
    let t = now - 2 * 86_400_000 + Math.floor((s / sessions) * 2 * 86_400_000) + Math.floor(r() * 60_000);
    for (const [a, agent] of AGENTS.entries()) {
      const traceId = `tr-${s}-${a}`;
      traceIds.push(traceId);
      const root = { traceId, spanId: `${traceId}-root`, type: 'agent', name: `${agent}.run`, agentName: agent, sessionId, serviceName: 'support-bot', framework: 'custom', userId: `user-${s % 3}` };
      const start = t;
      const children: NativeSpan[] = [];
      let c = start + 5;
      const steps = 2 + Math.floor(r() * 3);
      for (let i = 0; i < steps; i++) {
        const [model, provider] = MODELS[(s + a + i) % MODELS.length];
        const dur = 200 + Math.floor(r() * 1500);
        const question = `Step ${i + 1} for ${agent} in ${sessionId}: what next?`;
        children.push({
          traceId, spanId: `${traceId}-llm-${i}`, parentSpanId: root.spanId, type: 'llm_call', name: `chat ${model}`, startedAt: c, endedAt: c + dur, status: 'ok',
          agentName: agent, sessionId, serviceName: root.serviceName, framework: root.framework, model, provider,
          usage: { inputTokens: 300 + Math.floor(r() * 2000), outputTokens: 50 + Math.floor(r() * 600), costUsd: 0 },
          input: i % 2 === 0
            ? JSON.stringify([{ role: 'system', content: `You are the ${agent}.` }, { role: 'user', content: question }])
            : JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: question }] }]),
          output: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: `Answer ${i + 1} from ${agent}.` }, { type: 'tool_call', id: `call-${i}`, name: TOOLS[i % TOOLS.length][1], arguments: { q: `step ${i}` } }], finish_reason: 'tool_calls' }]),
        });
        c += dur + 10;
        const [server, tool] = TOOLS[(s + i) % TOOLS.length];
        const fails = (s * 7 + a * 3 + i) % 11 === 0;
        const tdur = 20 + Math.floor(r() * 400);
        children.push({
          traceId, spanId: `${traceId}-tool-${i}`, parentSpanId: `${traceId}-llm-${i}`, type: 'tool_call', name: `tools/call ${tool}`, startedAt: c, endedAt: c + tdur,
          status: fails ? 'error' : 'ok', agentName: agent, sessionId, serviceName: root.serviceName, framework: root.framework, toolName: tool, serverName: server,
          input: JSON.stringify({ q: `step ${i}`, limit: 5 }),
          output: fails ? undefined : JSON.stringify({ rows: [{ id: i, title: `result ${i}` }] }),
        });
        if (fails) errorTraceIds.add(traceId);
        c += tdur + 10;
      }
      spans.push({ ...root, startedAt: start, endedAt: c + 5, status: errorTraceIds.has(traceId) ? 'error' : 'ok' }, ...children);
      t = c + 50;
    }
  }
  return { spans, traceIds, errorTraceIds: [...errorTraceIds], sessionIds };
}
