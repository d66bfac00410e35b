/**
 * API keys over REST: static keys from LOOKSPAN_API_KEYS (Bearer and
 * X-API-Key), keys created through POST /api/keys (shown once, stored as a
 * SHA-256 only, listed without the secret, revocable), the open probe
 * routes, and the 401 / 403 answers in the JSON error shape.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

const ADMIN = staticKey('admin');
const VIEWER = staticKey('viewer');
const INGEST = staticKey('ingest');

let server: TestServer;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  // Through the environment variable, as the Helm chart passes it from a Secret.
  const env = { LOOKSPAN_API_KEYS: `${ADMIN}:admin, ${VIEWER}:viewer,${INGEST}:ingest` };
  server = await startTestServer({ auth: { apiKeys: loadConfig({ env }).auth.apiKeys } });
  call = client(server.httpUrl);
});

afterAll(async () => {
  await server?.dispose();
});

describe('LOOKSPAN_API_KEYS', () => {
  it('parses comma-separated <key>:<role>[:<project>] entries', () => {
    const c = loadConfig({ env: { LOOKSPAN_API_KEYS: `${ADMIN}:admin,${INGEST}:ingest:team-a` } });
    expect(c.auth.apiKeys).toEqual([`${ADMIN}:admin`, `${INGEST}:ingest:team-a`]);
  });

  it.each([
    ['an unknown role', `${ADMIN}:owner`],
    ['a short key', 'short:admin'],
    ['no role', ADMIN],
  ])('refuses %s without printing the key', (_what, entry) => {
    let err: unknown;
    try {
      loadConfig({ env: { LOOKSPAN_API_KEYS: entry } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('auth.apiKeys (LOOKSPAN_API_KEYS): entry 1 must be');
    expect((err as Error).message).not.toContain(entry.split(':')[0]);
  });
});

describe('authentication', () => {
  it.each(['/api/health', '/api/liveness', '/api/readiness', '/metrics'])('%s stays open', async (path) => {
    expect((await call('GET', path)).status).toBe(200);
  });

  it('answers 401 without a key, with WWW-Authenticate and the JSON error shape', async () => {
    const r = await call('GET', '/api/traces');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="lookspan"');
    expect(r.body.error.code).toBe('unauthorized');
    expect(r.body.error.message).toMatch(/Authorization: Bearer/);
  });

  it('answers 401 for a wrong key, a non-Bearer scheme and an unknown lsk_ key', async () => {
    expect((await call('GET', '/api/traces', { key: staticKey('wrong') })).status).toBe(401);
    expect((await call('GET', '/api/traces', { headers: { authorization: `Basic ${ADMIN}` } })).status).toBe(401);
    expect((await call('GET', '/api/traces', { key: `lsk_0123456789ab_${'a'.repeat(43)}` })).status).toBe(401);
  });

  it('accepts a key as Bearer and as X-API-Key', async () => {
    expect((await call('GET', '/api/traces', { key: VIEWER })).status).toBe(200);
    expect((await call('GET', '/api/traces', { key: VIEWER, asApiKey: true })).status).toBe(200);
  });

  it('a viewer cannot change anything and an ingest key cannot read', async () => {
    const price = { model_id: 'my-model', input_per_mtok: 1, output_per_mtok: 2 };
    const denied = await call('POST', '/api/costs/models', { key: VIEWER, body: price });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    expect((await call('GET', '/api/traces', { key: INGEST })).status).toBe(403);
    expect((await call('POST', '/api/costs/models', { key: ADMIN, body: price })).status).toBe(201);
  });

  it('an unknown path needs a credential too', async () => {
    expect((await call('GET', '/api/nothing-here')).status).toBe(401);
    expect((await call('GET', '/api/nothing-here', { key: VIEWER })).status).toBe(404);
  });
});

describe('keys created through the API', () => {
  it('are shown once, stored as a hash only, listed without the secret, and revocable', async () => {
    const created = await call('POST', '/api/keys', { key: ADMIN, body: { name: 'dashboard reader', role: 'viewer' } });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^lsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ name: 'dashboard reader', role: 'viewer', project_id: null, revoked_at: null, prefix: `lsk_${created.body.id}` });

    const listed = await call('GET', '/api/keys', { key: ADMIN });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(key.split('_')[2]);
    expect(listed.body.keys.map((k: { id: string }) => k.id)).toContain(created.body.id);
    expect(listed.body.static).toHaveLength(3);
    expect(JSON.stringify(listed.body.static)).not.toContain(ADMIN);

    // What DuckDB holds: the SHA-256, never the key.
    const conn = await server.store.db.instance.connect();
    const rows = (await conn.runAndReadAll('SELECT * FROM api_keys WHERE id = $1', [created.body.id])).getRowObjects();
    conn.closeSync();
    expect(rows).toHaveLength(1);
    expect(rows[0].key_sha256).toBe(createHash('sha256').update(key).digest('hex'));
    expect(JSON.stringify(rows[0], (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(key.split('_')[2]);

    expect((await call('GET', '/api/traces', { key })).status).toBe(200);
    expect((await call('POST', '/api/keys', { key, body: { name: 'x', role: 'admin' } })).status).toBe(403);
    // A wrong secret for a known id is as unknown as any other key.
    expect((await call('GET', '/api/traces', { key: `${key.slice(0, 17)}${'b'.repeat(43)}` })).status).toBe(401);

    const revoked = await call('DELETE', `/api/keys/${created.body.id}`, { key: ADMIN });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    expect((await call('GET', '/api/traces', { key })).status).toBe(401);
    expect((await call('DELETE', '/api/keys/000000000000', { key: ADMIN })).status).toBe(404);
  });

  it('a static key cannot be revoked through the API', async () => {
    const listed = await call('GET', '/api/keys', { key: ADMIN });
    const r = await call('DELETE', `/api/keys/${listed.body.static[0].id}`, { key: ADMIN });
    expect(r.status).toBe(409);
  });

  it('keys for a project need the project to exist', async () => {
    const r = await call('POST', '/api/keys', { key: ADMIN, body: { name: 'x', role: 'viewer', project_id: 'no-such-project' } });
    expect(r.status).toBe(404);
    expect((await call('POST', '/api/keys', { key: ADMIN, body: { name: 'x', role: 'owner' } })).status).toBe(400);
  });
});
