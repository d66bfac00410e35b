import type Router from '@koa/router';
import { z } from 'zod';
import type { AccessControl } from '../../access/index.js';
import { noteAudit } from '../../access/index.js';
import { unauthorized } from '../../access/credentials.js';
import { sessionCookie } from '../../access/middleware.js';
import { normalizeEmail, type UserRecord } from '../../access/users.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { nativeProjectId } from '../../receivers/native/ids.js';
import { readJson } from '../json-body.js';

const userRole = z.enum(['admin', 'viewer']);
const email = z.email().max(320);
/** Long enough to resist guessing at 10 tries a minute; scrypt makes offline guessing slow. */
const password = z.string().min(12, { error: 'must be at least 12 characters' }).max(1024);

export const InviteBody = z.strictObject({
  email,
  role: userRole,
  project_id: nativeProjectId.nullable().optional().describe('bind the user to one project; null or absent: any project'),
});
export const AcceptInviteBody = z.strictObject({
  token: z.string().min(1).max(512).describe('the invite_token from POST /api/users/invite'),
  password,
  name: z.string().trim().min(1).max(256).optional(),
});
export const VerifyBody = z.strictObject({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024) });
export const RoleBody = z.strictObject({ role: userRole });

export const UserView = z.object({
  id: z.string(), email: z.string(), name: z.string().nullable(), role: userRole, project_id: z.string().nullable(),
  status: z.enum(['invited', 'active', 'deactivated']), created_at: z.string(), updated_at: z.string(), last_login_at: z.string().nullable(),
});
export const UserListResponse = z.object({ users: z.array(UserView) });
export const AcceptInviteResponse = z.object({ user: UserView });
export const InviteResponse = z.object({
  user: UserView,
  invite_token: z.string().describe('shown once; the invitee sends it to POST /api/users/accept-invite'),
  expires_at: z.string(),
});
export const VerifyResponse = z.object({
  token: z.string().describe('a session credential (also set as the lookspan_session cookie); send as Authorization: Bearer'),
  expires_at: z.string(),
  user: UserView,
});

const view = (u: UserRecord): z.input<typeof UserView> => u;

/**
 * Users (langsight-api.txt): invitations (single-use, expiring tokens,
 * stored hashed; Lookspan sends no e-mail, the admin hands the token on),
 * accepting one (sets a password, scrypt-hashed), signing in (`verify`: a
 * session credential for the dashboard, as an HttpOnly SameSite=Strict
 * cookie and in the body), role changes and deactivation.
 */
export function mountUsers(router: Router, ac: AccessControl): void {
  router.get('/api/users', (ctx) => {
    ctx.body = { users: ac.users.list().map(view) } satisfies z.input<typeof UserListResponse>;
  });

  router.post('/api/users/invite', async (ctx) => {
    const body = await readJson(ctx, InviteBody, 'invitation');
    noteAudit(ctx, { resource: `user:${normalizeEmail(body.email)}` });
    const project = body.project_id ?? null;
    if (project !== null && ac.projects.get(project) === null) throw notFound(`project "${project}" does not exist; create it with POST /api/projects`);
    const invited = await ac.users.invite({ email: body.email, role: body.role, project_id: project, ttlSeconds: ac.config.auth.inviteTtlSeconds });
    if (!invited) throw conflict(`an active user has the address ${body.email}`);
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { user: view(invited.user), invite_token: invited.token, expires_at: invited.expires_at } satisfies z.input<typeof InviteResponse>;
  });

  router.post('/api/users/accept-invite', async (ctx) => {
    const body = await readJson(ctx, AcceptInviteBody, 'invitation acceptance');
    const user = await ac.users.acceptInvite(body.token, body.password, body.name ?? null);
    if (!user) throw invalid('the invitation token is invalid, expired or already used', [{ path: 'token', message: 'invalid, expired or already used' }]);
    noteAudit(ctx, { actor: user.email, resource: `user:${user.email}` });
    ctx.body = { user: view(user) } satisfies z.input<typeof AcceptInviteResponse>;
  });

  router.post('/api/users/verify', async (ctx) => {
    const body = await readJson(ctx, VerifyBody, 'sign-in');
    const attempted = normalizeEmail(body.email);
    noteAudit(ctx, { actor: attempted, resource: `user:${attempted}`, action: 'user.login_failed' });
    const user = await ac.users.verify(body.email, body.password);
    if (!user) throw unauthorized('wrong e-mail address or password');
    const session = await ac.sessions.create(user.id);
    noteAudit(ctx, { actor: user.email, resource: `user:${user.email}`, action: 'user.login' });
    ctx.set('Set-Cookie', sessionCookie(ac, ctx, session.token, session.maxAgeSeconds));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token: session.token, expires_at: session.expiresAt, user: view(user) } satisfies z.input<typeof VerifyResponse>;
  });

  router.patch('/api/users/:user_id/role', async (ctx) => {
    const body = await readJson(ctx, RoleBody, 'role change');
    const current = ac.users.get(ctx.params.user_id);
    noteAudit(ctx, { resource: `user:${current?.email ?? ctx.params.user_id}` });
    const updated = await ac.users.setRole(ctx.params.user_id, body.role);
    if (!updated) throw notFound(`no user ${ctx.params.user_id}`);
    ctx.body = view(updated);
  });

  router.delete('/api/users/:user_id', async (ctx) => {
    const current = ac.users.get(ctx.params.user_id);
    noteAudit(ctx, { resource: `user:${current?.email ?? ctx.params.user_id}` });
    const updated = await ac.users.deactivate(ctx.params.user_id);
    if (!updated) throw notFound(`no user ${ctx.params.user_id}`);
    await ac.sessions.endUser(updated.id);
    ctx.body = view(updated);
  });

}
