import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { LookspanConfig } from './config/index.js';
import { createCostModel } from './enrich/cost.js';
import { Pipeline } from './pipeline/ingest.js';
import { Store } from './store/index.js';
import { OtlpGrpcReceiver } from './receivers/otlp-grpc.js';
import { mountOtlpHttp } from './receivers/otlp-http.js';
import { LogPipeline } from './pipeline/logs.js';
import { mountOtlpLogsHttp } from './receivers/otlp-logs-http.js';
import { LOGS_EXPORT_METHOD, LOGS_SERVICE, logsExportHandler } from './receivers/otlp-logs-grpc.js';
import { mountNativeIngest } from './receivers/native/routes.js';
import { createApp } from './api/app.js';
import { installClientErrorHandler } from './api/client-error.js';
import { HttpMetrics } from './api/http-metrics.js';
import { mountHealth } from './api/routes/health.js';
import { mountTraces, DEFAULT_PROJECT } from './api/routes/traces.js';
import { mountSessions } from './api/routes/sessions.js';
import { mountAgents } from './api/routes/agents.js';
import { mountCatalog } from './api/routes/catalog.js';
import { CatalogTable } from './analysis/catalog.js';
import { DiscoveryCache } from './analysis/discovery.js';
import { mountMetrics } from './api/routes/metrics.js';
import { GenAiObserver, GRPC_EXPORT_METHOD, LookspanMetrics, StoredSpanCount } from './metrics/index.js';
import { mountModelPrices } from './api/routes/model-prices.js';
import { mountCosts } from './api/routes/costs.js';
import { mountStats } from './api/routes/stats.js';
import { mountSlos } from './api/routes/slos.js';
import { mountReliability } from './api/routes/reliability.js';
import { mountExport } from './api/routes/export.js';
import { SloTable } from './store/slos.js';
import { mountStorage } from './api/routes/storage.js';
import { ModelPriceTable } from './store/model-prices.js';
import { LiveHub } from './live/hub.js';
import { mountLive } from './api/routes/live.js';
import { openAlerting } from './alerts/index.js';
import { analysisSources } from './alerts/sources.js';
import { mountAlerts } from './api/routes/alerts.js';
import { mountPrevention } from './api/routes/prevention.js';
import { openMcpHealth, sessionsUsingTools, type McpHealth } from './mcp/index.js';
import { mountMcpHealth } from './api/routes/mcp-health.js';
import { mountSecurity } from './api/routes/security.js';
import type Router from '@koa/router';
import { AccessControl } from './access/index.js';
import { accessMiddleware } from './access/middleware.js';
import { GrpcAccess } from './access/grpc.js';
import { liveAccess } from './access/live.js';
import { mountAuth } from './api/routes/auth.js';
import { mountKeys } from './api/routes/keys.js';
import { mountProjects } from './api/routes/projects.js';
import { mountUsers } from './api/routes/users.js';
import { mountSettings } from './api/routes/settings.js';
import { mountAudit } from './api/routes/audit.js';
import { mountOpenApi } from './api/routes/openapi.js';
import { mountUi } from './api/routes/ui.js';
import { openEvals } from './evals/index.js';
import { mountScores } from './api/routes/scores.js';
import { mountReplay } from './api/routes/replay.js';
import { mountJudge } from './api/routes/judge.js';
import { mountDatasets } from './api/routes/datasets.js';
import { mountRuns } from './api/routes/runs.js';

export interface RunningLookspan {
  httpUrl: string;
  grpcAddress: string;
  httpPort: number;
  grpcPort: number;
  store: Store;
  pipeline: Pipeline;
  /** The logs signal's pipeline (admission, decode, its own WAL). */
  logs: LogPipeline;
  /** Access control (keys, projects, users, settings, audit). */
  access: AccessControl;
  /** MCP server health checks, drift and the security scan (src/mcp). */
  mcp: McpHealth;
  /** The HTTP router (the route-role table's test enumerates it). */
  router: Router;
  /** Every gRPC method path served (`/package.Service/Method`). */
  grpcMethodPaths(): string[];
  /** Graceful stop; safe to call twice. */
  stop(): Promise<void>;
  /** What a stop in progress is doing and still waits for (for the shutdown deadline's log line). */
  pending(): ShutdownPending;
  /**
   * Last resort when a stop overruns its deadline: interrupts the DuckDB
   * statements in flight (a segment load, the closing checkpoint, API reads),
   * which `process.exit` would otherwise wait for, since Node joins its thread
   * pool on exit. A rolled-back load stays in the WAL and is loaded at the next start.
   */
  abort(): void;
}

export interface ShutdownPending {
  /** The step of the stop in progress ('running' before it starts). */
  step: string;
  /** HTTP requests not yet answered (bodies still arriving included). */
  httpRequests: number;
  /** Spans admitted and waiting for the WAL fsync (their requests are not acknowledged yet). */
  spansAwaitingFsync: number;
  /** WAL segments, spans and bytes durable but not yet loaded into DuckDB (kept on disk, loaded at the next start). */
  walSegments: number;
  walSpans: number;
  walBytes: number;
}

/**
 * The composition root: builds every stage from the config and wires them
 * in the one direction of the data flow (receivers → pipeline → store;
 * api reads the store). Nothing here is a module-level singleton.
 */
export async function startLookspan(config: LookspanConfig, log: Logger = pino({ level: config.log.level })): Promise<RunningLookspan> {
  const startedAt = Date.now();
  let shuttingDown = false;
  const store = await Store.open({
    dataDir: config.storage.dataDir,
    duckdbMemoryLimit: config.storage.duckdbMemoryLimit,
    duckdbThreads: config.storage.duckdbThreads,
    ...(config.storage.lakeDir ? { lakeDir: path.resolve(config.storage.lakeDir) } : {}),
    replica: config.storage.replica,
    mirror: config.storage.mirror,
    sealIdleSeconds: config.storage.sealIdleSeconds,
    sealIntervalSeconds: config.storage.sealIntervalSeconds,
    hotMaxRows: config.storage.hotMaxRows,
    hotMaxAgeSeconds: config.storage.hotMaxAgeSeconds,
    retentionDays: config.storage.retentionDays,
    retentionByProject: config.storage.retentionByProject,
    commitDelayMs: config.pipeline.commitDelayMs,
    segmentMaxBytes: config.pipeline.segmentMaxBytes,
    segmentMaxAgeMs: config.pipeline.segmentMaxAgeMs,
  }, log);

  // One registry per server (several run in one test process); the WAL and loader report into it.
  const metrics = new LookspanMetrics();
  const storedSpans = new StoredSpanCount(store.db.instance);
  store.wal.onFsync = (seconds) => {
    metrics.walFsyncs.inc();
    metrics.walFsyncDuration.observe(seconds);
  };
  store.loader.observeLoads((seconds) => metrics.storeLoadDuration.observe(seconds));

  // Refuses to start here (an open server on a non-loopback address) before any port is bound.
  let access: AccessControl;
  try {
    access = await AccessControl.open(config, store.db.instance, log);
  } catch (err) {
    await store.close(Date.now());
    throw err;
  }
  const costs = createCostModel();
  const modelPrices = await ModelPriceTable.open(store.db.instance);
  const catalog = await CatalogTable.open(store.db.instance);
  costs.setOverrides(await modelPrices.list());
  const pipeline = new Pipeline(
    {
      append: (buf, spans) => store.wal.append(buf, spans),
      unloadedBytes: () => store.lag().bytes,
      failure: () => store.wal.broken,
    },
    costs,
    {
      queueMaxSpans: config.pipeline.queueMaxSpans,
      walMaxUnloadedBytes: config.pipeline.walMaxUnloadedBytes,
      retryAfterSeconds: config.pipeline.retryAfterSeconds,
      maxConcurrentRequests: config.pipeline.maxConcurrentRequests,
      semconv: { payloadMaxBytes: config.limits.payloadMaxBytes },
      defaultProjectId: DEFAULT_PROJECT,
      spanLimits: config.limits,
      redactPayloads: access.settings.redactPayloads,
      projectResourceAttribute: config.auth.projectResourceAttribute,
    },
    metrics.ingest,
  );
  pipeline.onAccepted(new GenAiObserver(metrics.genai).observe);
  // Fed after the WAL fsync (a client never sees a span a crash could lose); it only queues, so the ack is not delayed.
  const live = new LiveHub(config.live, liveAccess(access), log);
  pipeline.onAccepted(live.broadcaster.acceptSpans);
  // Alert rules, deliveries and the prevention engine (also fed after the fsync, also only queueing there).
  const alerting = await openAlerting(store.db.instance, config.alerts, live.broadcaster, analysisSources(store.db.instance, config.analysis.anomalies), log);
  pipeline.onAccepted(alerting.engine.acceptSpans);
  // Active MCP server checks (src/mcp): their results feed the same alerts, live events and session tags as the passive health.
  const mcp = await openMcpHealth(store.db.instance, store.db, config.mcp, {
    alerts: alerting.alerter,
    broadcaster: live.broadcaster,
    metrics: { checks: metrics.healthChecks, duration: metrics.healthCheckDuration },
    sessionsUsing: (server, tools, fromUs, toUs) => sessionsUsingTools(store.db, server, tools, fromUs, toUs),
    tagSession: (s, detail) => alerting.prevention.tagSessionIfUntagged({
      project_id: s.project_id, session_id: s.session_id, health_tag: 'schema_drift', rule: 'schema_drift', agent_name: s.agent_name, detail,
    }),
  }, log);
  // Evaluations (src/evals): providers from `evals`, their tables, the run scheduler; their own calls are traced through the pipeline.
  const evals = await openEvals({ instance: store.db.instance, db: store.db, config, costs, sink: pipeline, log });
  metrics.bind({
    queuedSpans: () => pipeline.queuedSpans,
    walLag: () => store.lag(),
    loader: () => store.loader.stats,
    spanLimits: () => pipeline.counters.spanLimits.byLimit,
    storedSpans: () => storedSpans.get(),
    diskFaults: () => store.faultStates(),
    lakeMirror: () => store.mirrorCounters(),
    live: () => live.stats(),
    alerts: () => alerting.stats(),
  });
  // The logs signal: its own pipeline into its own WAL (src/store/logs), beside the spans' one.
  const logPipeline = new LogPipeline(
    { append: (buf, records) => store.logs.wal.append(buf, records), unloadedBytes: () => store.logs.lag().bytes, failure: () => store.logs.wal.broken },
    {
      queueMaxRecords: config.pipeline.queueMaxSpans,
      maxConcurrentRequests: config.pipeline.maxConcurrentRequests,
      walMaxUnloadedBytes: config.pipeline.walMaxUnloadedBytes,
      retryAfterSeconds: config.pipeline.retryAfterSeconds,
      semconv: { payloadMaxBytes: config.limits.payloadMaxBytes },
      limits: { maxAttributeDepth: config.limits.maxAttributeDepth },
      defaultProjectId: DEFAULT_PROJECT,
      recordLimits: config.limits,
      storeOtherEvents: config.logs.storeOtherEvents,
      redactPayloads: access.settings.redactPayloads,
    },
    metrics.logs,
  );
  metrics.logs.bind({
    queuedRecords: () => logPipeline.queuedRecords,
    walLag: () => store.logs.lag(),
    insertedRecords: () => store.logs.loader.stats.insertedSpans,
  });

  const httpMetrics = new HttpMetrics(metrics.http);
  const { app, router } = createApp(log, httpMetrics);
  // While draining, tell keep-alive clients to reconnect elsewhere so the server can close.
  app.use(async (ctx, next) => {
    if (shuttingDown) ctx.set('Connection', 'close');
    await next();
  });
  const limits = {
    maxBodyBytes: config.limits.maxBodyBytes,
    maxDecompressedBytes: config.limits.maxDecompressedBytes,
    maxAttributeDepth: config.limits.maxAttributeDepth,
    payloadMaxBytes: config.limits.payloadMaxBytes,
    maxJsonDepth: config.limits.maxJsonDepth,
  };
  const ready = () => store.replayed && !shuttingDown && !store.wal.broken;
  mountOtlpHttp(router, { pipeline, limits });
  mountOtlpLogsHttp(router, { pipeline: logPipeline, limits });
  mountNativeIngest(router, { pipeline, limits });
  mountHealth(router, { store, pipeline, startedAt, ready, shuttingDown: () => shuttingDown });
  mountTraces(router, store.db);
  mountSessions(router, store.db);
  mountAgents(router, store.db);
  mountCatalog(router, { db: store.db, catalog, discovery: new DiscoveryCache() });
  mountCosts(router, store.db);
  mountStats(router, store.db);
  mountSlos(router, { table: new SloTable(store.db.instance), db: store.db });
  mountReliability(router, { db: store.db, anomalies: config.analysis.anomalies });
  mountExport(router, { db: store.db, dir: path.join(config.storage.dataDir, 'exports') });
  mountMetrics(router, metrics);
  mountModelPrices(router, { table: modelPrices, costs });
  mountStorage(router, { store });
  mountLive(router, live);
  mountAlerts(router, { ...alerting, policy: config.alerts.outbound });
  mountPrevention(router, alerting.prevention);
  mountMcpHealth(router, mcp);
  mountSecurity(router, mcp);
  mountScores(router, evals);
  mountReplay(router, evals);
  mountJudge(router, evals);
  mountDatasets(router, evals);
  mountRuns(router, evals);
  mountAuth(router, access);
  mountKeys(router, access);
  mountProjects(router, access);
  mountUsers(router, access);
  mountSettings(router, access);
  mountAudit(router, access);
  mountOpenApi(router);
  // The dashboard last: its pages are listed one by one and never answer an API path.
  mountUi(router);
  // Ahead of the router: every route needs the role src/access/route-roles.ts gives it.
  app.use(accessMiddleware(access, router));
  app.use(router.routes()).use(router.allowedMethods());

  const grpcAccess = new GrpcAccess(access);
  const grpcReceiver = new OtlpGrpcReceiver(pipeline, {
    host: config.server.host,
    port: config.server.grpcPort,
    maxReceiveBytes: config.limits.grpcMaxReceiveBytes,
    decode: { maxAttributeDepth: config.limits.maxAttributeDepth },
    onExport: (code, seconds) => metrics.grpcRequestDuration.observe({ method: GRPC_EXPORT_METHOD, code }, seconds),
    access: grpcAccess,
  }, log);
  grpcReceiver.addExportService(LOGS_SERVICE, logsExportHandler(logPipeline, log, {
    onExport: (code, seconds) => metrics.grpcRequestDuration.observe({ method: LOGS_EXPORT_METHOD, code }, seconds),
    scopeOf: (metadata) => grpcAccess.scopeOf(metadata),
  }), () => logPipeline.admit('otlp_grpc', 'otlp_grpc'));

  const server = http.createServer(app.callback());
  installClientErrorHandler(server);
  live.attach(server);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 120_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.server.httpPort, config.server.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await grpcReceiver.start();
  } catch (err) {
    server.close();
    modelPrices.close();
    catalog.close();
    await mcp.close();
    await evals.close();
    await alerting.close();
    await access.close();
    await store.close(Date.now());
    throw err;
  }
  store.waitReplayed().then(() => grpcReceiver.setServing(ready()), () => {});
  mcp.start();

  const httpPort = (server.address() as AddressInfo).port;
  const grpcPort = grpcReceiver.boundPort;
  const hostForUrl = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const httpUrl = `http://${hostForUrl}:${httpPort}`;
  const grpcAddress = `${hostForUrl}:${grpcPort}`;
  log.info({ http: httpUrl, grpc: grpcAddress, dataDir: config.storage.dataDir }, `Lookspan listening: HTTP ${httpUrl}  gRPC ${grpcAddress}`);

  let step = 'running';
  const inFlight = new Set<http.ServerResponse>();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  const pending = (): ShutdownPending => {
    const lag = store.lag();
    return {
      step,
      httpRequests: inFlight.size,
      spansAwaitingFsync: pipeline.queuedSpans,
      walSegments: lag.segments,
      walSpans: lag.spans,
      walBytes: lag.bytes,
    };
  };
  const abort = () => {
    store.db.writer.interrupt();
    store.db.reader.interrupt();
  };

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      const deadline = Date.now() + config.server.shutdownTimeoutSeconds * 1000 - 1000;
      shuttingDown = true;
      // Live streams never end by themselves: closed first so the HTTP server can drain.
      live.close();
      step = 'finishing HTTP and gRPC requests';
      // New requests get 503 + Retry-After; those already admitted finish and are acknowledged after fsync.
      pipeline.close();
      logPipeline.close();
      grpcReceiver.setServing(false);
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = Math.max(500, (deadline - Date.now()) / 3);
      // Resolves by the grace at the latest: grpc-js's tryShutdown waits for every client to
      // go away, so the receiver forces the shutdown then.
      const grpcStopped = grpcReceiver.stop(grace);
      let graceTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([httpClosed, grpcStopped]),
        new Promise((r) => { graceTimer = setTimeout(r, grace); }),
      ]);
      clearTimeout(graceTimer);
      // Past the grace, sockets still open are cut (keep-alive clients, bodies that never
      // complete); nothing was acknowledged on them. Requests waiting for the fsync still
      // complete in the WAL close below.
      server.closeAllConnections();
      await grpcStopped;
      // API reads whose clients are gone must not hold up closing DuckDB.
      store.db.reader.interrupt();
      modelPrices.close();
      catalog.close();
      // Before alerting: running checks are ended (their stdio processes killed) and their alerts recorded.
      await mcp.close();
      // Runs in progress are marked interrupted while DuckDB is still open.
      await evals.close();
      await alerting.close();
      await access.close();
      await storedSpans.close();
      await store.close(deadline, (s) => { step = s; });
      step = 'stopped';
      log.info('Lookspan stopped');
    })();
    return stopping;
  };

  return {
    httpUrl, grpcAddress, httpPort, grpcPort, store, pipeline, logs: logPipeline, access, mcp, router, grpcMethodPaths: () => grpcReceiver.methodPaths(), stop, pending, abort,
  };
}
