import type Router from '@koa/router';
import type { Store } from '../../store/index.js';
import type { Pipeline } from '../../pipeline/ingest.js';
import { VERSION } from '../../version.js';
import { describeFault } from '../../store/disk-fault.js';

export interface HealthDeps {
  store: Store;
  pipeline: Pipeline;
  startedAt: number;
  /** False while starting (WAL replay) and while shutting down. */
  ready: () => boolean;
  shuttingDown: () => boolean;
}

/** /api/health (status + store state + WAL lag), /api/liveness, /api/readiness, /api/status. */
export function mountHealth(router: Router, deps: HealthDeps): void {
  const health = () => {
    const { store, pipeline } = deps;
    const failure = store.wal.broken;
    const loader = store.loader.stats;
    const state = deps.shuttingDown() ? 'shutting_down' : failure ? 'failed' : !store.replayed ? 'replaying' : 'open';
    // A WAL fault refuses ingest (state `failed`, readiness 503); a load or seal fault only delays queries and the lake.
    const faults = store.diskFaults();
    const degraded = loader.lastError !== null || loader.quarantinedSpans > 0 || faults.length > 0;
    const status = state === 'open' ? (degraded ? 'degraded' : 'ok') : state === 'failed' ? 'error' : state;
    return {
      status,
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      store: {
        state,
        engine: 'duckdb',
        schemaVersion: store.db.schemaVersion,
        error: failure?.message ?? loader.lastError ?? faults[0]?.message ?? (loader.quarantinedSpans > 0 ? `${loader.quarantinedSpans} WAL line(s) quarantined` : null),
        // Writes the disk refuses now (full, over a size limit, read-only, permission denied): which stage, the errno, since when.
        diskFaults: faults.map(describeFault),
        wal: { lag: store.lag(), queuedSpans: pipeline.queuedSpans },
        loader: {
          loadedSegments: loader.loadedSegments,
          loadedSpans: loader.loadedSpans,
          insertedSpans: loader.insertedSpans,
          lastLoadMs: loader.lastLoadMs,
          quarantinedSegments: loader.quarantinedSegments,
          quarantinedSpans: loader.quarantinedSpans,
        },
        // Lines the loader could not load, kept in wal/quarantine with their reasons (POST /api/storage/quarantine/replay).
        quarantine: {
          files: loader.quarantineFiles,
          spans: loader.quarantinedSpans,
          reasons: [...new Set(store.loader.quarantined.list().flatMap((f) => f.reasons))].slice(0, 5),
        },
      },
      ingest: {
        acceptedSpans: pipeline.counters.acceptedSpans,
        rejectedSpans: pipeline.counters.rejectedSpans,
      },
    };
  };
  router.get('/api/health', (ctx) => {
    ctx.body = health();
  });
  // Deprecated alias kept for langsight clients.
  router.get('/api/status', (ctx) => {
    ctx.body = health();
  });
  router.get('/api/liveness', (ctx) => {
    ctx.body = { status: 'alive' };
  });
  router.get('/api/readiness', (ctx) => {
    const ready = deps.ready();
    ctx.status = ready ? 200 : 503;
    if (!ready) ctx.set('Retry-After', '1');
    ctx.body = { status: ready ? 'ready' : deps.shuttingDown() ? 'shutting_down' : 'starting', replayed: deps.store.replayed };
  });
}
