/** One server on the schedule. */
export interface ScheduledServer {
  name: string;
  intervalMs: number;
}

/**
 * Runs each server's check on its own timer: the first within the jitter
 * share of its interval after start (so a restart does not check every
 * server at once), each next one an interval times a random factor in
 * [1 - jitter, 1 + jitter] after the previous one ended (a slow check never
 * overlaps the next). Timers do not hold the process open.
 */
export class CheckSchedule {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly servers: readonly ScheduledServer[],
    private readonly jitter: number,
    private readonly run: (name: string) => Promise<unknown>,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    for (const s of this.servers) this.arm(s, s.intervalMs * this.jitter * this.random());
  }

  /** The wait before the next check of a server with this interval. */
  nextDelay(intervalMs: number): number {
    return Math.max(0, intervalMs * (1 + this.jitter * (2 * this.random() - 1)));
  }

  private arm(s: ScheduledServer, delayMs: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(s.name);
      // A failed check is a result (stored and reported by the runner); the schedule goes on either way.
      this.run(s.name).catch(() => {}).finally(() => this.arm(s, this.nextDelay(s.intervalMs)));
    }, delayMs);
    t.unref();
    this.timers.set(s.name, t);
  }

  /** Stops every timer; safe to call twice. */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
