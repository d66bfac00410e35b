import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { evaluateSlos } from '../../analysis/slos.js';
import { isoUs } from '../../analysis/window.js';
import { conflict, invalid, LookspanError, notFound } from '../../errors.js';
import { readBody } from '../../receivers/body.js';
import { parseJsonBody, parseOrThrow } from '../../receivers/native/validate.js';
import type { Database } from '../../store/index.js';
import { MAX_SLOS, SLO_METRICS, type SloRecord, type SloTable } from '../../store/slos.js';
import { parseQuery, textParam } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';

const BODY_LIMITS = { maxBodyBytes: 16 * 1024, maxDecompressedBytes: 16 * 1024 };

const name = z.string().trim().min(1).max(256);
const windowHours = z.number().int().min(1).max(720);

/** A success_rate threshold is a fraction (0.99, as the reference shows); latency_p99 is in ms. */
function thresholdProblem(metric: string, t: number): string | null {
  if (metric === 'success_rate' && !(t >= 0 && t <= 1)) return 'a success_rate threshold is a fraction between 0 and 1 (0.99 = 99 %)';
  if (metric === 'latency_p99' && !(t > 0)) return 'a latency_p99 threshold is a duration in ms, above 0';
  return null;
}

/** POST /api/slos (langsight-api.txt SLO object, snake_case). */
export const SloCreateBody = z.strictObject({
  agent_name: name,
  project_id: name.optional(),
  metric: z.enum(SLO_METRICS),
  threshold: z.number(),
  window_hours: windowHours.default(24),
}).superRefine((b, ctx) => {
  const p = thresholdProblem(b.metric, b.threshold);
  if (p) ctx.addIssue({ code: 'custom', path: ['threshold'], message: p });
});

/** PATCH /api/slos/:slo_id: any of the fields. */
export const SloPatchBody = z.strictObject({
  agent_name: name.optional(),
  metric: z.enum(SLO_METRICS).optional(),
  threshold: z.number().optional(),
  window_hours: windowHours.optional(),
}).refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'at least one field to update is required' });

export const SloQuery = z.object({
  project_id: textParam('only this project\'s SLOs (default: every project, unless the credential is bound to one)'),
  projectId: textParam('alias of project_id'),
});

export const SloObject = z.object({
  slo_id: z.string(), project_id: z.string(), agent_name: z.string(), metric: z.enum(SLO_METRICS),
  threshold: z.number(), window_hours: z.number().int(), created_at: z.string(), updated_at: z.string(),
});
export const SloListResponse = z.object({ slos: z.array(SloObject), total: z.number().int() });
export const SloStatusResponse = z.object({
  slos: z.array(SloObject.extend({
    current_value: z.number().nullable(), sample_count: z.number().int(), status: z.enum(['ok', 'breached', 'no_data']),
    window_start: z.string(), evaluated_at: z.string(),
  })),
  evaluated_at: z.string(),
});
export const SloDeleteResponse = z.object({ slo_id: z.string(), deleted: z.literal(true) });

/**
 * The project a request acts on, when it names one: with access control
 * the middleware has set project_id to the credential's effective project.
 */
function queryProject(ctx: Context): string | undefined {
  const q = parseQuery(ctx, SloQuery);
  return q.project_id ?? q.projectId;
}

async function jsonBody(ctx: Context): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type !== '' && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
  return parseJsonBody(await readBody(ctx.req, BODY_LIMITS));
}

/** The SLO named in the path, visible to the request's project; a 404 otherwise. */
async function sloOf(ctx: Context & { params?: Record<string, string> }, table: SloTable): Promise<SloRecord> {
  const id = ctx.params?.slo_id ?? '';
  const slo = await table.get(id);
  const project = queryProject(ctx);
  if (slo === null || (project !== undefined && slo.project_id !== project)) throw notFound(`no SLO "${id}"`);
  return slo;
}

/** Agent SLOs: definitions in DuckDB (store/slos.ts), evaluated against the stored spans (analysis/slos.ts). */
export function mountSlos(router: Router, deps: { table: SloTable; db: Database }): void {
  const { table, db } = deps;

  router.get('/api/slos', async (ctx) => {
    const slos = await table.list(queryProject(ctx));
    ctx.body = { slos, total: slos.length } satisfies z.input<typeof SloListResponse>;
  });

  router.post('/api/slos', async (ctx) => {
    const body = parseOrThrow(SloCreateBody, await jsonBody(ctx), 'SLO');
    const asked = queryProject(ctx);
    if (body.project_id !== undefined && asked !== undefined && body.project_id !== asked) {
      throw invalid(`project_id "${body.project_id}" differs from the project this request acts on ("${asked}"); send ?project_id=${body.project_id}`,
        [{ path: 'project_id', message: 'differs from the request\'s project' }]);
    }
    const created = await table.create({
      project_id: body.project_id ?? asked ?? DEFAULT_PROJECT, agent_name: body.agent_name, metric: body.metric,
      threshold: body.threshold, window_hours: body.window_hours,
    });
    if (created === null) throw conflict(`at most ${MAX_SLOS} SLOs can be defined; delete one first`);
    ctx.status = 201;
    ctx.body = created satisfies z.input<typeof SloObject>;
  });

  // Registered before PATCH/DELETE /api/slos/:slo_id; GET has no :slo_id route, so "status" is never an id.
  router.get('/api/slos/status', async (ctx) => {
    const slos = await table.list(queryProject(ctx));
    const nowUs = Date.now() * 1000;
    const statuses = await db.withSnapshot((conn) => evaluateSlos(conn, slos, nowUs));
    ctx.body = { slos: statuses, evaluated_at: isoUs(nowUs) } satisfies z.input<typeof SloStatusResponse>;
  });

  router.patch('/api/slos/:slo_id', async (ctx) => {
    const current = await sloOf(ctx, table);
    const body = parseOrThrow(SloPatchBody, await jsonBody(ctx), 'SLO update');
    const p = thresholdProblem(body.metric ?? current.metric, body.threshold ?? current.threshold);
    if (p) throw invalid(`invalid SLO update: threshold: ${p}`, [{ path: 'threshold', message: p }]);
    const updated = await table.update(current.slo_id, body);
    if (updated === null) throw notFound(`no SLO "${current.slo_id}"`);
    ctx.body = updated satisfies z.input<typeof SloObject>;
  });

  router.delete('/api/slos/:slo_id', async (ctx) => {
    const current = await sloOf(ctx, table);
    if (!(await table.remove(current.slo_id))) throw notFound(`no SLO "${current.slo_id}"`);
    ctx.body = { slo_id: current.slo_id, deleted: true } satisfies z.input<typeof SloDeleteResponse>;
  });
}
