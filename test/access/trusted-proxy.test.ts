/**
 * Trusted proxies: X-User-Id / X-User-Role (a dashboard proxy that signed
 * the user in) and X-Forwarded-For (the client's address, for rate limits
 * and the audit log) are believed only from auth.trustedProxyCidrs. Tests
 * connect from 127.0.0.1: one server trusts loopback (the default), the
 * other trusts only 10.0.0.0/8, so the same headers are ignored there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustedProxies } from '../../src/access/trusted-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

const ADMIN = staticKey('admin');

describe('TrustedProxies', () => {
  const p = new TrustedProxies(['10.0.0.0/8', '::1/128']);
  it('matches IPv4, IPv4-mapped IPv6 and IPv6 peers', () => {
    expect(p.trusts('10.1.2.3')).toBe(true);
    expect(p.trusts('::ffff:10.1.2.3')).toBe(true);
    expect(p.trusts('::1')).toBe(true);
    expect(p.trusts('192.168.0.1')).toBe(false);
    expect(p.trusts(undefined)).toBe(false);
  });
  it('takes the right-most X-Forwarded-For hop that is not a proxy, only through a trusted peer', () => {
    expect(p.clientAddress('10.0.0.5', '203.0.113.9, 198.51.100.7, 10.0.0.6')).toBe('198.51.100.7');
    expect(p.clientAddress('192.168.0.1', '203.0.113.9')).toBe('192.168.0.1');
    expect(p.clientAddress('::ffff:10.0.0.5', 'not-an-address')).toBe('10.0.0.5');
  });
});

let trusting: TestServer;
let distrusting: TestServer;

beforeAll(async () => {
  [trusting, distrusting] = await Promise.all([
    startTestServer({ auth: { apiKeys: [`${ADMIN}:admin`] } }),
    startTestServer({ auth: { apiKeys: [`${ADMIN}:admin`], trustedProxyCidrs: ['10.0.0.0/8'] } }),
  ]);
});

afterAll(async () => {
  await Promise.all([trusting?.dispose(), distrusting?.dispose()]);
});

const proxied = { 'x-user-id': 'alice@example.com', 'x-user-role': 'admin', 'x-forwarded-for': '203.0.113.9' };

describe('the proxy headers', () => {
  it('act for the user from a trusted peer', async () => {
    const call = client(trusting.httpUrl);
    const who = await call('GET', '/api/auth/whoami', { headers: proxied });
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ kind: 'proxy', id: 'alice@example.com', role: 'admin', project_id: null });
    expect((await call('POST', '/api/projects', { headers: proxied, body: { id: 'via-proxy', name: 'Via proxy' } })).status).toBe(201);
    expect((await call('GET', '/api/traces', { headers: { ...proxied, 'x-user-role': 'viewer' } })).status).toBe(200);
    expect((await call('POST', '/api/projects', { headers: { ...proxied, 'x-user-role': 'viewer' }, body: { name: 'x' } })).status).toBe(403);
    expect((await call('GET', '/api/traces', { headers: { ...proxied, 'x-user-role': 'root' } })).status).toBe(401);
    // The audit log has the forwarded client address and the (masked) user.
    const audit = await call('GET', '/api/audit/logs', { key: ADMIN });
    const events = audit.body.events.filter((e: { action: string }) => e.action === 'project.created');
    // Newest first: the viewer's refused attempt, then the admin's creation.
    expect(events.map((e: { result: string }) => e.result)).toEqual(['denied', 'success']);
    expect(events[1]).toMatchObject({ actor: 'a***@example.com', client_address: '203.0.113.9', resource: 'project:via-proxy' });
  });

  it('are ignored from anyone else', async () => {
    const call = client(distrusting.httpUrl);
    expect((await call('GET', '/api/auth/whoami', { headers: proxied })).status).toBe(401);
    expect((await call('POST', '/api/projects', { key: ADMIN, headers: proxied, body: { id: 'direct', name: 'Direct' } })).status).toBe(201);
    const audit = await call('GET', '/api/audit/logs', { key: ADMIN });
    const created = audit.body.events.find((e: { action: string }) => e.action === 'project.created');
    expect(created.client_address).toBe('127.0.0.1');
    expect(created.actor).toMatch(/^static:/);
  });
});
