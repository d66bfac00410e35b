/**
 * Rate limits per key (or client address without one): the limiter on a
 * fake clock, then a server with small limits: 429 with Retry-After and the
 * RateLimit headers, keys and addresses counted apart, per-route limits,
 * open probes never throttled, and gRPC's RESOURCE_EXHAUSTED with RetryInfo.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/access/rate-limit.js';
import { BUILT_IN_ROUTE_LIMITS, routeLimit } from '../../src/access/rate-policy.js';
import { ROUTE_ROLES } from '../../src/access/route-roles.js';
import { decodeStatus } from '../../src/receivers/otlp/proto-root.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

describe('the limiter', () => {
  it('lets a whole minute through at once, then one request per 60/limit seconds', () => {
    let now = 0;
    const l = new RateLimiter(100, () => now);
    const answers = Array.from({ length: 5 }, () => l.take('k', 4));
    expect(answers.map((a) => a.allowed)).toEqual([true, true, true, true, false]);
    expect(answers.map((a) => a.remaining)).toEqual([3, 2, 1, 0, 0]);
    expect(answers[4].retryAfterSeconds).toBe(15);
    expect(answers[3].resetSeconds).toBe(60);
    now += 15_000;
    expect(l.take('k', 4).allowed).toBe(true);
    expect(l.take('k', 4).allowed).toBe(false);
    // Another client has its own allowance.
    expect(l.take('other', 4).allowed).toBe(true);
  });

  it('forgets rested clients first and stays within maxClients', () => {
    let now = 0;
    const l = new RateLimiter(10, () => now);
    for (let i = 0; i < 10; i++) l.take(`c${i}`, 60);
    now += 2_000;
    for (let i = 10; i < 30; i++) l.take(`c${i}`, 60);
    expect(l.size).toBeLessThanOrEqual(10);
  });

  it('gives ingest routes the ingest limit and open routes none unless they have their own', () => {
    const cfg = { defaultPerMinute: 200, ingestPerMinute: 6000, routes: { 'GET /api/traces': 50 } };
    expect(routeLimit(cfg, 'POST /v1/traces', ROUTE_ROLES['POST /v1/traces'])).toBe(6000);
    expect(routeLimit(cfg, 'POST /api/traces/spans', ROUTE_ROLES['POST /api/traces/spans'])).toBe(BUILT_IN_ROUTE_LIMITS['POST /api/traces/spans']);
    expect(routeLimit(cfg, 'GET /api/traces', ROUTE_ROLES['GET /api/traces'])).toBe(50);
    expect(routeLimit(cfg, 'GET /api/stats', ROUTE_ROLES['GET /api/stats'])).toBe(200);
    expect(routeLimit(cfg, 'GET /api/readiness', ROUTE_ROLES['GET /api/readiness'])).toBeNull();
    expect(routeLimit(cfg, 'POST /api/users/verify', ROUTE_ROLES['POST /api/users/verify'])).toBe(10);
  });
});

const A = staticKey('viewer-a');
const B = staticKey('viewer-b');
const INGEST = staticKey('ingest');

let server: TestServer;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer({
    auth: { apiKeys: [`${A}:viewer`, `${B}:viewer`, `${INGEST}:ingest`] },
    rateLimits: { defaultPerMinute: 3, ingestPerMinute: 2, routes: { 'GET /api/stats': 1 } },
  });
  call = client(server.httpUrl);
});

afterAll(async () => {
  await server?.dispose();
});

describe('a server with small limits', () => {
  it('answers 429 with Retry-After and the RateLimit headers once a key has used its minute', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call('GET', '/api/traces', { key: A }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0].headers.get('ratelimit-limit')).toBe('3');
    expect(answers[0].headers.get('ratelimit-remaining')).toBe('2');
    expect(answers[0].headers.get('ratelimit-policy')).toBe('3;w=60');
    expect(Number(answers[0].headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    const refused = answers[3];
    expect(refused.body.error.code).toBe('overloaded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('counts each key, and each route, apart', async () => {
    expect((await call('GET', '/api/traces', { key: B })).status).toBe(200);
    expect((await call('GET', '/api/costs/models', { key: A })).status).toBe(200);
  });

  it('applies per-route limits and never throttles the probes', async () => {
    expect((await call('GET', '/api/stats', { key: B })).status).toBe(200);
    expect((await call('GET', '/api/stats', { key: B })).status).toBe(429);
    for (let i = 0; i < 10; i++) expect((await call('GET', '/api/readiness')).status).toBe(200);
  });

  it('limits requests without a key by client address, wrong keys included', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('GET', '/api/settings', { key: staticKey(`wrong${i}`) })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('refuses a gRPC export past the ingest limit with RESOURCE_EXHAUSTED and a RetryInfo delay', async () => {
    const c = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('x-api-key', INGEST);
    const exportOnce = () => new Promise<grpc.ServiceError | null>((resolve) => {
      c.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), md, (err) => resolve(err));
    });
    expect(await exportOnce()).toBeNull();
    expect(await exportOnce()).toBeNull();
    const err = await exportOnce();
    c.close();
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const details = err!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const status = decodeStatus(details);
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details.map((d) => d.typeUrl)).toContain('type.googleapis.com/google.rpc.RetryInfo');
  });
});
