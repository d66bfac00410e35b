/**
 * The route table (src/access/route-roles.ts) against what the server
 * really serves: every route registered on the Koa router and every gRPC
 * method has exactly one entry, and every entry names a route that exists.
 * A route added without an entry fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcRouteKey, ROUTE_ROLES } from '../../src/access/route-roles.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { OUTSIDE_ROUTER, registeredRoutes } from './routes.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.dispose();
});

describe('the route table', () => {
  it('has an entry for every HTTP route', () => {
    const routes = registeredRoutes(server.router);
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !(r in ROUTE_ROLES))).toEqual([]);
  });

  it('has an entry for every gRPC method', () => {
    const methods = server.grpcMethodPaths().map(grpcRouteKey);
    expect(methods).toContain('grpc /opentelemetry.proto.collector.trace.v1.TraceService/Export');
    expect(methods.filter((m) => !(m in ROUTE_ROLES))).toEqual([]);
  });

  it('names only routes that exist', () => {
    const served = new Set([...registeredRoutes(server.router), ...server.grpcMethodPaths().map(grpcRouteKey), ...OUTSIDE_ROUTER]);
    expect(Object.keys(ROUTE_ROLES).filter((k) => !served.has(k))).toEqual([]);
  });

  it('keeps probes and the scrape endpoint open and everything that changes data behind a role', () => {
    for (const open of ['GET /api/health', 'GET /api/liveness', 'GET /api/readiness', 'GET /metrics']) expect(ROUTE_ROLES[open].need).toBe('open');
    const openWrites = Object.entries(ROUTE_ROLES)
      .filter(([k, v]) => /^(POST|PUT|PATCH|DELETE) /.test(k) && v.need === 'open')
      .map(([k]) => k);
    // Only the two sign-in steps, which are how a credential is obtained.
    expect(openWrites.sort()).toEqual(['POST /api/users/accept-invite', 'POST /api/users/verify']);
    const viewerWrites = Object.entries(ROUTE_ROLES).filter(([k, v]) => /^(PUT|PATCH|DELETE) /.test(k) && v.need === 'viewer').map(([k]) => k);
    expect(viewerWrites).toEqual([]);
  });
});
