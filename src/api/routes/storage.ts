import type Router from '@koa/router';
import type { Store } from '../../store/index.js';

/**
 * Storage administration: the lake (hot rows, partitions, last seal) and the
 * seal signal, and the WAL quarantine (lines the loader could not load) with
 * its replay, which loads whatever now fits and leaves the rest in place.
 */
export function mountStorage(router: Router, deps: { store: Store }): void {
  const { store } = deps;
  router.get('/api/storage', async (ctx) => {
    ctx.body = await store.db.withSnapshot((conn) => store.lake.stats(conn));
  });
  router.post('/api/storage/seal', async (ctx) => {
    const sealed = await store.sealAll();
    ctx.body = { sealed, storage: await store.db.withSnapshot((conn) => store.lake.stats(conn)) };
  });
  router.get('/api/storage/quarantine', (ctx) => {
    const files = store.loader.quarantined.list();
    ctx.body = { files, spans: files.reduce((n, f) => n + f.lines, 0) };
  });
  router.post('/api/storage/quarantine/replay', async (ctx) => {
    ctx.body = await store.loader.replayQuarantine();
  });
}
