/**
 * Alerts end to end against local HTTP servers standing in for Slack (an
 * incoming webhook: JSON in, `ok` out) and a generic webhook (signature
 * verified): config and test message with the reference's body shapes, a
 * rule that fires once per breach and once on recovery, a retry on 500,
 * the history, the live stream, and outbound addresses the policy refuses.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, waitLoaded, type TestServer } from '../helpers/server.js';
import { postJson } from '../helpers/otlp-json.js';
import { verifySignature } from '../../src/alerts/webhook.js';
import { SseClient } from '../live/clients.js';

interface Received { path: string; headers: http.IncomingHttpHeaders; body: string }

/** A local HTTP receiver; `answers` are used in turn (the last one repeats). */
async function receiver(answers: Array<[number, string]>): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body });
      const [status, text] = answers[Math.min(got.length - 1, answers.length - 1)];
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, got, close: () => new Promise((r) => server.close(() => r())) };
}

const SECRET = 'whsec-0123456789abcdef';
let server: TestServer;
let slack: Awaited<ReturnType<typeof receiver>>;
let hook: Awaited<ReturnType<typeof receiver>>;

beforeAll(async () => {
  // Slack answers the first alert with a 500 (retried), then ok.
  slack = await receiver([[200, 'ok'], [500, 'rollup_error'], [200, 'ok']]);
  hook = await receiver([[204, '']]);
  server = await startTestServer({
    alerts: {
      evaluateIntervalSeconds: 3600,
      outbound: { allowHttp: true, allowHosts: ['127.0.0.1'] },
      delivery: { firstRetryMs: 20, maxRetryMs: 100 },
    },
  });
});

afterAll(async () => {
  await server?.dispose();
  await slack?.close();
  await hook?.close();
});

const api = (path: string) => `${server.httpUrl}${path}`;
const now = () => new Date().toISOString();
const span = (id: string, status: 'ok' | 'error') => ({ traceId: `t-${id}`, spanId: id, name: 'agent step', type: 'llm_call', startedAt: now(), endedAt: now(), status });

describe('alert config and test message', () => {
  it('saves and reads the reference config object, the webhook secret write-only', async () => {
    const res = await postJson(api('/api/alerts/config'), {
      slack_webhook: `${slack.url}/services/T000/B000/XXXX`,
      alert_types: { mcp_down: true, security_critical: false },
      webhook_url: `${hook.url}/hooks/lookspan`,
      webhook_secret: SECRET,
    });
    expect(res.status).toBe(200);
    const body = await res.json() as any;
    expect(body).toMatchObject({ slack_webhook: `${slack.url}/services/T000/B000/XXXX`, webhook_url: `${hook.url}/hooks/lookspan`, webhook_secret_set: true });
    expect(body.alert_types).toMatchObject({ mcp_down: true, mcp_recovered: true, agent_failure: true, slo_breached: true, anomaly_critical: true, security_critical: false, loop_detected: true, budget_exceeded: true, circuit_breaker_open: true });
    expect(JSON.stringify(body)).not.toContain(SECRET);
    const read = await (await fetch(api('/api/alerts/config'))).json();
    expect(read).toEqual(body);
  });

  it('sends a Block Kit test message and reports success', async () => {
    const res = await fetch(api('/api/alerts/test'), { method: 'POST' });
    expect(await res.json()).toEqual({ ok: true });
    expect(slack.got).toHaveLength(1);
    expect(slack.got[0].path).toBe('/services/T000/B000/XXXX');
    const msg = JSON.parse(slack.got[0].body);
    expect(msg.text).toContain('Lookspan test alert');
    expect(msg.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
  });

  it('answers {ok: false, error} when the webhook call fails', async () => {
    const gone = await receiver([[404, 'no_service']]);
    await postJson(api('/api/alerts/config?project_id=other'), { slack_webhook: `${gone.url}/services/T/B/Y` });
    const res = await postJson(api('/api/alerts/test?project_id=other'), {});
    expect(await res.json()).toEqual({ ok: false, error: 'answered 404: no_service' });
    const none = await postJson(api('/api/alerts/test?project_id=nobody'), {});
    expect(await none.json()).toMatchObject({ ok: false, error: expect.stringContaining('no Slack webhook configured') });
    await gone.close();
  });
});

describe('a threshold rule', () => {
  it('fires once per breach and once on recovery, delivers to Slack (retrying a 500) and the signed webhook, and records history', async () => {
    const sse = await SseClient.open(api('/api/stream?events=alert.triggered'));
    const rule = await (await postJson(api('/api/alerts/rules'), { kind: 'error_rate', threshold: 0.5, window_seconds: 600, min_spans: 4 })).json() as any;
    expect(rule).toMatchObject({ kind: 'error_rate', threshold: 0.5, window_seconds: 600, min_spans: 4, enabled: true, project_id: 'default' });

    // Too few spans: not evaluated.
    await postJson(api('/api/ingest'), { spans: [span('e1', 'error'), span('e2', 'error'), span('e3', 'error')] });
    await waitLoaded(server);
    const evaluate = async () => (await (await fetch(api('/api/alerts/evaluate'), { method: 'POST' })).json()) as any;
    expect(await evaluate()).toMatchObject({ rules: 1, raised: 0, insufficient: 1 });

    await postJson(api('/api/ingest'), { spans: [span('o1', 'ok')] });
    await waitFor(async () => (await evaluate()).raised === 1);
    expect(await evaluate()).toMatchObject({ raised: 0, resolved: 0 });
    // The same numbers from the lake after a seal: still no second alert.
    expect((await fetch(api('/api/storage/seal'), { method: 'POST' })).status).toBe(200);
    expect(await evaluate()).toMatchObject({ raised: 0, resolved: 0 });

    const delivered = await waitFor(async () => {
      const { alerts } = (await (await fetch(api('/api/alerts?type=error_rate'))).json()) as any;
      return alerts.length === 1 && alerts[0].deliveries.slack.status === 'delivered' && alerts[0].deliveries.webhook.status === 'delivered' ? alerts[0] : null;
    });
    expect(delivered).toMatchObject({ type: 'error_rate', status: 'triggered', severity: 'critical', rule_id: rule.id, value: 0.75, threshold: 0.5 });
    expect(delivered.deliveries.slack).toEqual({ status: 'delivered', attempts: 2, last_error: null });
    expect(slack.got).toHaveLength(3);
    expect(JSON.parse(slack.got[2].body).text).toContain('Error rate above 50.0 %');
    expect(hook.got).toHaveLength(1);
    const h = hook.got[0];
    expect(h.path).toBe('/hooks/lookspan');
    expect(h.headers['x-lookspan-event']).toBe('alert.triggered');
    expect(h.headers['x-lookspan-delivery']).toBe(delivered.id);
    expect(verifySignature(SECRET, h.headers['x-lookspan-signature'] as string, h.headers['x-lookspan-timestamp'] as string, h.body)).toBe(true);
    expect(verifySignature('another-secret-0000', h.headers['x-lookspan-signature'] as string, h.headers['x-lookspan-timestamp'] as string, h.body)).toBe(false);
    expect(JSON.parse(h.body)).toMatchObject({ event: 'alert.triggered', delivery_id: delivered.id, alert: { id: delivered.id, type: 'error_rate' } });

    // Recovery: enough good spans bring the rate under the threshold; one resolved alert, then quiet.
    await postJson(api('/api/ingest'), { spans: Array.from({ length: 8 }, (_, i) => span(`ok-${i}`, 'ok')) });
    await waitFor(async () => (await evaluate()).resolved === 1);
    expect(await evaluate()).toMatchObject({ raised: 0, resolved: 0 });
    const history = await waitFor(async () => {
      const b = (await (await fetch(api('/api/alerts?type=error_rate'))).json()) as any;
      return b.alerts.length === 2 && b.alerts[0].deliveries.webhook.status === 'delivered' ? b : null;
    });
    expect(history.total).toBe(2);
    expect(history.alerts.map((a: any) => a.status)).toEqual(['resolved', 'triggered']);
    expect(slack.got).toHaveLength(4);
    expect(JSON.parse(slack.got[3].body).text).toContain('Resolved');
    expect(hook.got).toHaveLength(2);

    const metrics = await (await fetch(api('/metrics'))).text();
    expect(metrics).toMatch(/^lookspan_alert_deliveries_total\{result="retried"\} 1$/m);
    expect(metrics).toMatch(/^lookspan_alert_deliveries_total\{result="delivered"\} 4$/m);
    expect(metrics).toMatch(/^lookspan_alerts_total\{status="resolved"\} 1$/m);

    await sse.events.until((e) => e.length >= 2, 'both alerts on /api/stream');
    expect(sse.data('alert.triggered').map((a) => a.status)).toEqual(['triggered', 'resolved']);
    await sse.close();
  });
});

describe('SLO breaches', () => {
  it('raise slo_breached once from the SLO evaluation and resolve once it is met again', async () => {
    const slo = await (await postJson(api('/api/slos?project_id=slo-p'), { agent_name: 'support', metric: 'success_rate', threshold: 0.9, window_hours: 1 })).json() as any;
    const agentSpan = (id: string, status: 'ok' | 'error') => ({ ...span(id, status), agentName: 'support' });
    await postJson(api('/api/ingest'), { projectId: 'slo-p', spans: [agentSpan('s1', 'error'), agentSpan('s2', 'ok')] });
    await waitLoaded(server);
    const evaluate = async () => (await (await fetch(api('/api/alerts/evaluate'), { method: 'POST' })).json()) as any;
    await evaluate();
    await evaluate();
    const breached = (await (await fetch(api('/api/alerts?project_id=slo-p&type=slo_breached'))).json()) as any;
    expect(breached.alerts).toHaveLength(1);
    expect(breached.alerts[0]).toMatchObject({ status: 'triggered', agent_name: 'support', value: 0.5, threshold: 0.9, details: { slo_id: slo.slo_id } });
    await postJson(api('/api/ingest'), { projectId: 'slo-p', spans: Array.from({ length: 20 }, (_, i) => agentSpan(`g${i}`, 'ok')) });
    await waitLoaded(server);
    await evaluate();
    await evaluate();
    const after = (await (await fetch(api('/api/alerts?project_id=slo-p&type=slo_breached'))).json()) as any;
    expect(after.alerts.map((a: any) => a.status)).toEqual(['resolved', 'triggered']);
  });
});

describe('the outbound URL policy', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer();
  });
  afterAll(async () => {
    await strict?.dispose();
  });

  it('refuses loopback, private, link-local and plain-http targets unless allowed', async () => {
    for (const [url, why] of [
      ['https://127.0.0.1/services/x', 'not a public address'],
      ['https://10.1.2.3/hook', 'not a public address'],
      ['https://169.254.169.254/latest/meta-data', 'not a public address'],
      ['https://[::1]/hook', 'not a public address'],
      ['https://[::ffff:192.168.1.1]/hook', 'not a public address'],
      ['https://localhost/hook', 'localhost'],
      ['http://hooks.slack.com/services/T/B/X', 'plain http'],
      [`https://user:pw${'@'}hooks.slack.com/services/T/B/X`, 'credentials'],
      ['ftp://example.com/x', 'only https'],
    ]) {
      const res = await postJson(`${strict.httpUrl}/api/alerts/config`, { slack_webhook: url });
      expect(res.status, url).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.message, url).toContain(why);
      // The refusal names the field, never the URL's path (Slack's credential).
      expect(body.error.message).not.toContain('/services/');
    }
    const ok = await postJson(`${strict.httpUrl}/api/alerts/config`, { slack_webhook: 'https://hooks.slack.com/services/T000/B000/XXXX' });
    expect(ok.status).toBe(200);
  });
});
