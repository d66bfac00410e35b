import type Router from '@koa/router';
import { z } from 'zod';
import type { AccessControl } from '../../access/index.js';
import { accessOf, noteAudit } from '../../access/index.js';
import { readJson } from '../json-body.js';

export const SettingsBody = z.strictObject({
  redact_payloads: z.boolean().describe('store spans ingested from now on without input, output and payload-bearing attributes'),
});
export const SettingsResponse = z.object({
  project_id: z.string(),
  redact_payloads: z.boolean(),
  updated_at: z.string().nullable(),
});

/**
 * GET /api/settings (any valid credential) and PUT /api/settings (admin):
 * the settings of the request's project, as langsight-api.txt describes
 * the instance settings. A change applies to spans ingested after the PUT
 * has returned; stored spans keep what they have.
 */
export function mountSettings(router: Router, ac: AccessControl): void {
  router.get('/api/settings', (ctx) => {
    const { project } = accessOf(ctx);
    ctx.body = { project_id: project, ...ac.settings.get(project) } satisfies z.input<typeof SettingsResponse>;
  });

  router.put('/api/settings', async (ctx) => {
    const { project } = accessOf(ctx);
    const body = await readJson(ctx, SettingsBody, 'settings');
    noteAudit(ctx, { resource: `settings:${project}` });
    ctx.body = { project_id: project, ...(await ac.settings.update(project, body)) } satisfies z.input<typeof SettingsResponse>;
  });
}
