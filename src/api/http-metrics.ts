/** HTTP request counters and latency histogram by method, route template and status. */
export class HttpMetrics {
  readonly buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  readonly requests = new Map<string, number>();
  readonly durations = new Map<string, { counts: number[]; sum: number; count: number }>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const rk = `${method}\u0000${route}\u0000${status}`;
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1);
    const dk = `${method}\u0000${route}`;
    let d = this.durations.get(dk);
    if (!d) {
      d = { counts: new Array(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.durations.set(dk, d);
    }
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]) i++;
    d.counts[i]++;
    d.sum += seconds;
    d.count++;
  }
}
