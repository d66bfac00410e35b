import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { invalid, notFound } from '../../errors.js';
import type { McpHealth, RegistryEntry, CheckRecord, DriftRecord } from '../../mcp/index.js';
import { SERVER_STATUSES } from '../../mcp/index.js';
import { CHECK_STEPS, MCP_TRANSPORTS, type ToolInfo } from '../../mcp/types.js';
import { readJson } from '../json-body.js';
import { ProjectQuery, intParam, parseQuery } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';

/** Query of every MCP health and security route (snake_case, langsight-api.txt). */
export const McpProjectQuery = ProjectQuery;

export const McpHistoryQuery = McpProjectQuery.extend({
  limit: intParam(1, 100, 10, 'results returned, newest first'),
  offset: intParam(0, 100_000, 0, 'results skipped'),
});

export const McpServerNameParams = z.object({ name: z.string().min(1).max(256) });

/** POST /api/health/check: one server, or every configured server of the project when absent. */
export const HealthCheckBody = z.strictObject({ server_name: z.string().min(1).max(256).optional() });

export const McpToolView = z.object({
  name: z.string(), description: z.string().nullable(), input_schema: z.record(z.string(), z.unknown()),
  annotations: z.record(z.string(), z.unknown()).nullable().describe('MCP ToolAnnotations (readOnlyHint, destructiveHint, …)'),
});

export const CheckStepView = z.object({
  step: z.enum(CHECK_STEPS), status: z.enum(['ok', 'error', 'skipped']), latency_ms: z.number().nullable(), error: z.string().nullable(),
});

/** langsight's HealthCheckResult, with the steps, protocol version and server identity of the check. */
export const HealthCheckResult = z.object({
  server_name: z.string(),
  project_id: z.string(),
  status: z.enum(SERVER_STATUSES).describe('up; degraded (slow, or an optional step failed); down; stale (the latest result is older than staleAfterIntervals intervals; history entries keep their status); unknown (never checked, or only seen in spans)'),
  latency_ms: z.number().nullable().describe('the whole check, start to its last protocol step'),
  tools: z.array(McpToolView),
  tools_count: z.number().int(),
  schema_hash: z.string().nullable().describe('sha256 over every tool\'s name, description and input schema'),
  checked_at: z.string().nullable(),
  error: z.string().nullable(),
  source: z.enum(['config', 'discovered']).describe('config: in mcp.servers and checked; discovered: named by the project\'s spans, no transport to check it by'),
  transport: z.enum(MCP_TRANSPORTS).nullable(),
  check_id: z.string().nullable(),
  trigger: z.enum(['schedule', 'request', 'scan']).nullable(),
  protocol_version: z.string().nullable(),
  server_info: z.object({ name: z.string(), version: z.string() }).nullable(),
  steps: z.array(CheckStepView),
  resources_count: z.number().int().nullable(),
  prompts_count: z.number().int().nullable(),
  consecutive_failures: z.number().int(),
  last_seen_at: z.string().nullable().describe('discovered servers: start of the last span naming it'),
});

export const HealthCheckList = z.array(HealthCheckResult);

export const SchemaChangeView = z.object({
  drift_type: z.enum(['breaking', 'compatible', 'warning']), kind: z.string(), tool_name: z.string(),
  param_name: z.string().nullable(), old_value: z.string().nullable(), new_value: z.string().nullable(),
});

export const SchemaDriftView = z.object({
  id: z.string(), server_name: z.string(), project_id: z.string(), detected_at: z.string(), previous_checked_at: z.string().nullable(),
  previous_hash: z.string().nullable(), current_hash: z.string(), has_breaking: z.boolean(), changes: z.array(SchemaChangeView),
  diff: z.string().describe('one line per change: "!" breaking, "+" compatible, "~" warning'),
  sessions: z.array(z.object({ project_id: z.string(), session_id: z.string() })).describe('sessions given the schema_drift tag'),
});

export const SchemaDriftList = z.array(SchemaDriftView).describe('newest first; the X-Has-More header says whether more follow');

const first = <T>(...xs: (T | undefined)[]) => xs.find((x) => x !== undefined);

/** The project a request names (the access middleware has already bound it for a project key). */
export const mcpProject = (ctx: Context) => {
  const q = parseQuery(ctx, McpProjectQuery);
  return first(q.project_id, q.projectId) ?? DEFAULT_PROJECT;
};

export function serverNameParam(ctx: Context & { params?: Record<string, string> }): string {
  const r = McpServerNameParams.safeParse({ name: ctx.params?.name ?? '' });
  if (!r.success) throw invalid('name must be 1-256 characters', [{ path: 'name', message: 'must be 1-256 characters' }]);
  return r.data.name;
}

/**
 * A server's result as the routes show it: the stored check or unknown. As
 * the server's latest result (`latest`), one older than staleAfterIntervals
 * intervals is stale; a history entry keeps the status it had.
 */
export function resultView(mcp: McpHealth, e: RegistryEntry, c: CheckRecord | undefined, tools: ToolInfo[] | undefined, latest: boolean): z.input<typeof HealthCheckResult> {
  const interval = e.config ? mcp.monitor.intervalMs(e.config) : 0;
  const stale = latest && c !== undefined && Date.now() - Date.parse(c.checked_at) > mcp.config.staleAfterIntervals * interval;
  return {
    server_name: e.name, project_id: e.projectId,
    status: c === undefined || e.source === 'discovered' ? 'unknown' : stale ? 'stale' : c.status,
    latency_ms: c?.latency_ms ?? null, tools: tools ?? [], tools_count: c?.tools_count ?? 0, schema_hash: c?.schema_hash ?? null,
    checked_at: c?.checked_at ?? null,
    error: e.source === 'discovered' ? 'seen in spans only: configure it under mcp.servers to check it' : c === undefined ? 'not checked yet' : c.error,
    source: e.source, transport: e.config?.transport ?? null, check_id: c?.id ?? null, trigger: c?.trigger ?? null,
    protocol_version: c?.protocol_version ?? null, server_info: c?.server_info ?? null, steps: c?.steps ?? [],
    resources_count: c?.resources_count ?? null, prompts_count: c?.prompts_count ?? null, consecutive_failures: c?.consecutive_failures ?? 0,
    last_seen_at: e.source === 'discovered' ? e.lastSeenAt : null,
  };
}

/** Results of one server's checks with their tool lists (one read per distinct schema hash). */
async function views(mcp: McpHealth, e: RegistryEntry, checks: CheckRecord[], latest: boolean): Promise<z.input<typeof HealthCheckResult>[]> {
  const tools = await mcp.store.tools(e.name, checks.flatMap((c) => (c.schema_hash ? [c.schema_hash] : [])));
  return checks.map((c) => resultView(mcp, e, c, c.schema_hash ? tools.get(c.schema_hash) : undefined, latest));
}

const driftView = (d: DriftRecord): z.input<typeof SchemaDriftView> => ({ ...d });

/**
 * The health routes of langsight-api.txt: the latest result of each server
 * of the project (configured ones checked by src/mcp, discovered ones listed
 * as unknown), one server's latest and its history (newest first,
 * paginated), its schema drift records, and POST /api/health/check, which
 * checks now and answers with the results.
 */
export function mountMcpHealth(router: Router, mcp: McpHealth): void {
  const entry = async (ctx: Context) => {
    const name = serverNameParam(ctx);
    const e = await mcp.registry.find(mcpProject(ctx), name);
    if (e === null) throw notFound(`no MCP server "${name}" in this project (configured or seen in its spans)`);
    return e;
  };

  router.get('/api/health/servers', async (ctx) => {
    const entries = await mcp.registry.list(mcpProject(ctx));
    const checked = entries.filter((e) => e.source === 'config').map((e) => e.name);
    const latest = await mcp.store.latest(checked);
    const out: z.input<typeof HealthCheckResult>[] = [];
    for (const e of entries) {
      const c = e.source === 'config' ? latest.get(e.name) : undefined;
      out.push(...(c ? await views(mcp, e, [c], true) : [resultView(mcp, e, undefined, undefined, true)]));
    }
    ctx.body = out satisfies z.input<typeof HealthCheckList>;
  });

  router.get('/api/health/servers/:name', async (ctx) => {
    const e = await entry(ctx);
    const c = e.source === 'config' ? (await mcp.store.latest([e.name])).get(e.name) : undefined;
    ctx.body = (c ? (await views(mcp, e, [c], true))[0] : resultView(mcp, e, undefined, undefined, true)) satisfies z.input<typeof HealthCheckResult>;
  });

  router.get('/api/health/servers/:name/history', async (ctx) => {
    const e = await entry(ctx);
    const q = parseQuery(ctx, McpHistoryQuery);
    const rows = e.source === 'config' ? await mcp.store.history(e.name, q.limit + 1, q.offset) : [];
    ctx.set('X-Has-More', String(rows.length > q.limit));
    ctx.body = (await views(mcp, e, rows.slice(0, q.limit), false)) satisfies z.input<typeof HealthCheckList>;
  });

  router.get('/api/health/servers/:name/drift', async (ctx) => {
    const e = await entry(ctx);
    const q = parseQuery(ctx, McpHistoryQuery);
    const rows = e.source === 'config' ? await mcp.store.drift(e.name, q.limit + 1, q.offset) : [];
    ctx.set('X-Has-More', String(rows.length > q.limit));
    ctx.body = rows.slice(0, q.limit).map(driftView) satisfies z.input<typeof SchemaDriftList>;
  });

  router.post('/api/health/check', async (ctx) => {
    const projectId = mcpProject(ctx);
    const body = await readJson(ctx, HealthCheckBody, 'health check request');
    const names = await checkable(mcp, projectId, body.server_name);
    const results = await mcp.monitor.checkMany(names, 'request');
    const out: z.input<typeof HealthCheckResult>[] = [];
    for (const r of results) {
      const e: RegistryEntry = { name: r.record.server_name, projectId, source: 'config', config: mcp.registry.server(r.record.server_name)! };
      out.push(resultView(mcp, e, r.record, r.tools ?? undefined, false));
    }
    ctx.body = out satisfies z.input<typeof HealthCheckList>;
  });
}

/** The configured servers a check or scan request names: one (404 unknown, 400 only discovered) or all of the project. */
export async function checkable(mcp: McpHealth, projectId: string, name: string | undefined): Promise<string[]> {
  if (name === undefined) return mcp.registry.configuredIn(projectId).map((s) => s.name);
  const e = await mcp.registry.find(projectId, name);
  if (e === null) throw notFound(`no MCP server "${name}" in this project`);
  if (e.source !== 'config') throw invalid(`MCP server "${name}" is only seen in spans: configure it under mcp.servers (transport and command or url) to check it`, [{ path: 'server_name', message: 'not a configured server' }]);
  return [name];
}
