import { Histogram } from '../pipeline/histogram.js';

const LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** HTTP request counters and latency histogram by method, route template and status. */
export class HttpMetrics {
  readonly requests = new Map<string, number>();
  /** key: `${method}\u0000${route}` */
  readonly durations = new Map<string, Histogram>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const rk = `${method}\u0000${route}\u0000${status}`;
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1);
    const dk = `${method}\u0000${route}`;
    let d = this.durations.get(dk);
    if (!d) {
      d = new Histogram(LATENCY_BOUNDS);
      this.durations.set(dk, d);
    }
    d.observe(seconds);
  }
}
