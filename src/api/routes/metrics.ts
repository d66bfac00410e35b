import type Router from '@koa/router';
import type { LookspanMetrics } from '../../metrics/registry.js';

/** GET /metrics: the server's Prometheus registry in the text exposition format (docs/metrics.md); no API key. */
export function mountMetrics(router: Router, metrics: LookspanMetrics): void {
  router.get('/metrics', async (ctx) => {
    const body = await metrics.metrics();
    ctx.type = metrics.contentType;
    ctx.body = body;
  });
}
