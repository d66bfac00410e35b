import type { LookspanConfigInput } from '../../src/config/index.js';
import { hexId, postJson } from '../helpers/otlp-json.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { ANTHROPIC_KEY, OPENAI_KEY, type FakeLlm } from './fake-llm.js';

/** A Lookspan whose providers are the fake (no retries unless asked: failures are the tests' subject). */
export function startEvalServer(fake: FakeLlm | null, evals: Record<string, unknown> = {}, dataDir?: string, over: LookspanConfigInput = {}): Promise<TestServer> {
  return startTestServer({
    ...over,
    evals: {
      ...(fake ? { providers: { openai: { apiKey: OPENAI_KEY, baseUrl: `${fake.url}/v1` }, anthropic: { apiKey: ANTHROPIC_KEY, baseUrl: fake.url } } } : {}),
      maxRetries: 0,
      ...evals,
    },
  } as LookspanConfigInput, dataDir);
}

type Scalar = string | number | boolean | readonly string[];

/** OTLP/JSON attributes from a plain map (integers as intValue, arrays of strings as arrayValue). */
export function otlpAttributes(a: Record<string, Scalar>) {
  return Object.entries(a).map(([key, v]) => ({
    key,
    value: Array.isArray(v) ? { arrayValue: { values: v.map((s) => ({ stringValue: s })) } }
      : typeof v === 'boolean' ? { boolValue: v }
        : typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v })
          : { stringValue: v },
  }));
}

/** Sends one span with these attributes (one trace of its own) over OTLP/HTTP JSON and waits until it is loaded; returns its ids. */
export async function ingestSpan(s: TestServer, o: { name: string; scope: string; attributes: Record<string, Scalar>; startMs?: number }): Promise<{ traceId: string; spanId: string }> {
  const traceId = hexId(16);
  const spanId = hexId(8);
  const start = BigInt(o.startMs ?? Date.now() - 5000) * 1_000_000n;
  const res = await postJson(`${s.httpUrl}/v1/traces`, {
    resourceSpans: [{
      resource: { attributes: otlpAttributes({ 'service.name': 'evals-test' }) },
      scopeSpans: [{
        scope: { name: o.scope },
        spans: [{ traceId, spanId, name: o.name, kind: 3, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 850_000_000n), attributes: otlpAttributes(o.attributes), status: { code: 1 } }],
      }],
    }],
  });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await waitLoaded(s);
  return { traceId, spanId };
}

/** An OTel GenAI chat span of gpt-4o-mini that captured the prompt "hi" and `answer`; returns its ids. */
export function ingestChat(s: TestServer, answer = 'hello'): Promise<{ traceId: string; spanId: string }> {
  return ingestSpan(s, {
    name: 'chat', scope: 'test',
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: answer }] }]),
    },
  });
}

export async function call(s: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.httpUrl}${path}`, {
    method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}
