import type { RouteAccess } from './roles.js';

/**
 * The reference's per-route limits (requests per minute, per key or client
 * address). The OTLP routes are not here: the reference's 60/min would
 * throttle a collector whose batch processor flushes every 200 ms, so every
 * ingest route gets rateLimits.ingestPerMinute (6000 by default, 100/s per
 * key) and overload is left to the pipeline's own 429 (queue and WAL bounds).
 */
export const BUILT_IN_ROUTE_LIMITS: Readonly<Record<string, number>> = {
  'POST /api/traces/spans': 2000,
  'POST /api/users/accept-invite': 5,
  'POST /api/users/verify': 10,
};

export interface RateLimitConfig {
  defaultPerMinute: number;
  ingestPerMinute: number;
  routes: Record<string, number>;
}

/**
 * The limit of a route per minute, or null when it is not limited: open
 * routes (probes, /metrics) are never throttled unless they have a limit of
 * their own (the login steps do).
 */
export function routeLimit(cfg: RateLimitConfig, routeKey: string | null, access: RouteAccess | null): number | null {
  if (routeKey !== null) {
    const own = cfg.routes[routeKey] ?? BUILT_IN_ROUTE_LIMITS[routeKey];
    if (own !== undefined) return own;
  }
  if (access === null) return cfg.defaultPerMinute;
  if (access.need === 'open') return null;
  return access.need === 'ingest' ? cfg.ingestPerMinute : cfg.defaultPerMinute;
}
