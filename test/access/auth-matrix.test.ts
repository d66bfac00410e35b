/**
 * The auth matrix, generated from the route table: every HTTP route and
 * gRPC method × (no key, wrong key, ingest, viewer, admin, a key bound to
 * another project) → the status the table's entry implies. The expected
 * outcome is restated here from the roles' definitions, not taken from the
 * code under test. A route added without an entry fails in
 * route-roles.test.ts; one added with an entry is covered here at once.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcRouteKey, ROUTE_ROLES } from '../../src/access/route-roles.js';
import type { Need } from '../../src/access/roles.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { staticKey } from './client.js';
import { registeredRoutes } from './routes.js';

type Who = 'none' | 'wrong' | 'ingest' | 'viewer' | 'admin' | 'other-project';
const WHO: Who[] = ['none', 'wrong', 'ingest', 'viewer', 'admin', 'other-project'];

const KEYS: Record<Exclude<Who, 'none'>, string> = {
  wrong: staticKey('nobody'),
  ingest: staticKey('ingest'),
  viewer: staticKey('viewer'),
  admin: staticKey('admin'),
  // An admin key bound to team-b, asking for team-a.
  'other-project': staticKey('team-b-admin'),
};

/** Who may call a route of each need (docs/security.md, "Roles"). */
const ALLOWED: Record<Need, Who[]> = {
  open: ['none', 'ingest', 'viewer', 'admin'],
  authenticated: ['ingest', 'viewer', 'admin'],
  viewer: ['viewer', 'admin'],
  ingest: ['ingest', 'admin'],
  admin: ['admin'],
};

type Outcome = 'served' | 401 | 403;

function expected(key: string, who: Who): Outcome {
  const entry = ROUTE_ROLES[key];
  if (who === 'wrong') return 401;
  // A project-bound key naming another project is refused whatever the route.
  if (who === 'other-project') return 403;
  if (ALLOWED[entry.need].includes(who)) return 'served';
  return who === 'none' ? 401 : 403;
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    auth: {
      apiKeys: [`${KEYS.ingest}:ingest`, `${KEYS.viewer}:viewer`, `${KEYS.admin}:admin`, `${KEYS['other-project']}:admin:team-b`],
    },
  });
});

afterAll(async () => {
  await server?.dispose();
});

/** A concrete URL for a route pattern: every `:param` becomes `x`; the other-project column names team-a. */
function urlFor(path: string, who: Who): string {
  const concrete = path.replace(/:[A-Za-z_]+/g, 'x');
  return who === 'other-project' ? `${concrete}?project_id=team-a` : concrete;
}

async function httpOutcome(method: string, path: string, who: Who): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who !== 'none') headers.authorization = `Bearer ${KEYS[who]}`;
  const controller = new AbortController();
  const res = await fetch(`${server.httpUrl}${urlFor(path, who)}`, {
    method, headers, body: method === 'GET' || method === 'DELETE' ? undefined : '{}', signal: controller.signal,
  });
  // Streams never end by themselves: the status line is the answer.
  controller.abort();
  return res.status;
}

const identity = (b: Buffer) => b;

function grpcOutcome(path: string, who: Who): Promise<number> {
  const md = new grpc.Metadata();
  if (who !== 'none') md.set('authorization', `Bearer ${KEYS[who]}`);
  if (who === 'other-project') md.set('x-lookspan-project', 'team-a');
  const c = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
  const done = (code: number) => {
    c.close();
    return code;
  };
  if (path.endsWith('/Watch')) {
    return new Promise((resolve) => {
      const call = c.makeServerStreamRequest(path, identity, identity, Buffer.alloc(0), md);
      call.on('data', () => {
        call.cancel();
        resolve(done(grpc.status.OK));
      });
      call.on('error', (err: grpc.ServiceError) => resolve(done(err.code)));
    });
  }
  return new Promise((resolve) => {
    c.makeUnaryRequest(path, identity, identity, Buffer.alloc(0), md, (err) => resolve(done(err ? err.code! : grpc.status.OK)));
  });
}

describe('HTTP routes', () => {
  it('the matrix covers every registered route', () => {
    expect(registeredRoutes(server.router).length).toBeGreaterThan(30);
  });

  const routes = Object.keys(ROUTE_ROLES).filter((k) => !k.startsWith('grpc ') && k !== 'GET /api/live');
  it.each(routes)('%s', async (key) => {
    const [method, path] = key.split(' ');
    const got: Record<string, Outcome> = {};
    const want: Record<string, Outcome> = {};
    for (const who of WHO) {
      const status = await httpOutcome(method, path, who);
      got[who] = status === 401 || status === 403 ? status : 'served';
      want[who] = expected(key, who);
    }
    expect(got).toEqual(want);
  });
});

describe('gRPC methods', () => {
  const CODE: Record<Outcome, number | 'any'> = { served: 'any', 401: grpc.status.UNAUTHENTICATED, 403: grpc.status.PERMISSION_DENIED };
  it.each(Object.keys(ROUTE_ROLES).filter((k) => k.startsWith('grpc ')))('%s', async (key) => {
    const path = key.slice('grpc '.length);
    expect(server.grpcMethodPaths().map(grpcRouteKey)).toContain(key);
    for (const who of WHO) {
      const code = await grpcOutcome(path, who);
      const want = CODE[expected(key, who)];
      if (want === 'any') expect([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED], `${who}`).not.toContain(code);
      else expect(code, `${who}`).toBe(want);
    }
  });
});
