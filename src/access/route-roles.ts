import type { RouteAccess } from './roles.js';

/**
 * THE table of what every route needs. One entry per route, keyed exactly
 * as the route is registered: `METHOD /path` with the Koa path pattern
 * (`GET /api/traces/:traceId`), or `grpc /package.Service/Method` for gRPC.
 *
 * How to add a route: add its line here, next to its neighbours, choosing
 *   OPEN             probes, scrapes and the login steps (no credential)
 *   ANY_KEY          any valid credential, any role (ingest keys included)
 *   VIEWER           reads: GET routes over a project's data
 *   INGEST           span and log writes (collectors, SDKs)
 *   ADMIN            changes within a project (config, rules, metadata)
 *   INSTANCE_VIEWER  reads that span every project (credentials bound to no project only)
 *   INSTANCE_ADMIN   changes that span every project (users, storage, prices)
 *   STREAM           SSE / WebSocket reads: VIEWER, and a `?ticket=` is accepted in the URL
 * and `audited(X, 'thing.changed')` to name the audit action of a mutation
 * (otherwise it is recorded as `api.<method>`).
 *
 * test/access/route-roles.test.ts enumerates every route registered on the
 * Koa router and every gRPC method and fails when one is missing here (or
 * when an entry here names no route). A route missing at run time is
 * treated as INSTANCE_ADMIN: closed rather than open.
 *
 * The project a request acts on is decided once, in src/access/middleware.ts,
 * for every route in this table: a key bound to a project acts on that
 * project only (naming another is a 403), and routes read it from the
 * `project_id` / `projectId` query parameters, which the middleware sets to
 * that project whenever the credential is bound or the request named one
 * (or from accessOf(ctx).project, which is always set).
 */
const OPEN: RouteAccess = { need: 'open' };
const ANY_KEY: RouteAccess = { need: 'authenticated' };
const VIEWER: RouteAccess = { need: 'viewer' };
const INGEST: RouteAccess = { need: 'ingest' };
const ADMIN: RouteAccess = { need: 'admin' };
const INSTANCE_VIEWER: RouteAccess = { need: 'viewer', instance: true };
const INSTANCE_ADMIN: RouteAccess = { need: 'admin', instance: true };
const STREAM: RouteAccess = { need: 'viewer', ticket: true };
const audited = (access: RouteAccess, action: string): RouteAccess => ({ ...access, audit: action });

export const ROUTE_ROLES: Readonly<Record<string, RouteAccess>> = {
  // Probes and the scrape endpoint stay open, as both references say (/api/status: the deprecated alias of /api/health).
  'GET /api/health': OPEN,
  'GET /api/status': OPEN,
  'GET /api/liveness': OPEN,
  'GET /api/readiness': OPEN,
  'GET /metrics': OPEN,
  // The API's description and its reference page describe routes, not data.
  'GET /openapi.json': OPEN,
  'GET /docs': OPEN,
  'GET /docs/:asset': OPEN,
  // The dashboard (src/api/routes/ui.ts): its pages and files hold no data; the key is entered in the page and sent to the API.
  'GET /': OPEN,
  'GET /live': OPEN,
  'GET /traces': OPEN,
  'GET /traces/:traceId': OPEN,
  'GET /sessions': OPEN,
  'GET /sessions/:sessionId': OPEN,
  'GET /costs': OPEN,
  'GET /servers': OPEN,
  'GET /alerts': OPEN,
  'GET /settings': OPEN,
  'GET /assets/:file': OPEN,

  // Ingest: OTLP/HTTP, native JSON.
  'POST /v1/traces': INGEST,
  'POST /api/traces/otlp': INGEST,
  'POST /api/ingest': INGEST,
  'POST /api/traces/spans': INGEST,
  'POST /v1/logs': INGEST,

  // Traces and spans.
  'GET /api/traces': VIEWER,
  'GET /api/traces/spans': VIEWER,
  'GET /api/traces/:traceId': VIEWER,

  // Sessions, lineage and the agent catalog (src/api/routes/{sessions,agents,catalog}.ts).
  'GET /api/sessions': VIEWER,
  'GET /api/sessions/:id': VIEWER,
  'GET /api/agents/sessions': VIEWER,
  'GET /api/agents/sessions/:session_id': VIEWER,
  'GET /api/agents/lineage': VIEWER,
  'GET /api/agents/metadata': VIEWER,
  'GET /api/agents/metadata/:agent_name': VIEWER,
  'PUT /api/agents/metadata/:agent_name': audited(ADMIN, 'agent_metadata.updated'),
  'DELETE /api/agents/metadata/:agent_name': audited(ADMIN, 'agent_metadata.deleted'),
  'POST /api/agents/discover': audited(ADMIN, 'agents.discovered'),
  'POST /api/servers/discover': audited(ADMIN, 'servers.discovered'),

  // Costs, stats, reliability, SLOs, exports.
  'GET /api/costs/summary': VIEWER,
  'GET /api/costs/breakdown': VIEWER,
  'GET /api/stats': VIEWER,
  'GET /api/reliability/anomalies': VIEWER,
  'GET /api/export/traces': VIEWER,
  'GET /api/slos': VIEWER,
  'GET /api/slos/status': VIEWER,
  'POST /api/slos': audited(ADMIN, 'slo.created'),
  'PATCH /api/slos/:slo_id': audited(ADMIN, 'slo.updated'),
  'DELETE /api/slos/:slo_id': audited(ADMIN, 'slo.deleted'),

  // Model price overrides apply to every project's costs.
  'GET /api/costs/models': VIEWER,
  'POST /api/costs/models': audited(INSTANCE_ADMIN, 'model_pricing.updated'),
  'PATCH /api/costs/models/:model_id': audited(INSTANCE_ADMIN, 'model_pricing.updated'),
  'DELETE /api/costs/models/:model_id': audited(INSTANCE_ADMIN, 'model_pricing.updated'),

  // Storage administration covers every project's partitions and the WAL.
  'GET /api/storage': INSTANCE_VIEWER,
  'POST /api/storage/seal': audited(INSTANCE_ADMIN, 'storage.sealed'),
  'POST /api/storage/compact': audited(INSTANCE_ADMIN, 'storage.compacted'),
  'POST /api/storage/retention': audited(INSTANCE_ADMIN, 'storage.retention'),
  'GET /api/storage/quarantine': INSTANCE_ADMIN,
  'POST /api/storage/quarantine/replay': audited(INSTANCE_ADMIN, 'storage.quarantine_replayed'),

  // Access control itself (src/api/routes/{auth,keys,projects,users,settings,audit}.ts).
  'POST /api/auth/ticket': VIEWER,
  'GET /api/auth/whoami': ANY_KEY,
  'POST /api/auth/logout': audited(ANY_KEY, 'user.logout'),
  'GET /api/keys': ADMIN,
  'POST /api/keys': audited(ADMIN, 'api_key.created'),
  'DELETE /api/keys/:key_id': audited(ADMIN, 'api_key.revoked'),
  'GET /api/projects': VIEWER,
  'POST /api/projects': audited(INSTANCE_ADMIN, 'project.created'),
  'GET /api/projects/:project_id': VIEWER,
  'PATCH /api/projects/:project_id': audited(ADMIN, 'project.updated'),
  'DELETE /api/projects/:project_id': audited(INSTANCE_ADMIN, 'project.deleted'),
  'GET /api/users': INSTANCE_ADMIN,
  'POST /api/users/invite': audited(INSTANCE_ADMIN, 'user.invited'),
  'POST /api/users/accept-invite': audited(OPEN, 'user.invite_accepted'),
  'POST /api/users/verify': audited(OPEN, 'user.login'),
  'PATCH /api/users/:user_id/role': audited(INSTANCE_ADMIN, 'user.role_changed'),
  'DELETE /api/users/:user_id': audited(INSTANCE_ADMIN, 'user.deactivated'),
  'GET /api/settings': ANY_KEY,
  'PUT /api/settings': audited(ADMIN, 'settings.updated'),
  'GET /api/audit/logs': ADMIN,

  // Live streams (src/api/routes/live.ts; the WebSocket is served on the upgrade event, src/access/live.ts).
  'GET /api/stream': STREAM,
  'GET /api/live/events': STREAM,
  'GET /api/live': STREAM,
  // Alerts (src/api/routes/alerts.ts): the config reveals the Slack webhook URL, a credential, so reading it is admin.
  'GET /api/alerts': VIEWER,
  'GET /api/alerts/config': ADMIN,
  'POST /api/alerts/config': audited(ADMIN, 'alerts.config_saved'),
  'POST /api/alerts/test': audited(ADMIN, 'alerts.tested'),
  'GET /api/alerts/rules': VIEWER,
  'POST /api/alerts/rules': audited(ADMIN, 'alerts.rule_created'),
  'GET /api/alerts/rules/:rule_id': VIEWER,
  'PATCH /api/alerts/rules/:rule_id': audited(ADMIN, 'alerts.rule_updated'),
  'DELETE /api/alerts/rules/:rule_id': audited(ADMIN, 'alerts.rule_deleted'),
  'POST /api/alerts/evaluate': INSTANCE_ADMIN,
  // Prevention (src/api/routes/prevention.ts).
  'GET /api/agents/:name/prevention-config': VIEWER,
  'PUT /api/agents/:name/prevention-config': audited(ADMIN, 'prevention.config_saved'),
  'DELETE /api/agents/:name/prevention-config': audited(ADMIN, 'prevention.config_deleted'),
  'GET /api/projects/:project_id/prevention-config': VIEWER,
  'PUT /api/projects/:project_id/prevention-config': audited(ADMIN, 'prevention.config_saved'),
  'DELETE /api/projects/:project_id/prevention-config': audited(ADMIN, 'prevention.config_deleted'),
  'GET /api/prevention/sessions': VIEWER,
  // MCP server health and the security scan (src/api/routes/{mcp-health,security}.ts): a check or scan starts the
  // configured servers' processes or connects to them, so it is a change; reading results is a project read.
  'GET /api/health/servers': VIEWER,
  'GET /api/health/servers/:name': VIEWER,
  'GET /api/health/servers/:name/history': VIEWER,
  'GET /api/health/servers/:name/drift': VIEWER,
  'POST /api/health/check': audited(ADMIN, 'mcp.health_checked'),
  'POST /api/security/scan': audited(ADMIN, 'mcp.security_scanned'),
  'GET /api/security/scans': VIEWER,
  'GET /api/security/rules': VIEWER,
  // Evaluations (src/api/routes/{scores,replay,judge,datasets,runs}.ts): a replay, a judgement or a run calls a paid provider.
  'POST /api/traces/:traceId/scores': audited(ADMIN, 'score.saved'),
  'POST /api/traces/:traceId/replay': audited(ADMIN, 'trace.replayed'),
  'GET /api/traces/:traceId/replays': VIEWER,
  'POST /api/traces/:traceId/judge': audited(ADMIN, 'trace.judged'),
  'GET /api/datasets': VIEWER,
  'POST /api/datasets': audited(ADMIN, 'dataset.created'),
  'GET /api/datasets/:id': VIEWER,
  'POST /api/datasets/:id/items': audited(ADMIN, 'dataset.items_added'),
  'POST /api/datasets/:id/items/from-trace': audited(ADMIN, 'dataset.items_added'),
  'POST /api/datasets/:id/run': audited(ADMIN, 'dataset.run_started'),
  'GET /api/runs/:id': VIEWER,
  // gRPC: the OTLP trace service and grpc.health.v1 (probes, open like /api/readiness).
  'grpc /opentelemetry.proto.collector.trace.v1.TraceService/Export': INGEST,
  'grpc /opentelemetry.proto.collector.logs.v1.LogsService/Export': INGEST,
  'grpc /grpc.health.v1.Health/Check': OPEN,
  'grpc /grpc.health.v1.Health/Watch': OPEN,
  'grpc /grpc.health.v1.Health/List': OPEN,
};

/** What a route key needs; unknown routes are closed (INSTANCE_ADMIN). */
export function routeAccess(key: string): RouteAccess {
  return ROUTE_ROLES[key] ?? INSTANCE_ADMIN;
}

/** The table key of a gRPC method path (`/package.Service/Method`). */
export const grpcRouteKey = (methodPath: string) => `grpc ${methodPath}`;
