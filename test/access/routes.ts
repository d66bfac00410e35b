import type Router from '@koa/router';
import { WEBSOCKET_ROUTE } from '../../src/access/live.js';

/** `METHOD /path` for every route layer on the router (HEAD comes with GET and is served by it). */
export function registeredRoutes(router: Router): string[] {
  const keys = new Set<string>();
  for (const layer of router.stack) {
    for (const method of layer.methods) if (method !== 'HEAD') keys.add(`${method} ${layer.path}`);
  }
  return [...keys].sort();
}

/** Routes served outside the Koa router: the WebSocket, on the HTTP server's upgrade event. */
export const OUTSIDE_ROUTER = [WEBSOCKET_ROUTE];
