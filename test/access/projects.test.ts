/**
 * Projects and credentials bound to one: CRUD (writes need an admin bound
 * to no project), a bound admin managing its own project's keys only, the
 * audit log scoped to the project, and deleting a project revoking its keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { client, staticKey } from './client.js';

const ADMIN = staticKey('admin');
const VIEWER = staticKey('viewer');

let server: TestServer;
let call: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer({ auth: { apiKeys: [`${ADMIN}:admin`, `${VIEWER}:viewer`] } });
  call = client(server.httpUrl);
});

afterAll(async () => {
  await server?.dispose();
});

describe('projects', () => {
  let teamAdmin: string;
  let teamViewer: { id: string; key: string };

  it('are created, listed, read and renamed', async () => {
    const created = await call('POST', '/api/projects', { key: ADMIN, body: { id: 'team-a', name: 'Team A' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'team-a', name: 'Team A', registered: true });
    expect((await call('POST', '/api/projects', { key: ADMIN, body: { id: 'team-a', name: 'Again' } })).status).toBe(409);
    const derived = await call('POST', '/api/projects', { key: ADMIN, body: { name: 'Platform / EU' } });
    expect(derived.body.id).toMatch(/^platform-eu-[0-9a-f]{4}$/);
    expect((await call('POST', '/api/projects', { key: ADMIN, body: { id: 'null', name: 'x' } })).status).toBe(400);
    expect((await call('POST', '/api/projects', { key: VIEWER, body: { name: 'x' } })).status).toBe(403);
    const list = await call('GET', '/api/projects', { key: VIEWER });
    expect(list.body.projects.map((p: { id: string }) => p.id)).toEqual(['default', derived.body.id, 'team-a']);
    expect((await call('PATCH', '/api/projects/team-a', { key: ADMIN, body: { name: 'Team A (EU)' } })).body.name).toBe('Team A (EU)');
    expect((await call('GET', '/api/projects/team-a', { key: VIEWER })).body.name).toBe('Team A (EU)');
    expect((await call('GET', '/api/projects/nope', { key: VIEWER })).status).toBe(404);
    expect((await call('DELETE', '/api/projects/default', { key: ADMIN })).status).toBe(409);
  });

  it('a key bound to a project sees and manages that project only', async () => {
    const made = await call('POST', '/api/keys', { key: ADMIN, body: { name: 'team-a admin', role: 'admin', project_id: 'team-a' } });
    expect(made.status).toBe(201);
    teamAdmin = made.body.key;
    const list = await call('GET', '/api/projects', { key: teamAdmin });
    expect(list.body.projects.map((p: { id: string }) => p.id)).toEqual(['team-a']);
    expect((await call('GET', '/api/projects/default', { key: teamAdmin })).status).toBe(403);
    expect((await call('POST', '/api/projects', { key: teamAdmin, body: { name: 'mine' } })).status).toBe(403);
    expect((await call('PATCH', '/api/projects/team-a', { key: teamAdmin, body: { name: 'Team A' } })).status).toBe(200);

    // Its keys are bound to its project, whatever it asks.
    const forced = await call('POST', '/api/keys', { key: teamAdmin, body: { name: 'team-a viewer', role: 'viewer' } });
    expect(forced.body.project_id).toBe('team-a');
    teamViewer = { id: forced.body.id, key: forced.body.key };
    expect((await call('POST', '/api/keys', { key: teamAdmin, body: { name: 'x', role: 'viewer', project_id: 'default' } })).status).toBe(403);
    const keys = await call('GET', '/api/keys', { key: teamAdmin });
    expect(keys.body.keys.every((k: { project_id: string }) => k.project_id === 'team-a')).toBe(true);
    expect(keys.body.static).toEqual([]);
    const globalKey = await call('POST', '/api/keys', { key: ADMIN, body: { name: 'global viewer', role: 'viewer' } });
    expect((await call('DELETE', `/api/keys/${globalKey.body.id}`, { key: teamAdmin })).status).toBe(404);
    // Instance-wide routes stay closed to it even though it is an admin.
    expect((await call('POST', '/api/storage/seal', { key: teamAdmin })).status).toBe(403);
    expect((await call('GET', '/api/users', { key: teamAdmin })).status).toBe(403);
    expect((await call('GET', '/api/settings', { key: teamAdmin })).body.project_id).toBe('team-a');
  });

  it('the audit log of a bound admin holds its project\'s events only', async () => {
    const mine = await call('GET', '/api/audit/logs?limit=200', { key: teamAdmin });
    expect(mine.body.events.length).toBeGreaterThan(0);
    expect(mine.body.events.every((e: { project_id: string }) => e.project_id === 'team-a')).toBe(true);
    const all = await call('GET', '/api/audit/logs?limit=200', { key: ADMIN });
    expect(all.body.total).toBeGreaterThan(mine.body.total);
    const created = all.body.events.find((e: { action: string; resource: string }) => e.action === 'api_key.created' && e.resource === `key:lsk_${teamViewer.id}`);
    expect(created).toMatchObject({ result: 'success', project_id: 'team-a' });
  });

  it('deleting a project revokes its keys', async () => {
    expect((await call('GET', '/api/traces', { key: teamViewer.key })).status).toBe(200);
    const deleted = await call('DELETE', '/api/projects/team-a', { key: ADMIN });
    expect(deleted.status).toBe(200);
    expect(deleted.body.revoked_keys).toHaveLength(2);
    expect((await call('GET', '/api/traces', { key: teamViewer.key })).status).toBe(401);
    expect((await call('GET', '/api/traces', { key: teamAdmin })).status).toBe(401);
    const events = (await call('GET', '/api/audit/logs', { key: ADMIN })).body.events;
    expect(events[0]).toMatchObject({ action: 'project.deleted', resource: 'project:team-a', result: 'success', project_id: null });
  });
});
