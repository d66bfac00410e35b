/**
 * When a server may run without authentication: with no key configured it
 * serves loopback open (a laptop), refuses any other address with a clear
 * message unless auth.allowOpen is set (then it warns at every start), and
 * authenticates as soon as any credential exists.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessControl, isLoopbackHost, startMode } from '../../src/access/index.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { migrate } from '../../src/store/duckdb/migrations.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { client } from './client.js';

describe('startMode', () => {
  it.each([
    ['127.0.0.1', 0, false, 'open-loopback'],
    ['::1', 0, false, 'open-loopback'],
    ['localhost', 0, false, 'open-loopback'],
    ['0.0.0.0', 0, false, 'refused'],
    ['::', 0, false, 'refused'],
    ['10.0.0.5', 0, false, 'refused'],
    ['0.0.0.0', 0, true, 'open-allowed'],
    ['0.0.0.0', 1, false, 'authenticated'],
    ['127.0.0.1', 2, false, 'authenticated'],
  ] as const)('%s with %i credential(s), allowOpen %s: %s', (host, n, allow, mode) => {
    expect(startMode(host, n, allow)).toBe(mode);
  });

  it('knows loopback addresses', () => {
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});

describe('a server on a non-loopback address', () => {
  it('refuses to start without a key, before binding any port', async () => {
    const err = await startTestServer({ server: { host: '0.0.0.0' } }).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/refusing to start: server.host is 0.0.0.0/);
    expect(err.message).toContain('LOOKSPAN_API_KEYS');
    expect(err.message).toContain('auth.allowOpen');
  });

  it('warns at start when auth.allowOpen lets it run open', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await migrate(conn);
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const config = loadConfig({ env: {}, overrides: { server: { host: '0.0.0.0' }, auth: { allowOpen: true } } });
    const ac = await AccessControl.open(config, instance, log);
    expect(ac.authRequired()).toBe(false);
    expect(ac.rateLimited()).toBe(true);
    await ac.close();
    conn.closeSync();
    instance.closeSync();
    expect(lines.join('')).toMatch(/authentication is OFF on 0\.0\.0\.0/);
  });
});

describe('a loopback server without keys', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('is open until the first key is created, then authenticates', async () => {
    const call = client(server.httpUrl);
    expect((await call('GET', '/api/traces')).status).toBe(200);
    expect((await call('GET', '/api/auth/whoami')).body).toMatchObject({ kind: 'anonymous', role: 'admin', auth_required: false });
    // A wrong key is refused even here: a client that sends one is told at once.
    expect((await call('GET', '/api/traces', { key: 'not-a-key-of-this-server' })).status).toBe(401);
    const first = await call('POST', '/api/keys', { body: { name: 'first admin', role: 'admin' } });
    expect(first.status).toBe(201);
    expect((await call('GET', '/api/traces')).status).toBe(401);
    expect((await call('GET', '/api/traces', { key: first.body.key })).status).toBe(200);
    expect((await call('GET', '/api/auth/whoami', { key: first.body.key })).body).toMatchObject({ kind: 'api_key', auth_required: true });
  });
});
