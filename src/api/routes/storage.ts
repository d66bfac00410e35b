import type Router from '@koa/router';
import { z } from 'zod';
import type { Store } from '../../store/index.js';
import { flagParam, parseQuery } from '../params.js';

const int = () => z.number().int();
const hotRows = z.object({ spans: int(), traces: int(), logs: int() });
const partition = z.object({
  kind: z.string().describe('spans, traces or logs'), projectId: z.string(), date: z.string().describe('YYYY-MM-DD (UTC)'),
  files: int(), rows: int(), bytes: int(),
});
const counts = z.object({ files: int(), bytes: int() });

/** GET /api/storage (camelCase): the lake, its partitions, the last seal and compaction, retention and the object-storage mirror. */
export const StorageStatsResponse = z.object({
  schemaVersion: int().describe('the lake layout version'),
  replica: z.string().describe('this replica id (files it writes are named after it)'),
  hot: hotRows.describe('rows not yet sealed into Parquet'),
  partitions: z.array(partition),
  lastSeal: z.object({ seq: int(), at: z.string(), durationMs: z.number(), traces: int(), spans: int(), files: int() }).nullable(),
  lastCompaction: z.object({ seq: int(), at: z.string(), durationMs: z.number(), partitions: int(), filesBefore: int(), filesAfter: int() }).nullable(),
  retentionDays: int(),
  retentionByProject: z.record(z.string(), int()),
  missingFiles: z.array(z.string()).describe('files the catalog names but the disk no longer holds (left out of every query)'),
  mirror: z.object({
    enabled: z.boolean(),
    target: z.object({ bucket: z.string(), prefix: z.string(), endpoint: z.string(), region: z.string() }).optional(),
    pending: counts.optional(),
    uploaded: counts.optional(),
    inFlight: int().optional(),
    failing: int().optional(),
    awaitingDelete: int().optional(),
    session: z.object({ uploadedFiles: int(), uploadedBytes: int(), deletedObjects: int(), failures: int() }).optional(),
    lastUploadAt: z.string().nullable().optional(),
    lastError: z.object({ path: z.string(), op: z.enum(['upload', 'delete']), message: z.string(), at: z.string(), attempts: int() }).nullable().optional(),
  }),
});

export const SealResponse = z.object({
  sealed: z.object({ seq: int(), traces: int(), spans: int(), logs: int(), files: int(), bytes: int(), durationMs: z.number() })
    .nullable().describe('null when nothing was hot'),
  storage: StorageStatsResponse,
});

export const CompactResponse = z.object({
  compacted: z.object({ partitions: int(), filesBefore: int(), filesAfter: int(), rowsRemoved: int(), durationMs: z.number() }),
  storage: StorageStatsResponse,
});

export const RetentionQuery = z.object({ dryRun: flagParam('only report what would be dropped') });

export const RetentionResponse = z.object({
  dryRun: z.boolean(),
  retentionDays: int().describe('the global days (projects without an override); 0 keeps data forever'),
  retentionByProject: z.record(z.string(), int()),
  horizon: z.string().nullable(),
  projects: z.array(z.object({
    projectId: z.string(), retentionDays: int(), horizon: z.string().nullable(),
    lake: z.object({ partitions: int(), files: int(), bytes: int(), spans: int(), traces: int(), logs: int() }),
    hot: hotRows,
  })),
  partitions: z.array(partition).describe('partitions dropped (or, with dryRun, that would be)'),
  files: int(),
  hot: hotRows,
  durationMs: z.number(),
});

const quarantineFile = z.object({ name: z.string(), lines: int(), reasons: z.array(z.string()) });
export const QuarantineResponse = z.object({
  files: z.array(quarantineFile), spans: int(),
  logs: z.object({ files: z.array(quarantineFile), records: int() }),
});

const replay = z.object({ files: int(), lines: int(), inserted: int(), stillQuarantined: int() });
export const QuarantineReplayResponse = replay.extend({ logs: replay });

/**
 * Storage administration: the lake (hot rows, partitions, last seal and
 * compaction, the object-storage mirror), the seal and compaction signals, retention (`?dryRun=1` only
 * reports what would be dropped), and the WAL quarantine (lines the loader
 * could not load) with its replay, which loads whatever now fits and leaves
 * the rest in place.
 */
export function mountStorage(router: Router, deps: { store: Store }): void {
  const { store } = deps;
  router.get('/api/storage', async (ctx) => {
    ctx.body = (await store.storageStats()) satisfies z.input<typeof StorageStatsResponse>;
  });
  router.post('/api/storage/seal', async (ctx) => {
    const sealed = await store.sealAll();
    ctx.body = { sealed, storage: await store.storageStats() } satisfies z.input<typeof SealResponse>;
  });
  router.post('/api/storage/compact', async (ctx) => {
    const compacted = await store.compact();
    ctx.body = { compacted, storage: await store.storageStats() } satisfies z.input<typeof CompactResponse>;
  });
  router.post('/api/storage/retention', async (ctx) => {
    const q = parseQuery(ctx, RetentionQuery);
    ctx.body = (await store.retention(q.dryRun)) satisfies z.input<typeof RetentionResponse>;
  });
  router.get('/api/storage/quarantine', (ctx) => {
    const files = store.loader.quarantined.list();
    // The log records' WAL sets lines aside in wal/logs/quarantine, replayed with the spans'.
    const logFiles = store.logs.loader.quarantined.list();
    ctx.body = {
      files, spans: files.reduce((n, f) => n + f.lines, 0), logs: { files: logFiles, records: logFiles.reduce((n, f) => n + f.lines, 0) },
    } satisfies z.input<typeof QuarantineResponse>;
  });
  router.post('/api/storage/quarantine/replay', async (ctx) => {
    const spans = await store.loader.replayQuarantine();
    ctx.body = { ...spans, logs: await store.logs.loader.replayQuarantine() } satisfies z.input<typeof QuarantineReplayResponse>;
  });
}
