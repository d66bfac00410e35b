import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { LookspanError, invalid, notFound } from '../../errors.js';
import { readBody } from '../../receivers/body.js';
import { parseJsonBody, parseOrThrow } from '../../receivers/native/validate.js';
import { ProjectQuery, intParam, parseQuery, textParam } from '../params.js';
import { PROJECT_DEFAULT_AGENT, PreventionFieldsInput, type PreventionStore } from '../../alerts/prevention/store.js';
import { DEFAULT_PROJECT } from './traces.js';

const BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxDecompressedBytes: 16 * 1024 };

/**
 * PUT body: any subset of the prevention config object's fields (only
 * those are updated). The object's identity fields may be sent back as
 * GET returned them; `project_id` and `agent_name` must then match the path.
 */
export const PreventionConfigBody = PreventionFieldsInput.extend({
  id: z.string().optional(),
  project_id: z.string().optional(),
  agent_name: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});

/** The prevention config object of langsight-api.txt (every field, inherited ones filled in). */
export const PreventionConfigResponse = PreventionFieldsInput.required().extend({
  id: z.string(), project_id: z.string(), agent_name: z.string(), created_at: z.string(), updated_at: z.string(),
});

/** GET /api/prevention/sessions: the sessions a prevention rule tagged. */
export const SessionViolationResponse = z.object({
  project_id: z.string(), session_id: z.string(), health_tag: z.string(), rule: z.string(),
  agent_name: z.string().nullable(), detail: z.record(z.string(), z.unknown()), set_at: z.string(),
});

/** The project of the per-agent routes and of the violations list. */
export const PreventionProjectQuery = ProjectQuery;
export const PreventionSessionsQuery = PreventionProjectQuery.extend({
  session_id: textParam('only this session'),
  sessionId: textParam('alias of session_id'),
  limit: intParam(1, 1000, 50, 'sessions per page'),
  offset: intParam(0, 10_000_000, 0, 'sessions to skip'),
});
export const SessionViolationListResponse = z.object({
  sessions: z.array(SessionViolationResponse), limit: z.number().int(), offset: z.number().int(),
});
export const PreventionConfigDeletedResponse = z.object({ project_id: z.string(), agent_name: z.string(), deleted: z.literal(true) });

/**
 * The prevention config routes of langsight-api.txt: per agent
 * (`/api/agents/{name}/prevention-config`, project from `project_id`) and
 * per project (`/api/projects/{project_id}/prevention-config`, the row of
 * agent `*`, the default of every agent without its own). GET answers 404
 * for a row that does not exist; PUT creates or updates only the fields
 * given; DELETE removes the row (the project default, then the built-in
 * defaults apply).
 */
export function mountPrevention(router: Router, store: PreventionStore): void {
  const queryProject = (ctx: Context) => {
    const q = parseQuery(ctx, PreventionProjectQuery);
    return q.project_id ?? q.projectId ?? DEFAULT_PROJECT;
  };
  const agentScope = (ctx: Context) => ({ project: queryProject(ctx), agent: name(ctx.params.name, 'name') });
  const projectScope = (ctx: Context) => ({ project: name(ctx.params.project_id, 'project_id'), agent: PROJECT_DEFAULT_AGENT });

  for (const [path, scope] of [
    ['/api/agents/:name/prevention-config', agentScope],
    ['/api/projects/:project_id/prevention-config', projectScope],
  ] as const) {
    router.get(path, (ctx) => {
      const { project, agent } = scope(ctx);
      const view = store.get(project, agent);
      if (!view) throw notFound(agent === PROJECT_DEFAULT_AGENT ? `project ${project} has no default prevention config` : `agent ${agent} has no prevention config in project ${project}`);
      ctx.body = view;
    });
    router.put(path, async (ctx) => {
      const { project, agent } = scope(ctx);
      const body = parseOrThrow(PreventionConfigBody, await jsonBody(ctx), 'prevention config');
      const { id: _id, project_id, agent_name, created_at: _c, updated_at: _u, ...fields } = body;
      if (project_id !== undefined && project_id !== project) throw invalid(`project_id ${project_id} does not match the path's project ${project}`, [{ path: 'project_id', message: 'must match the path' }]);
      if (agent_name !== undefined && agent_name !== agent) throw invalid(`agent_name ${agent_name} does not match the path's agent ${agent}`, [{ path: 'agent_name', message: 'must match the path' }]);
      const { view, created } = await store.put(project, agent, fields);
      ctx.status = created ? 201 : 200;
      ctx.body = view;
    });
    router.delete(path, async (ctx) => {
      const { project, agent } = scope(ctx);
      if (!(await store.remove(project, agent))) throw notFound(`no prevention config for agent ${agent} in project ${project}`);
      ctx.body = { project_id: project, agent_name: agent, deleted: true } satisfies z.input<typeof PreventionConfigDeletedResponse>;
    });
  }

  router.get('/api/prevention/sessions', async (ctx) => {
    const q = parseQuery(ctx, PreventionSessionsQuery);
    const sessions = await store.violations(q.project_id ?? q.projectId ?? DEFAULT_PROJECT, { sessionId: q.session_id ?? q.sessionId, limit: q.limit, offset: q.offset });
    ctx.body = { sessions, limit: q.limit, offset: q.offset } satisfies z.input<typeof SessionViolationListResponse>;
  });
}

function name(v: string | undefined, param: string): string {
  const s = (v ?? '').trim();
  if (s.length === 0 || s.length > 256) throw invalid(`${param} must be 1 to 256 characters`, [{ path: param, message: 'must be 1 to 256 characters' }]);
  return s;
}

async function jsonBody(ctx: Context): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type !== '' && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
  return parseJsonBody(await readBody(ctx.req, BODY_LIMITS));
}
