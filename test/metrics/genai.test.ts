// GenAI / MCP metrics from span digests: what is counted, and that label
// values stay bounded however many distinct models, projects or tools arrive.
import { describe, expect, it } from 'vitest';
import { GenAiObserver, LookspanMetrics, OTHER } from '../../src/metrics/index.js';
import type { SpanDigest } from '../../src/pipeline/normalize.js';

const digest = (over: Partial<SpanDigest>): SpanDigest => ({
  project_id: 'default', trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), name: 'x', type: 'other', status: 'ok',
  service_name: null, session_id: null, provider: null, model: null, input_tokens: null, output_tokens: null,
  cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null, cost_usd: null, duration_ms: 0,
  tool_name: null, server_name: null, mcp_method: null, parent_span_id: null, started_us: 0, ended_us: 0,
  agent_name: null, framework: null, status_message: null, error_type: null, tool_input: null, ...over,
});

/** The series of a counter. */
async function series(m: LookspanMetrics, name: string) {
  return (await m.registry.getSingleMetric(name)!.get()).values;
}

describe('GenAiObserver', () => {
  it('counts tokens, token details, cost, LLM call durations and MCP tool calls', async () => {
    const m = new LookspanMetrics({ defaultMetrics: false });
    const o = new GenAiObserver(m.genai);
    o.observe([
      digest({ type: 'llm_call', provider: 'openai', model: 'gpt-4o', input_tokens: 100, output_tokens: 20, cache_read_tokens: 40, reasoning_tokens: 5, cost_usd: 0.5, duration_ms: 1500, project_id: 'p1' }),
      digest({ type: 'tool_call', mcp_method: 'tools/call', server_name: 'fs', tool_name: 'read', status: 'error', duration_ms: 30 }),
      digest({ type: 'mcp', mcp_method: 'tools/list', server_name: 'fs' }),
    ]);
    const text = await m.metrics();
    expect(text).toContain('lookspan_llm_tokens_total{provider="openai",model="gpt-4o",direction="input"} 100');
    expect(text).toContain('lookspan_llm_tokens_total{provider="openai",model="gpt-4o",direction="output"} 20');
    expect(text).toContain('lookspan_llm_token_details_total{provider="openai",model="gpt-4o",type="cache_read"} 40');
    expect(text).toContain('lookspan_llm_token_details_total{provider="openai",model="gpt-4o",type="reasoning"} 5');
    expect(text).not.toContain('type="cache_write"');
    expect(text).toContain('lookspan_llm_cost_usd_total{provider="openai",model="gpt-4o",project="p1"} 0.5');
    expect(text).toContain('lookspan_llm_call_duration_seconds_count{provider="openai",model="gpt-4o"} 1');
    expect(text).toContain('lookspan_llm_call_duration_seconds_sum{provider="openai",model="gpt-4o"} 1.5');
    expect(text).toContain('lookspan_mcp_tool_calls_total{server="fs",tool="read",status="error"} 1');
    expect(text).toContain('lookspan_mcp_tool_call_duration_seconds_count{server="fs",tool="read"} 1');
    expect(text).toContain('lookspan_spans_by_type_total{type="mcp"} 1');
    expect(text).toContain('lookspan_spans_by_type_total{type="embedding"} 0');
    // tools/list is not a tool call
    expect(text.match(/^lookspan_mcp_tool_calls_total\{/gm)).toHaveLength(1);
  });

  it('collapses label values past the cap into `other` and never uses ids as labels', async () => {
    const m = new LookspanMetrics({ defaultMetrics: false });
    const o = new GenAiObserver(m.genai, 10);
    const spans = Array.from({ length: 50 }, (_, i) => digest({
      type: 'llm_call', provider: 'openai', model: `model-${i}`, input_tokens: 1, output_tokens: 1, project_id: `project-${i}`,
      trace_id: `trace-${i}`, span_id: `span-${i}`, mcp_method: 'tools/call', server_name: `server-${i}`, tool_name: `tool-${i}`,
    }));
    o.observe(spans);
    const tokens = await series(m, 'lookspan_llm_tokens_total');
    const models = new Set(tokens.map((v) => v.labels.model));
    expect(models.size).toBe(11);
    expect(models.has(OTHER)).toBe(true);
    expect(tokens.reduce((n, v) => n + v.value, 0)).toBe(100);
    const cost = await series(m, 'lookspan_llm_cost_usd_total');
    expect(new Set(cost.map((v) => v.labels.project)).size).toBe(11);
    const tools = await series(m, 'lookspan_mcp_tool_calls_total');
    expect(new Set(tools.map((v) => v.labels.tool)).size).toBe(11);
    expect(tools.reduce((n, v) => n + v.value, 0)).toBe(50);
    const text = await m.metrics();
    expect(text).not.toMatch(/trace-\d|span-\d/);
  });

  it('labels spans without provider, model or server as `unknown` and cuts long values', async () => {
    const m = new LookspanMetrics({ defaultMetrics: false });
    new GenAiObserver(m.genai).observe([
      digest({ type: 'llm_call', input_tokens: 3 }),
      digest({ type: 'tool_call', mcp_method: 'tools/call', tool_name: 't'.repeat(500) }),
    ]);
    const text = await m.metrics();
    expect(text).toContain('lookspan_llm_tokens_total{provider="unknown",model="unknown",direction="input"} 3');
    expect(text).toContain(`lookspan_mcp_tool_calls_total{server="unknown",tool="${'t'.repeat(128)}",status="ok"} 1`);
  });
});
