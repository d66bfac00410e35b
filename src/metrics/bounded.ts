/** Label value for a span that names no provider, model, project, server or tool. */
export const UNKNOWN = 'unknown';
/** Label value that stands for every value past a cap. */
export const OTHER = 'other';

/**
 * The values one label may take, bounded: the first `max` distinct values
 * are kept as they are (cut to `maxLength` characters), every later one is
 * reported as `other`. Shared by the metrics that carry the label, so a
 * model that collapsed into `other` does so in every metric.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(readonly max = 200, private readonly maxLength = 128) {}

  value(raw: string | null | undefined): string {
    if (raw == null || raw === '') return UNKNOWN;
    const v = raw.length > this.maxLength ? raw.slice(0, this.maxLength) : raw;
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(v);
    return v;
  }

  get size(): number {
    return this.seen.size;
  }
}

/**
 * A cap on the label combinations of one metric: a product of bounded labels
 * (model × project) can still grow past what a scrape should carry. Past
 * `max` combinations, new ones are reported with their bounded labels set to
 * `other` (fixed-value labels such as `direction` keep their value).
 */
export class SeriesBudget {
  private readonly seen = new Set<string>();

  constructor(readonly max: number) {}

  /** `labels` with the `bounded` keys set to `other` when the combination is new and the budget is spent. */
  admit<L extends Record<string, string>>(labels: L, bounded: readonly (keyof L)[]): L {
    const key = Object.values(labels).join('\u0000');
    if (this.seen.has(key)) return labels;
    if (this.seen.size < this.max) {
      this.seen.add(key);
      return labels;
    }
    const out = { ...labels };
    for (const k of bounded) (out as Record<string, string>)[k as string] = OTHER;
    return out;
  }
}
