/**
 * GET /api/settings (any valid key) and PUT /api/settings (admin): with
 * redact_payloads on, spans ingested afterwards are stored without input,
 * output, payload-bearing attributes and message-event text, in that
 * project only; spans stored before keep theirs; tokens and models stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexId } from '../helpers/otlp-json.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

const ADMIN = staticKey('admin');
const VIEWER = staticKey('viewer');
const INGEST = staticKey('ingest');
const INGEST_B = staticKey('ingest-b');
const VIEWER_B = staticKey('viewer-b');

let server: TestServer;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer({
    auth: { apiKeys: [`${ADMIN}:admin`, `${VIEWER}:viewer`, `${INGEST}:ingest`, `${INGEST_B}:ingest:team-b`, `${VIEWER_B}:viewer:team-b`] },
  });
  call = client(server.httpUrl);
});

afterAll(async () => {
  await server?.dispose();
});

const SECRET_PROMPT = 'my card number is 4111 1111 1111 1111';
const SECRET_ANSWER = 'noted your card number';

/** One OTLP/JSON chat span carrying its prompt and completion in attributes and a message event. */
function chatSpan(traceId: string) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'redaction-test' } }] },
      scopeSpans: [{
        spans: [{
          traceId, spanId: hexId(8), name: 'chat gpt-4o', kind: 3,
          startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1_000_000n),
          attributes: [
            { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
            { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
            { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
            { key: 'gen_ai.usage.input_tokens', value: { intValue: '12' } },
            { key: 'gen_ai.usage.output_tokens', value: { intValue: '5' } },
            { key: 'gen_ai.input.messages', value: { stringValue: JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: SECRET_PROMPT }] }]) } },
            { key: 'gen_ai.output.messages', value: { stringValue: JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: SECRET_ANSWER }] }]) } },
            { key: 'app.tenant', value: { stringValue: 'kept' } },
          ],
          events: [{ timeUnixNano: String(now), name: 'gen_ai.user.message', attributes: [{ key: 'content', value: { stringValue: SECRET_PROMPT } }] }],
          status: { code: 1 },
        }],
      }],
    }],
  };
}

async function sendAndRead(ingestKey: string, readKey: string) {
  const traceId = hexId(16);
  expect((await call('POST', '/v1/traces', { key: ingestKey, body: chatSpan(traceId) })).status).toBe(200);
  await waitLoaded(server);
  const r = await call('GET', `/api/traces/${traceId}`, { key: readKey });
  expect(r.status).toBe(200);
  return r.body.spans[0];
}

describe('settings', () => {
  it('GET takes any valid key, PUT an admin', async () => {
    const r = await call('GET', '/api/settings', { key: INGEST });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ project_id: 'default', redact_payloads: false, updated_at: null });
    expect((await call('GET', '/api/settings')).status).toBe(401);
    expect((await call('PUT', '/api/settings', { key: VIEWER, body: { redact_payloads: true } })).status).toBe(403);
    expect((await call('PUT', '/api/settings', { key: ADMIN, body: { redact_payloads: 'yes' } })).status).toBe(400);
    expect((await call('PUT', '/api/settings', { key: ADMIN, body: { redact_payloads: true, other: 1 } })).status).toBe(400);
  });

  it('redact_payloads strips payloads from spans ingested afterwards, in its project only', async () => {
    const before = await sendAndRead(INGEST, VIEWER);
    expect(JSON.stringify(before)).toContain(SECRET_PROMPT);

    const put = await call('PUT', '/api/settings', { key: ADMIN, body: { redact_payloads: true } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ project_id: 'default', redact_payloads: true });
    expect((await call('GET', '/api/settings', { key: VIEWER })).body.redact_payloads).toBe(true);

    const after = await sendAndRead(INGEST, VIEWER);
    const text = JSON.stringify(after);
    expect(text).not.toContain(SECRET_PROMPT);
    expect(text).not.toContain(SECRET_ANSWER);
    expect(after.input).toBeNull();
    expect(after.output).toBeNull();
    expect(after.attributes['app.tenant']).toBe('kept');
    expect(after.usage).toMatchObject({ inputTokens: 12, outputTokens: 5 });
    expect(after.model).toBe('gpt-4o');
    expect(after.events).toHaveLength(1);
    expect(after.events[0].attributes).toEqual({});

    // Another project's setting is its own.
    expect((await call('GET', '/api/settings', { key: VIEWER_B })).body).toMatchObject({ project_id: 'team-b', redact_payloads: false });
    expect(JSON.stringify(await sendAndRead(INGEST_B, VIEWER_B))).toContain(SECRET_PROMPT);

    // What was stored before keeps its payload.
    const again = await call('GET', `/api/traces/${before.traceId}`, { key: VIEWER });
    expect(again.status).toBe(200);
    expect(JSON.stringify(again.body)).toContain(SECRET_PROMPT);
  });
});
