/**
 * Realistic WAL segments for the lake benchmarks: LLM-call spans with ~1.8 KB
 * of prose payload each, as the pipeline writes them (bench/lake.ts,
 * bench/lake-read.ts).
 */

// Prompts drawn from a small vocabulary: compressible like text, unlike repeated characters or random bytes.
export const WORDS = 'the a to of and in is for on with that this be you it are as can your tool call result user agent model error retry order ticket refund search docs weather price'.split(' ');

export function prose(n: number): string {
  let s = '';
  while (s.length < n) s += WORDS[Math.floor(Math.random() * WORDS.length)] + ' ';
  return s;
}

/** Makes `n`-span segments whose span times advance from `startUs`; trace ids start with `tracePrefix`. */
export function segmentMaker(startUs: number, tracePrefix = ''): (n: number) => Buffer {
  let clockUs = startUs;
  return (n) => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      clockUs += 10;
      const trace = `${tracePrefix}${Math.floor(clockUs / 100).toString(16).padStart(32 - tracePrefix.length, '0')}`;
      lines.push(JSON.stringify({
        project_id: 'default', trace_id: trace, span_id: clockUs.toString(16).padStart(16, '0'), parent_span_id: null,
        started_us: clockUs, ended_us: clockUs + 500_000, duration_ms: 500, name: 'chat gpt-4o', span_kind: 'client', type: 'llm_call',
        status: 'ok', status_message: null, error_type: null, service_name: 'bench', scope_name: 'bench', framework: 'custom',
        session_id: `s${trace.slice(-4)}`, user_id: null, agent_name: 'agent', provider: 'openai', operation: 'chat',
        request_model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06', input_tokens: 1000, output_tokens: 200,
        cache_read_tokens: null, cache_write_tokens: null, reasoning_tokens: null, cost_usd: 0.0045, cost_source: 'computed',
        finish_reason: 'stop', tool_name: null, tool_call_id: null, server_name: null, mcp_method: null, mcp_session_id: null,
        mcp_resource_uri: null, input: JSON.stringify([{ role: 'user', content: prose(900) }]), output: JSON.stringify([{ role: 'assistant', content: prose(900) }]),
        attributes: { 'gen_ai.request.temperature': 0.2 }, resource: { 'service.name': 'bench' }, events: [], links: [],
      }));
    }
    return Buffer.from(lines.join('\n') + '\n');
  };
}
