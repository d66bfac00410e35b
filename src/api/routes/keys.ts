import type Router from '@koa/router';
import { z } from 'zod';
import type { AccessControl } from '../../access/index.js';
import { accessOf, noteAudit } from '../../access/index.js';
import { ROLES } from '../../access/roles.js';
import { conflict, LookspanError, notFound } from '../../errors.js';
import { nativeProjectId } from '../../receivers/native/ids.js';
import { readJson } from '../json-body.js';

export const CreateKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(128).describe('what the key is for, e.g. "collector eu-west-1"'),
  role: z.enum(ROLES).describe('admin, viewer or ingest'),
  project_id: nativeProjectId.nullable().optional().describe('bind the key to one project; null or absent: any project (only from a credential bound to none)'),
});

export const ApiKeyView = z.object({
  id: z.string(),
  prefix: z.string().describe('lsk_<id>: how the key shows in lists and the audit log'),
  name: z.string(),
  role: z.enum(ROLES),
  project_id: z.string().nullable(),
  created_at: z.string(),
  created_by: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

export const CreatedKeyResponse = ApiKeyView.extend({
  key: z.string().describe('the key itself: shown this once, stored only as its SHA-256'),
});

export const StaticKeyView = z.object({
  id: z.string(), role: z.enum(ROLES), project_id: z.string().nullable(), source: z.literal('config'),
});

export const KeyListResponse = z.object({ keys: z.array(ApiKeyView), static: z.array(StaticKeyView) });

/**
 * API keys (docs/security.md): POST /api/keys creates one and answers with
 * the key once; GET /api/keys lists keys without them; DELETE revokes. A
 * credential bound to a project manages that project's keys only, and can
 * create no key bound to none. Static keys (LOOKSPAN_API_KEYS) are listed by
 * id and change only with the configuration.
 */
export function mountKeys(router: Router, ac: AccessControl): void {
  router.get('/api/keys', (ctx) => {
    const a = accessOf(ctx);
    const only = a.bound ? a.project : undefined;
    ctx.body = {
      keys: ac.apiKeys.list(only),
      static: ac.staticKeys.filter((k) => only === undefined || k.project === only)
        .map((k) => ({ id: k.id, role: k.role, project_id: k.project, source: 'config' as const })),
    } satisfies z.input<typeof KeyListResponse>;
  });

  router.post('/api/keys', async (ctx) => {
    const a = accessOf(ctx);
    const body = await readJson(ctx, CreateKeyBody, 'API key');
    let project = body.project_id ?? null;
    if (a.bound) {
      if (project !== null && project !== a.project) {
        throw new LookspanError('forbidden', `this credential is bound to project "${a.project}" and cannot create keys for project "${project}"`);
      }
      project = a.project;
    }
    if (project !== null && ac.projects.get(project) === null) throw notFound(`project "${project}" does not exist; create it with POST /api/projects`);
    const { record, key } = await ac.apiKeys.create({ name: body.name, role: body.role, project_id: project, created_by: a.principal!.actor });
    noteAudit(ctx, { resource: `key:${record.prefix}` });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ...record, key } satisfies z.input<typeof CreatedKeyResponse>;
  });

  router.delete('/api/keys/:key_id', async (ctx) => {
    const a = accessOf(ctx);
    const id = ctx.params.key_id.replace(/^lsk_/, '');
    noteAudit(ctx, { resource: `key:lsk_${id}` });
    if (ac.staticKeys.some((k) => k.id === ctx.params.key_id)) {
      throw conflict(`${ctx.params.key_id} is a static key: remove it from auth.apiKeys / LOOKSPAN_API_KEYS and restart`);
    }
    const existing = ac.apiKeys.get(id);
    // Another project's key is as unknown as a missing one.
    if (!existing || (a.bound && existing.project_id !== a.project)) throw notFound(`no API key ${ctx.params.key_id}`);
    ctx.body = (await ac.apiKeys.revoke(id))! satisfies z.input<typeof ApiKeyView>;
  });
}
