/**
 * CORS on OTLP/HTTP and the REST API: off by default; with origins
 * configured, preflights are answered 204 as the Collector's receivers do
 * (Access-Control headers only for an allowed origin, method and headers),
 * allowed cross-origin requests get Access-Control-Allow-Origin, and a
 * wildcard origin never gets credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { staticKey } from './client.js';

const INGEST = staticKey('ingest');
let off: TestServer;
let listed: TestServer;
let wildcard: TestServer;

beforeAll(async () => {
  const auth = { apiKeys: [`${INGEST}:ingest`] };
  [off, listed, wildcard] = await Promise.all([
    startTestServer({ auth }),
    startTestServer({ auth, cors: { allowedOrigins: ['https://app.example.com', 'https://*.example.org'], allowCredentials: true, maxAgeSeconds: 600 } }),
    startTestServer({ auth, cors: { allowedOrigins: ['*'], allowCredentials: true } }),
  ]);
});

afterAll(async () => {
  await Promise.all([off?.dispose(), listed?.dispose(), wildcard?.dispose()]);
});

const preflight = (s: TestServer, origin: string, headers = 'content-type, authorization', method = 'POST') => fetch(`${s.httpUrl}/v1/traces`, {
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
});

describe('CORS', () => {
  it('is off by default', async () => {
    const r = await preflight(off, 'https://app.example.com');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an allowed preflight with the Access-Control headers', async () => {
    for (const origin of ['https://app.example.com', 'https://eu.svc.example.org']) {
      const r = await preflight(listed, origin);
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe(origin);
      expect(r.headers.get('access-control-allow-methods')).toBe('POST');
      expect(r.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
      expect(r.headers.get('access-control-allow-credentials')).toBe('true');
      expect(r.headers.get('access-control-max-age')).toBe('600');
      expect(r.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('answers a refused preflight 204 without them', async () => {
    for (const r of [
      await preflight(listed, 'https://evil.example.net'),
      await preflight(listed, 'https://example.org'),
      await preflight(listed, 'https://app.example.com', 'content-type, x-secret-header'),
      await preflight(listed, 'https://app.example.com', 'content-type', 'TRACE'),
    ]) {
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('labels an allowed cross-origin export, which still needs its key', async () => {
    const body = JSON.stringify({ resourceSpans: [] });
    const ok = await fetch(`${listed.httpUrl}/v1/traces`, {
      method: 'POST', headers: { origin: 'https://app.example.com', 'content-type': 'application/json', authorization: `Bearer ${INGEST}` }, body,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-expose-headers')).toContain('Retry-After');
    const noKey = await fetch(`${listed.httpUrl}/v1/traces`, { method: 'POST', headers: { origin: 'https://app.example.com', 'content-type': 'application/json' }, body });
    expect(noKey.status).toBe(401);
    // The browser can read why.
    expect(noKey.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('never allows credentials with a wildcard origin', async () => {
    const r = await preflight(wildcard, 'https://anything.example');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });
});
