import type Router from '@koa/router';
import { z } from 'zod';
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

const int = () => z.number().int();

/** GET /api/health and its alias /api/status (camelCase). */
export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded', 'error', 'replaying', 'shutting_down'])
    .describe('ok; degraded (a load or seal fault, quarantined lines, a disk fault); error (the WAL refuses writes); replaying; shutting_down'),
  version: z.string(),
  uptimeSeconds: int(),
  store: z.object({
    state: z.enum(['open', 'failed', 'replaying', 'shutting_down']),
    engine: z.literal('duckdb'),
    schemaVersion: int().describe('the last DuckDB migration applied'),
    error: z.string().nullable(),
    diskFaults: z.array(z.object({
      stage: z.string(), operation: z.string(), code: z.string().nullable(), message: z.string(),
      since: z.string(), lastFailureAt: z.string(), failures: int(), retryAt: z.string(),
    })).describe('writes the disk refuses now: which stage, the errno, since when'),
    wal: z.object({
      lag: z.object({ bytes: int(), spans: int(), segments: int(), oldestAgeSeconds: z.number() }).describe('acknowledged but not yet loaded'),
      queuedSpans: int(),
    }),
    loader: z.object({
      loadedSegments: int(), loadedSpans: int(), insertedSpans: int(), lastLoadMs: z.number().nullable(),
      quarantinedSegments: int(), quarantinedSpans: int(),
    }),
    quarantine: z.object({ files: int(), spans: int(), reasons: z.array(z.string()) }),
  }),
  ingest: z.object({ acceptedSpans: int(), rejectedSpans: int() }),
});

export const LivenessResponse = z.object({ status: z.literal('alive') });
export const ReadinessResponse = z.object({ status: z.enum(['ready', 'starting', 'shutting_down']), replayed: z.boolean() });

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
    } satisfies z.input<typeof HealthResponse>;
  };
  router.get('/api/health', (ctx) => {
    ctx.body = health();
  });
  // Deprecated alias kept for langsight clients.
  router.get('/api/status', (ctx) => {
    ctx.body = health();
  });
  router.get('/api/liveness', (ctx) => {
    ctx.body = { status: 'alive' } satisfies z.input<typeof LivenessResponse>;
  });
  router.get('/api/readiness', (ctx) => {
    const ready = deps.ready();
    ctx.status = ready ? 200 : 503;
    if (!ready) ctx.set('Retry-After', '1');
    ctx.body = { status: ready ? 'ready' : deps.shuttingDown() ? 'shutting_down' : 'starting', replayed: deps.store.replayed } satisfies z.input<typeof ReadinessResponse>;
  });
}
