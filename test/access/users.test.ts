/**
 * Users: invitations (single use, replaced by a new one, stored hashed,
 * expiring), accepting one (scrypt-hashed password), signing in (a session
 * as an HttpOnly SameSite=Strict cookie and a bearer token), the session's
 * role following role changes, cross-site use of the cookie refused,
 * deactivation and logout ending sessions, and the audit trail of it all
 * with e-mail addresses masked.
 */
import { createHash } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTables } from '../../src/access/tables.js';
import { Users } from '../../src/access/users.js';
import { migrate } from '../../src/store/duckdb/migrations.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

const ADMIN = staticKey('admin');
const PASSWORD = 'a long enough passphrase';

let server: TestServer;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer({ auth: { apiKeys: [`${ADMIN}:admin`] } });
  call = client(server.httpUrl);
});

afterAll(async () => {
  await server?.dispose();
});

const cookieOf = (headers: Headers) => /lookspan_session=([^;]+)/.exec(headers.get('set-cookie') ?? '')?.[1];

describe('invitations and sign-in', () => {
  let userId: string;
  let cookie: string;

  it('an invitation replaces the previous one and is single-use', async () => {
    const first = await call('POST', '/api/users/invite', { key: ADMIN, body: { email: 'Alice@Example.com', role: 'viewer' } });
    expect(first.status).toBe(201);
    expect(first.body.invite_token).toMatch(/^lsi_/);
    expect(first.body.user).toMatchObject({ email: 'alice@example.com', role: 'viewer', status: 'invited' });
    const second = await call('POST', '/api/users/invite', { key: ADMIN, body: { email: 'alice@example.com', role: 'viewer' } });
    expect(second.status).toBe(201);
    userId = second.body.user.id;
    expect(second.body.user.id).toBe(first.body.user.id);

    expect((await call('POST', '/api/users/accept-invite', { body: { token: first.body.invite_token, password: PASSWORD } })).status).toBe(400);
    expect((await call('POST', '/api/users/accept-invite', { body: { token: second.body.invite_token, password: 'short' } })).status).toBe(400);
    const accepted = await call('POST', '/api/users/accept-invite', { body: { token: second.body.invite_token, password: PASSWORD, name: 'Alice' } });
    expect(accepted.status).toBe(200);
    expect(accepted.body.user).toMatchObject({ status: 'active', name: 'Alice' });
    const replay = await call('POST', '/api/users/accept-invite', { body: { token: second.body.invite_token, password: 'another long passphrase' } });
    expect(replay.status).toBe(400);
    expect(replay.body.error.message).toMatch(/invalid, expired or already used/);
    expect((await call('POST', '/api/users/invite', { key: ADMIN, body: { email: 'alice@example.com', role: 'admin' } })).status).toBe(409);

    // Only hashes are stored: the invitation's SHA-256 and the password's scrypt.
    const conn = await server.store.db.instance.connect();
    const invites = (await conn.runAndReadAll('SELECT token_sha256 FROM user_invites')).getRowObjects().map((r) => r.token_sha256);
    const [user] = (await conn.runAndReadAll('SELECT password_hash FROM users WHERE id = $1', [userId])).getRowObjects();
    conn.closeSync();
    expect(invites).toContain(createHash('sha256').update(second.body.invite_token).digest('hex'));
    expect(String(user.password_hash)).toMatch(/^scrypt\$/);
    expect(String(user.password_hash)).not.toContain(PASSWORD);
  });

  it('verify answers a session as a cookie and a token; a wrong password is a 401', async () => {
    expect((await call('POST', '/api/users/verify', { body: { email: 'alice@example.com', password: 'not the passphrase' } })).status).toBe(401);
    expect((await call('POST', '/api/users/verify', { body: { email: 'nobody@example.com', password: PASSWORD } })).status).toBe(401);
    const ok = await call('POST', '/api/users/verify', { body: { email: 'ALICE@example.com', password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.body.token).toMatch(/^lss_/);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/httponly/i);
    expect(setCookie).toMatch(/samesite=strict/i);
    expect(setCookie).not.toMatch(/secure/i);
    cookie = cookieOf(ok.headers)!;
    // Behind a TLS-terminating proxy it trusts (loopback by default), the cookie is Secure.
    const viaTls = await call('POST', '/api/users/verify', { body: { email: 'alice@example.com', password: PASSWORD }, headers: { 'x-forwarded-proto': 'https' } });
    expect(viaTls.headers.get('set-cookie')).toMatch(/; Secure$/);
    expect(cookie).toBe(ok.body.token);
    expect((await call('GET', '/api/traces', { key: ok.body.token })).status).toBe(200);
  });

  it('the cookie session reads as a viewer, follows a role change at once, and is refused cross-site', async () => {
    const headers = { cookie: `lookspan_session=${cookie}` };
    expect((await call('GET', '/api/auth/whoami', { headers })).body).toMatchObject({ kind: 'session', actor: 'alice@example.com', role: 'viewer' });
    expect((await call('POST', '/api/projects', { headers, body: { name: 'x' } })).status).toBe(403);
    const changed = await call('PATCH', `/api/users/${userId}/role`, { key: ADMIN, body: { role: 'admin' } });
    expect(changed.status).toBe(200);
    expect((await call('POST', '/api/projects', { headers, body: { id: 'alices', name: 'Alice\'s' } })).status).toBe(201);
    const crossSite = await call('POST', '/api/projects', { headers: { ...headers, origin: 'https://evil.example' }, body: { name: 'y' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.error.message).toMatch(/cross-site/);
  });

  it('a session gets stream tickets, and deactivation ends it', async () => {
    const headers = { cookie: `lookspan_session=${cookie}` };
    const t = await call('POST', '/api/auth/ticket', { headers });
    expect(t.status).toBe(200);
    const deactivated = await call('DELETE', `/api/users/${userId}`, { key: ADMIN });
    expect(deactivated.body.status).toBe('deactivated');
    expect((await call('GET', '/api/traces', { headers })).status).toBe(401);
    // The ticket dies with the session it came from.
    expect((await call('GET', `/api/live/events?ticket=${encodeURIComponent(t.body.ticket)}`)).status).toBe(401);
    expect((await call('POST', '/api/users/verify', { body: { email: 'alice@example.com', password: PASSWORD } })).status).toBe(401);
  });

  it('logout ends the session', async () => {
    const invite = await call('POST', '/api/users/invite', { key: ADMIN, body: { email: 'bob@example.org', role: 'viewer' } });
    await call('POST', '/api/users/accept-invite', { body: { token: invite.body.invite_token, password: PASSWORD } });
    const { token } = (await call('POST', '/api/users/verify', { body: { email: 'bob@example.org', password: PASSWORD } })).body;
    const out = await call('POST', '/api/auth/logout', { key: token });
    expect(out.body).toEqual({ logged_out: true });
    expect((await call('GET', '/api/traces', { key: token })).status).toBe(401);
    const users = await call('GET', '/api/users', { key: ADMIN });
    expect(users.body.users.map((u: { email: string }) => u.email)).toEqual(['alice@example.com', 'bob@example.org']);
  });

  it('every step is in the audit log, e-mail addresses masked', async () => {
    const r = await call('GET', '/api/audit/logs?limit=200', { key: ADMIN });
    expect(r.status).toBe(200);
    const seen = (r.body.events as Array<{ action: string; result: string; actor: string; resource: string }>).reverse();
    const actions = seen.map((e) => `${e.action}:${e.result}`);
    expect(actions).toEqual(expect.arrayContaining([
      'user.invited:success', 'user.invite_accepted:failure', 'user.invite_accepted:success', 'user.login_failed:failure',
      'user.login:success', 'user.role_changed:success', 'project.created:denied', 'project.created:success', 'user.deactivated:success', 'user.logout:success',
    ]));
    expect(JSON.stringify(r.body)).not.toMatch(/alice@|bob@/i);
    expect(seen.find((e) => e.action === 'user.login')).toMatchObject({ actor: 'a***@example.com', resource: 'user:a***@example.com' });
    expect(seen.find((e) => e.action === 'user.invited')?.actor).toMatch(/^static:/);
    // Paging: limit defaults to 50, at most 200; offset skips.
    expect((await call('GET', '/api/audit/logs', { key: ADMIN })).body.limit).toBe(50);
    expect((await call('GET', '/api/audit/logs?limit=201', { key: ADMIN })).status).toBe(400);
    const page = await call('GET', '/api/audit/logs?limit=2&offset=1', { key: ADMIN });
    expect(page.body.events.map((e: { event_id: string }) => e.event_id)).toEqual(r.body.events.slice().reverse().slice(1, 3).map((e: { event_id: string }) => e.event_id));
  });
});

describe('invitation expiry', () => {
  it('an invitation past its lifetime is refused', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await migrate(conn);
    let now = Date.UTC(2026, 0, 1);
    const tables = await AccessTables.open(instance);
    const users = await Users.open(tables, () => now);
    const late = await users.invite({ email: 'late@example.com', role: 'viewer', project_id: null, ttlSeconds: 60 });
    now += 61_000;
    expect(await users.acceptInvite(late!.token, PASSWORD, null)).toBeNull();
    const onTime = await users.invite({ email: 'late@example.com', role: 'viewer', project_id: null, ttlSeconds: 60 });
    now += 59_000;
    expect((await users.acceptInvite(onTime!.token, PASSWORD, null))?.status).toBe('active');
    await tables.close();
    conn.closeSync();
    instance.closeSync();
  });
});
