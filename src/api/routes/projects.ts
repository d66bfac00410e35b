import type Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AccessControl } from '../../access/index.js';
import { accessOf, noteAudit } from '../../access/index.js';
import { DEFAULT_PROJECT, type ProjectRecord } from '../../access/projects.js';
import { conflict, notFound } from '../../errors.js';
import { readJson } from '../json-body.js';

/** Ids of created projects: safe in a URL path, a header and a lake partition directory name. */
const projectId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { error: 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  .refine((v) => !/^(null|__hive_default_partition__)$/i.test(v), { error: 'must not be "null" (Parquet readers take that partition value as NULL)' });

export const CreateProjectBody = z.strictObject({
  id: projectId.optional().describe('the project id used by keys, queries and the lake; derived from the name when absent'),
  name: z.string().trim().min(1).max(256),
});
export const UpdateProjectBody = z.strictObject({ name: z.string().trim().min(1).max(256) });

export const ProjectView = z.object({
  id: z.string(),
  name: z.string(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  registered: z.boolean().describe('false: known only because a key names it (or the implicit default project)'),
});
export const ProjectListResponse = z.object({ projects: z.array(ProjectView) });
export const DeletedProjectResponse = z.object({
  id: z.string(), deleted: z.literal(true), revoked_keys: z.array(z.string()), deactivated_users: z.array(z.string()),
});

const view = (p: ProjectRecord, registered: boolean): z.input<typeof ProjectView> => ({ ...p, registered });

/** `Team A / EU` → `team-a-eu-3f2a` (a short random suffix, so two projects named alike do not collide). */
function idFromName(name: string): string {
  const slug = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'project';
  return `${slug}-${randomBytes(2).toString('hex')}`;
}

/**
 * Projects (langsight-api.txt): every stored row, query and stream is
 * scoped to one. A credential bound to a project lists and reads only that
 * one; creating and deleting projects needs a credential bound to none.
 * Deleting revokes the project's API keys and deactivates its users; the
 * stored spans stay until retention drops them (docs/security.md).
 */
export function mountProjects(router: Router, ac: AccessControl): void {
  /** Registered projects, plus those a key or user is bound to. */
  const known = (): Array<z.input<typeof ProjectView>> => {
    const out = new Map(ac.projects.list().map((p) => [p.id, view(p, p.id !== DEFAULT_PROJECT || p.created_at !== null)]));
    const named = [...ac.staticKeys.map((k) => k.project), ...ac.apiKeys.list().map((k) => k.project_id), ...ac.users.list().map((u) => u.project_id)];
    for (const id of named) if (id !== null && !out.has(id)) out.set(id, { id, name: id, created_at: null, updated_at: null, registered: false });
    return [...out.values()];
  };

  router.get('/api/projects', (ctx) => {
    const a = accessOf(ctx);
    const all = known();
    ctx.body = { projects: a.bound ? all.filter((p) => p.id === a.project) : all } satisfies z.input<typeof ProjectListResponse>;
  });

  router.post('/api/projects', async (ctx) => {
    const body = await readJson(ctx, CreateProjectBody, 'project');
    const id = body.id ?? idFromName(body.name);
    noteAudit(ctx, { resource: `project:${id}` });
    const created = await ac.projects.create(id, body.name);
    if (!created) throw conflict(`project "${id}" already exists`);
    ctx.status = 201;
    ctx.body = view(created, true);
  });

  router.get('/api/projects/:project_id', (ctx) => {
    const found = known().find((p) => p.id === ctx.params.project_id);
    if (!found) throw notFound(`no project "${ctx.params.project_id}"`);
    ctx.body = found satisfies z.input<typeof ProjectView>;
  });

  router.patch('/api/projects/:project_id', async (ctx) => {
    const body = await readJson(ctx, UpdateProjectBody, 'project update');
    noteAudit(ctx, { resource: `project:${ctx.params.project_id}` });
    const updated = await ac.projects.rename(ctx.params.project_id, body.name);
    if (!updated) throw notFound(`no project "${ctx.params.project_id}"; create it with POST /api/projects`);
    ctx.body = view(updated, true);
  });

  router.delete('/api/projects/:project_id', async (ctx) => {
    const id = ctx.params.project_id;
    noteAudit(ctx, { resource: `project:${id}` });
    if (id === DEFAULT_PROJECT) throw conflict('the default project cannot be deleted');
    if (!(await ac.projects.remove(id))) throw notFound(`no project "${id}"`);
    const revoked = await ac.apiKeys.revokeProject(id);
    const deactivated: string[] = [];
    for (const u of ac.users.list()) {
      if (u.project_id !== id || u.status === 'deactivated') continue;
      await ac.users.deactivate(u.id);
      await ac.sessions.endUser(u.id);
      deactivated.push(u.id);
    }
    await ac.settings.remove(id);
    ctx.body = { id, deleted: true, revoked_keys: revoked, deactivated_users: deactivated } satisfies z.input<typeof DeletedProjectResponse>;
  });
}
