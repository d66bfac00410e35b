import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { classify, errorBody } from '../errors.js';
import { HttpMetrics } from './http-metrics.js';

/**
 * The Koa application: one error middleware that renders every failure in
 * the same JSON shape `{ error: { code, message, problems? } }` with the
 * status from the error table, plus request metrics.
 */
export function createApp(log: Logger, metrics: HttpMetrics): { app: Koa; router: Router } {
  const app = new Koa();
  app.proxy = false;
  const router = new Router();

  app.use(async (ctx, next) => {
    const t0 = performance.now();
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { code: 'not_found', message: `no route for ${ctx.method} ${ctx.path}` } };
      } else if (ctx.status === 405 || ctx.status === 501) {
        const allow = ctx.response.get('Allow');
        ctx.body = {
          error: {
            code: ctx.status === 405 ? 'method_not_allowed' : 'not_implemented',
            message: `${ctx.method} is not supported on ${ctx.path}${allow ? `; allowed: ${allow}` : ''}`,
          },
        };
      }
    } catch (err) {
      const e = classify(err);
      if (e.errorClass === 'internal') log.error({ err, path: ctx.path }, 'request failed');
      // Leave unread request bytes to the socket rather than the heap.
      if (!ctx.req.readableEnded) ctx.req.resume();
      ctx.status = e.http;
      if (e.details.retryAfterSeconds) ctx.set('Retry-After', String(e.details.retryAfterSeconds));
      ctx.body = errorBody(e);
    } finally {
      const route = (ctx as any)._matchedRoute ? String((ctx as any)._matchedRoute) : 'unmatched';
      metrics.observe(ctx.method, route, ctx.status, (performance.now() - t0) / 1000);
    }
  });

  app.on('error', (err) => log.error({ err }, 'unhandled HTTP error'));
  return { app, router };
}
