import type Router from '@koa/router';
import type { Store } from '../../store/index.js';

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
    ctx.body = await store.storageStats();
  });
  router.post('/api/storage/seal', async (ctx) => {
    const sealed = await store.sealAll();
    ctx.body = { sealed, storage: await store.storageStats() };
  });
  router.post('/api/storage/compact', async (ctx) => {
    const compacted = await store.compact();
    ctx.body = { compacted, storage: await store.storageStats() };
  });
  router.post('/api/storage/retention', async (ctx) => {
    const dry = String(ctx.query.dryRun ?? '');
    ctx.body = await store.retention(dry === '1' || dry === 'true');
  });
  router.get('/api/storage/quarantine', (ctx) => {
    const files = store.loader.quarantined.list();
    // The log records' WAL sets lines aside in wal/logs/quarantine, replayed with the spans'.
    const logFiles = store.logs.loader.quarantined.list();
    ctx.body = { files, spans: files.reduce((n, f) => n + f.lines, 0), logs: { files: logFiles, records: logFiles.reduce((n, f) => n + f.lines, 0) } };
  });
  router.post('/api/storage/quarantine/replay', async (ctx) => {
    const spans = await store.loader.replayQuarantine();
    ctx.body = { ...spans, logs: await store.logs.loader.replayQuarantine() };
  });
}
