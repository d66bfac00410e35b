import type { HttpMetricSet } from '../metrics/registry.js';

/**
 * HTTP request count and duration by method, route template (the `path`
 * label: `/api/traces/:traceId`, never the raw URL; `unmatched` when no route
 * matched) and status, into the server's Prometheus metrics.
 */
export class HttpMetrics {
  constructor(private readonly m: HttpMetricSet) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    this.m.requests.inc({ method, path: route, status: String(status) });
    this.m.duration.observe({ method, path: route }, seconds);
  }
}
