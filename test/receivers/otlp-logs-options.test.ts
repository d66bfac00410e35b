/**
 * What a deployment can change about stored log records: `logs.storeOtherEvents`
 * keeps records that are no GenAI or MCP event, and a project's
 * `redact_payloads` setting stores its GenAI events without their content.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { hexId } from '../helpers/otlp-json.js';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.dispose();
});

const kv = (key: string, value: object) => ({ key, value });
const now = () => String(BigInt(Date.now()) * 1_000_000n);
const request = (records: object[]) => ({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] });
const post = (s: TestServer, path: string, body: unknown, method = 'POST') =>
  fetch(`${s.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const rows = (s: TestServer, traceId: string) => s.store.db.withSnapshot(async (c) =>
  (await c.runAndReadAll('SELECT kind, event_name, input, output, body::VARCHAR AS body FROM all_logs WHERE trace_id = $1 ORDER BY position', [traceId])).getRowObjectsJson());

describe('logs.storeOtherEvents', () => {
  it('stores plain log lines and other events as kind other when on', async () => {
    const s = await startTestServer({ logs: { storeOtherEvents: true } });
    servers.push(s);
    const traceId = hexId(16);
    expect((await post(s, '/v1/logs', request([
      { timeUnixNano: now(), severityNumber: 17, body: { stringValue: 'connection refused' }, traceId },
      { timeUnixNano: now(), eventName: 'browser.web_vital', traceId },
    ]))).status).toBe(200);
    await s.store.sealAll();
    expect(await rows(s, traceId)).toEqual([
      { kind: 'other', event_name: null, input: null, output: null, body: '"connection refused"' },
      { kind: 'other', event_name: 'browser.web_vital', input: null, output: null, body: null },
    ]);
  });
});

describe('redact_payloads', () => {
  it('stores a project\'s GenAI events without their content; the span shows none', async () => {
    const s = await startTestServer();
    servers.push(s);
    expect((await post(s, '/api/settings', { redact_payloads: true }, 'PUT')).status).toBe(200);
    const traceId = hexId(16);
    const spanId = hexId(8);
    const start = BigInt(Date.now()) * 1_000_000n;
    await post(s, '/v1/traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId, name: 'chat m', kind: 3, startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n), attributes: [kv('gen_ai.operation.name', { stringValue: 'chat' })] }] }] }] });
    expect((await post(s, '/v1/logs', request([
      { timeUnixNano: now(), traceId, spanId, attributes: [kv('event.name', { stringValue: 'gen_ai.user.message' })], body: { kvlistValue: { values: [kv('content', { stringValue: 'secret prompt' })] } } },
      { timeUnixNano: now(), traceId, spanId, eventName: 'gen_ai.client.inference.operation.details', attributes: [kv('gen_ai.output.messages', { stringValue: '[{"role":"assistant","parts":[{"type":"text","content":"secret answer"}]}]' })] },
    ]))).status).toBe(200);
    await s.store.sealAll();
    const stored = await rows(s, traceId);
    expect(stored.map((r) => r.kind)).toEqual(['message', 'operation_details']);
    expect(JSON.stringify(stored)).not.toMatch(/secret/);
    const t = await waitFor(async () => {
      const res = await fetch(`${s.httpUrl}/api/traces/${traceId}`);
      return res.status === 200 ? (await res.json()) as any : null;
    });
    expect(t.spans[0]).toMatchObject({ input: null, output: null });
  });
});
