import { describe, expect, it } from 'vitest';
import type { OtlpSpanInput } from '../../src/model/otlp-span.js';
import { toSemanticSpan } from '../../src/semconv/index.js';
import { span } from './fixture-runner.js';

const OPTS = { payloadMaxBytes: 65536 };

describe('toSemanticSpan composition', () => {
  it('sets every column (null where unknown) on an empty span', () => {
    const out = toSemanticSpan(span({}), OPTS) as unknown as Record<string, unknown>;
    const columns = [
      'trace_id', 'span_id', 'parent_span_id', 'started_us', 'ended_us', 'duration_ms', 'name', 'span_kind', 'type',
      'status', 'status_message', 'error_type', 'service_name', 'scope_name', 'framework', 'session_id', 'user_id',
      'agent_name', 'provider', 'operation', 'request_model', 'response_model', 'input_tokens', 'output_tokens',
      'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'reported_cost_usd', 'finish_reason', 'tool_name',
      'tool_call_id', 'server_name', 'mcp_method', 'mcp_session_id', 'mcp_resource_uri', 'input', 'output',
      'attributes', 'resource', 'events', 'links',
    ];
    for (const c of columns) expect(out[c], c).not.toBeUndefined();
    expect(Object.keys(out).sort()).toEqual(columns.sort());
  });

  it('maps every OTLP span kind and status code', () => {
    const kinds = [0, 1, 2, 3, 4, 5, 9].map((kind) => toSemanticSpan(span({ kind }), OPTS).span_kind);
    expect(kinds).toEqual(['unspecified', 'internal', 'server', 'client', 'producer', 'consumer', 'unspecified']);
    const statuses = [0, 1, 2].map((code) => toSemanticSpan(span({ status: { code, message: '' } }), OPTS).status);
    expect(statuses).toEqual(['unset', 'ok', 'error']);
  });

  it('never mixes token families: OTel counts win whole over OpenInference counts', () => {
    const out = toSemanticSpan(
      span({
        attributes: {
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 10,
          'llm.token_count.prompt': 500,
          'llm.token_count.prompt_details.cache_read': 400,
        },
      }),
      OPTS,
    );
    expect([out.input_tokens, out.output_tokens, out.cache_read_tokens]).toEqual([100, 10, null]);
  });

  it('a Vercel AI SDK trace sums to the provider calls only', () => {
    const scope = { name: 'ai', version: '', attributes: {} };
    const outer: Partial<OtlpSpanInput> = {
      name: 'ai.generateText',
      scope,
      attributes: { 'ai.operationId': 'ai.generateText', 'ai.usage.inputTokens': 300, 'ai.usage.outputTokens': 30 },
    };
    const step = (n: number): Partial<OtlpSpanInput> => ({
      name: 'ai.generateText.doGenerate',
      spanId: `000000000000000${n}`,
      scope,
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.usage.inputTokens': 100 * n,
        'ai.usage.outputTokens': 10 * n,
        'gen_ai.usage.input_tokens': 100 * n,
        'gen_ai.usage.output_tokens': 10 * n,
      },
    });
    const rows = [outer, step(1), step(2)].map((s) => toSemanticSpan(span(s), OPTS));
    const sum = (k: 'input_tokens' | 'output_tokens'): number => rows.reduce((t, r) => t + (r[k] ?? 0), 0);
    expect(sum('input_tokens')).toBe(300);
    expect(sum('output_tokens')).toBe(30);
  });

  it('an MCP isError result beats an OK status; OTLP error beats everything', () => {
    const isError = '{"content":[],"isError":true}';
    const ok = toSemanticSpan(
      span({
        status: { code: 1, message: '' },
        attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 't', 'gen_ai.tool.call.result': isError },
      }),
      OPTS,
    );
    expect(ok.status).toBe('error');
    const explicitOk = toSemanticSpan(span({ status: { code: 1, message: '' }, attributes: { 'error.type': 'x' } }), OPTS);
    expect(explicitOk.status).toBe('ok');
  });

  it('passes attributes, resource, events and links through', () => {
    const input = span({
      attributes: { a: 1 },
      resource: { 'service.name': 's', 'k8s.pod.name': 'p' },
      events: [{ time_us: 5, name: 'e', attributes: { b: true } }],
    });
    const out = toSemanticSpan(input, OPTS);
    expect(out.attributes).toEqual({ a: 1 });
    expect(out.resource).toEqual({ 'service.name': 's', 'k8s.pod.name': 'p' });
    expect(out.events).toEqual(input.events);
    expect(out.service_name).toBe('s');
  });

  it('treats an empty parent span id as no parent', () => {
    expect(toSemanticSpan(span({ parentSpanId: '' }), OPTS).parent_span_id).toBeNull();
  });
});
