import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Database } from '../../store/index.js';
import { AGENT_STATUSES, type AgentRecord, type CatalogTable } from '../../analysis/catalog.js';
import { discoveredNames, type DiscoveryCache, type SeenName } from '../../analysis/discovery.js';
import { invalid, notFound } from '../../errors.js';
import { readJson } from '../json-body.js';
import { ProjectQuery, intParam, parseQuery } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';

const first = <T>(...xs: (T | undefined)[]) => xs.find((x) => x !== undefined);

export interface CatalogDeps {
  db: Database;
  catalog: CatalogTable;
  discovery: DiscoveryCache;
}

/** Query of every catalog route (langsight-api.txt; snake_case). */
export const CatalogQuery = ProjectQuery;

export const AgentCatalogListQuery = CatalogQuery.extend({
  limit: intParam(1, 10_000, 1000, 'agents returned, by name'),
  offset: intParam(0, 1_000_000, 0, 'agents skipped'),
});

export const AgentNameParams = z.object({ agent_name: z.string().min(1).max(4096) });

/** PUT /api/agents/metadata/{agent_name}: every field optional; an absent field takes its default (the body replaces the row). */
export const AgentMetadataBody = z.strictObject({
  description: z.string().max(4096).default(''),
  owner: z.string().max(256).default(''),
  tags: z.array(z.string().min(1).max(256)).max(100).default([]),
  status: z.enum(AGENT_STATUSES).default('active'),
  runbook_url: z.string().max(2048).default(''),
});

/** A catalog entry: the stored metadata (null id and times when the agent is only seen in spans) and what the spans say. */
export const AgentCatalogEntry = z.object({
  id: z.string().nullable(),
  agent_name: z.string(),
  project_id: z.string(),
  description: z.string(),
  owner: z.string(),
  tags: z.array(z.string()),
  status: z.enum(AGENT_STATUSES),
  runbook_url: z.string(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  source: z.enum(['manual', 'discover', 'traces']).describe('manual: written by PUT; discover: registered by POST /api/agents/discover; traces: seen in spans, not stored'),
  first_seen_at: z.string().nullable().describe('start of the first stored span naming the agent'),
  last_seen_at: z.string().nullable().describe('start of the last stored span naming the agent'),
  call_count: z.number().int().describe('stored spans naming the agent'),
  error_count: z.number().int().describe('of those, failed'),
});

export const AgentCatalogListResponse = z.array(AgentCatalogEntry).describe('by name; the X-Has-More header says whether more follow');

export const AgentDiscoverResponse = z.object({ discovered: z.number().int(), agents: z.array(z.string()) });
export const ServerDiscoverResponse = z.object({ discovered: z.number().int(), servers: z.array(z.string()) });

function entry(projectId: string, name: string, row: AgentRecord | undefined, seen: SeenName | undefined): z.input<typeof AgentCatalogEntry> {
  return {
    id: row?.id ?? null,
    agent_name: name,
    project_id: projectId,
    description: row?.description ?? '',
    owner: row?.owner ?? '',
    tags: row?.tags ?? [],
    status: row?.status ?? 'active',
    runbook_url: row?.runbook_url ?? '',
    created_at: row?.created_at ?? null,
    updated_at: row?.updated_at ?? null,
    source: row?.source ?? 'traces',
    first_seen_at: seen?.firstSeenAt ?? null,
    last_seen_at: seen?.lastSeenAt ?? null,
    call_count: seen?.callCount ?? 0,
    error_count: seen?.errorCount ?? 0,
  };
}

function agentName(ctx: Context & { params?: Record<string, string> }): string {
  const r = AgentNameParams.safeParse({ agent_name: ctx.params?.agent_name ?? '' });
  if (!r.success) throw invalid('agent_name must be 1-4096 characters', [{ path: 'agent_name', message: 'must be 1-4096 characters' }]);
  return r.data.agent_name;
}

/**
 * The agent catalog (/api/agents/metadata CRUD) and auto-discovery
 * (POST /api/agents/discover, /api/servers/discover) of langsight-api.txt.
 * Every agent the stored spans name is in the catalog list with its first
 * and last seen times and call counts, without a registration step (the
 * ingest path does no catalog work, docs/analysis.md "Catalog and
 * discovery"); the discover routes store a row for each one that has none.
 */
export function mountCatalog(router: Router, deps: CatalogDeps): void {
  const { db, catalog, discovery } = deps;
  const project = (ctx: Context) => {
    const q = parseQuery(ctx, CatalogQuery);
    return first(q.project_id, q.projectId) ?? DEFAULT_PROJECT;
  };
  const seen = (projectId: string) => db.withSnapshot((c) => discoveredNames(c, projectId, discovery));

  router.get('/api/agents/metadata', async (ctx) => {
    const q = parseQuery(ctx, AgentCatalogListQuery);
    const projectId = first(q.project_id, q.projectId) ?? DEFAULT_PROJECT;
    const [rows, found] = await Promise.all([catalog.agents(projectId), seen(projectId)]);
    const byName = new Map(rows.map((r) => [r.agent_name, r]));
    const names = [...new Set([...byName.keys(), ...found.agents.keys()])].sort();
    ctx.set('X-Has-More', String(names.length > q.offset + q.limit));
    ctx.body = names.slice(q.offset, q.offset + q.limit)
      .map((n) => entry(projectId, n, byName.get(n), found.agents.get(n))) satisfies z.input<typeof AgentCatalogListResponse>;
  });

  router.get('/api/agents/metadata/:agent_name', async (ctx) => {
    const projectId = project(ctx);
    const name = agentName(ctx);
    const [row, found] = await Promise.all([catalog.agent(projectId, name), seen(projectId)]);
    const s = found.agents.get(name);
    if (row === null && s === undefined) throw notFound(`no metadata for agent "${name}"`);
    ctx.body = entry(projectId, name, row ?? undefined, s);
  });

  router.put('/api/agents/metadata/:agent_name', async (ctx) => {
    const projectId = project(ctx);
    const name = agentName(ctx);
    const body = await readJson(ctx, AgentMetadataBody, 'agent metadata');
    const { record } = await catalog.putAgent(projectId, name, body);
    ctx.body = entry(projectId, name, record, (await seen(projectId)).agents.get(name));
  });

  router.delete('/api/agents/metadata/:agent_name', async (ctx) => {
    const projectId = project(ctx);
    const name = agentName(ctx);
    if (!(await catalog.deleteAgent(projectId, name))) throw notFound(`no metadata for agent "${name}"`);
    ctx.status = 204;
  });

  router.post('/api/agents/discover', async (ctx) => {
    const projectId = project(ctx);
    const agents = await catalog.register('agent', projectId, [...(await seen(projectId)).agents.keys()]);
    ctx.body = { discovered: agents.length, agents } satisfies z.input<typeof AgentDiscoverResponse>;
  });

  router.post('/api/servers/discover', async (ctx) => {
    const projectId = project(ctx);
    const servers = await catalog.register('server', projectId, [...(await seen(projectId)).servers.keys()]);
    ctx.body = { discovered: servers.length, servers } satisfies z.input<typeof ServerDiscoverResponse>;
  });
}
