/** A cumulative-bucket histogram in the Prometheus sense: `le` bounds, sum and count. */
export class Histogram {
  /** counts[i] holds observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}
