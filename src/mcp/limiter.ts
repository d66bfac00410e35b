import { unavailable } from '../errors.js';

/** Runs at most `max` tasks at once, the rest in arrival order; after `close` new tasks are refused. */
export class Limiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** The most tasks seen running at once (reported by the tests that bound it). */
  peak = 0;

  constructor(private readonly max: number) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable('MCP health checks are shutting down', 1);
    if (this.running >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) throw unavailable('MCP health checks are shutting down', 1);
    this.running++;
    this.peak = Math.max(this.peak, this.running);
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Refuses new tasks and releases the waiting ones (they are refused too). */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
  }
}
