import { randomBytes } from 'node:crypto';

/** A random lowercase hex id of `bytes` bytes. */
export const hexId = (bytes: number) => randomBytes(bytes).toString('hex');

/** An OTLP/JSON ExportTraceServiceRequest with one trace of `n` chat spans (root + children). */
export function otlpJsonTrace(traceId: string, n: number, opts: { service?: string; model?: string } = {}) {
  const root = hexId(8);
  const start = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId,
    spanId: i === 0 ? root : hexId(8),
    parentSpanId: i === 0 ? '' : root,
    name: i === 0 ? 'invoke_agent support' : `chat ${opts.model ?? 'gpt-4o-mini'}`,
    kind: 3,
    startTimeUnixNano: String(start + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(start + BigInt(i + 1) * 1_000_000n),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: i === 0 ? 'invoke_agent' : 'chat' } },
      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
      { key: 'gen_ai.request.model', value: { stringValue: opts.model ?? 'gpt-4o-mini' } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
      { key: 'gen_ai.usage.output_tokens', value: { intValue: '20' } },
    ],
    status: { code: 1 },
  }));
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: opts.service ?? 'durability-test' } }] },
      scopeSpans: [{ scope: { name: 'test' }, spans }],
    }],
  };
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
