import { describe, expect, it } from 'vitest';
import { parseIngestPayload } from '../../../src/receivers/native/ingest-payload.js';
import { parseToolCallSpans } from '../../../src/receivers/native/tool-call-spans.js';
import { fromIngestSpan } from '../../../src/semconv/native/ingest-span.js';
import { fromToolCallSpan } from '../../../src/semconv/native/tool-call-span.js';

describe('native IngestPayload → semantic span', () => {
  it('maps the camelCase fields, keeps sub-millisecond time, treats costUsd 0 as "compute it"', () => {
    const payload = parseIngestPayload({
      projectId: 'team-a',
      spans: [{
        traceId: 't1', spanId: 's1', parentSpanId: null, type: 'llm_call', name: 'agent.run',
        startedAt: '2026-06-02T10:00:00.123456Z', endedAt: '2026-06-02T10:00:01.5Z', status: 'error',
        error: { type: 'RateLimitError', message: 'slow down' }, framework: 'custom', model: 'gpt-4o', provider: 'openai',
        agentId: 'agent-7', sessionId: 'sess-1', input: 'hello', output: { answer: 42 },
        usage: { inputTokens: 1000, outputTokens: 500, costUsd: 0 },
      }],
    });
    const s = fromIngestSpan(payload.spans[0], payload.projectId, 65536);
    expect(s).toMatchObject({
      project_id: 'team-a', trace_id: 't1', span_id: 's1', parent_span_id: null, type: 'llm_call', status: 'error',
      status_message: 'slow down', error_type: 'RateLimitError', request_model: 'gpt-4o', provider: 'openai',
      agent_name: 'agent-7', session_id: 'sess-1', input_tokens: 1000, output_tokens: 500, reported_cost_usd: null,
      started_us: Date.parse('2026-06-02T10:00:00.123Z') * 1000 + 456, input: '"hello"', output: '{"answer":42}',
    });
    expect(s.duration_ms).toBeCloseTo(1376.544, 3);
  });

  it('keeps a reported cost', () => {
    const payload = parseIngestPayload({ spans: [{ traceId: 't', spanId: 's', name: 'n', startedAt: 0, usage: { costUsd: 0.25 } }] });
    expect(fromIngestSpan(payload.spans[0], undefined, 65536)).toMatchObject({ reported_cost_usd: 0.25, type: 'other', status: 'unset' });
  });
});

describe('ToolCallSpan → semantic span', () => {
  const sent = {
    server_name: 'pg', tool_name: 'query', started_at: '2026-03-17T12:00:00Z', latency_ms: 42, status: 'timeout',
    session_id: 'sess-9', agent_name: 'analyst', input_args: { sql: 'select 1' }, output_result: 'done',
  };

  it('maps status, latency and payloads; a timeout is an error of type timeout', () => {
    const s = fromToolCallSpan(parseToolCallSpans([sent])[0], 65536);
    expect(s).toMatchObject({
      type: 'tool_call', status: 'error', error_type: 'timeout', tool_name: 'query', server_name: 'pg', mcp_method: 'tools/call',
      session_id: 'sess-9', agent_name: 'analyst', duration_ms: 42, input: '{"sql":"select 1"}', output: '"done"', framework: 'langsight',
    });
  });

  it('derives the same ids for the same span sent without ids, so a retry deduplicates', () => {
    const a = fromToolCallSpan(parseToolCallSpans([sent])[0], 65536);
    const b = fromToolCallSpan(parseToolCallSpans({ spans: [sent] })[0], 65536);
    expect(a.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect([b.trace_id, b.span_id]).toEqual([a.trace_id, a.span_id]);
    const other = fromToolCallSpan(parseToolCallSpans([{ ...sent, started_at: '2026-03-17T12:00:01Z' }])[0], 65536);
    expect(other.span_id).not.toBe(a.span_id);
  });
});
