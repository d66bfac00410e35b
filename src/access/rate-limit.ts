/** The answer for one request: whether it may pass, and what the RateLimit headers say. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the client's allowance is whole again. */
  resetSeconds: number;
  /** Seconds until one more request would pass (0 when allowed). */
  retryAfterSeconds: number;
}

const WINDOW_MS = 60_000;

/**
 * Requests per minute per client and route, as GCRA (the generic cell rate
 * algorithm, a token bucket kept as one number): each client has a
 * "theoretical arrival time"; a request moves it forward by 60 s / limit,
 * and is refused when that would put it more than a minute ahead of now. A
 * client may burst its whole minute at once, then gets one request per
 * 60/limit seconds. One number per client, and fully rested clients are
 * forgotten, so memory stays at the clients active in the last minute
 * (bounded by maxClients).
 */
export class RateLimiter {
  private tat = new Map<string, number>();
  /** Clients forgotten early because maxClients was reached (each then starts rested). */
  evicted = 0;

  constructor(private readonly maxClients: number, private readonly now: () => number = Date.now) {}

  take(client: string, perMinute: number): RateDecision {
    const now = this.now();
    const interval = WINDOW_MS / perMinute;
    const tat = Math.max(this.tat.get(client) ?? now, now);
    const next = tat + interval;
    if (next - now > WINDOW_MS) {
      return {
        allowed: false, limit: perMinute, remaining: 0,
        resetSeconds: Math.ceil((tat - now) / 1000),
        retryAfterSeconds: Math.max(1, Math.ceil((next - now - WINDOW_MS) / 1000)),
      };
    }
    if (!this.tat.has(client) && this.tat.size >= this.maxClients) this.sweep(now);
    // Re-inserting keeps the map in least-recently-used order for the sweep.
    this.tat.delete(client);
    this.tat.set(client, next);
    return {
      allowed: true, limit: perMinute,
      remaining: Math.floor((WINDOW_MS - (next - now)) / interval),
      resetSeconds: Math.ceil((next - now) / 1000),
      retryAfterSeconds: 0,
    };
  }

  /** Clients tracked now. */
  get size(): number {
    return this.tat.size;
  }

  /** Drops rested clients; if none is, the least recently seen tenth. */
  private sweep(now: number): void {
    for (const [k, t] of this.tat) if (t <= now) this.tat.delete(k);
    if (this.tat.size < this.maxClients) return;
    let drop = Math.max(1, Math.floor(this.maxClients / 10));
    for (const k of this.tat.keys()) {
      if (drop-- <= 0) break;
      this.tat.delete(k);
      this.evicted++;
    }
  }
}
