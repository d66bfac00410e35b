import type Router from '@koa/router';
import type { SegmentLoader } from '../../store/loader.js';

/**
 * Storage administration: the WAL quarantine (lines the loader could not
 * load) and its replay. Replaying loads whatever now fits and leaves the
 * rest in place with its current reason.
 */
export function mountStorage(router: Router, deps: { loader: SegmentLoader }): void {
  router.get('/api/storage/quarantine', (ctx) => {
    const files = deps.loader.quarantined.list();
    ctx.body = { files, spans: files.reduce((n, f) => n + f.lines, 0) };
  });
  router.post('/api/storage/quarantine/replay', async (ctx) => {
    ctx.body = await deps.loader.replayQuarantine();
  });
}
