/** The circuit-breaker fields of a prevention config. */
export interface BreakerConfig {
  cb_failure_threshold: number;
  cb_cooldown_seconds: number;
  cb_half_open_max_calls: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * The circuit breaker of one agent and MCP server, replayed from the calls
 * Lookspan sees (the SDK enforces it; Lookspan reports it): closed until
 * `cb_failure_threshold` consecutive failures, then open for
 * `cb_cooldown_seconds` after the failure that opened it; the first call
 * starting after the cooldown makes it half-open, where
 * `cb_half_open_max_calls` successes close it and one failure opens it
 * again. A call that starts while it is open was made despite it.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  failures = 0;
  openUntilUs = 0;
  private successes = 0;

  observe(failed: boolean, startUs: number, endUs: number, c: BreakerConfig): { opened: boolean; closed: boolean; calledWhileOpen: boolean } {
    const out = { opened: false, closed: false, calledWhileOpen: false };
    if (this.state === 'open') {
      if (startUs < this.openUntilUs) {
        out.calledWhileOpen = true;
        return out;
      }
      this.state = 'half_open';
      this.successes = 0;
    }
    if (this.state === 'half_open') {
      if (failed) {
        this.failures++;
        this.state = 'open';
        this.openUntilUs = endUs + c.cb_cooldown_seconds * 1e6;
      } else if (++this.successes >= c.cb_half_open_max_calls) {
        this.state = 'closed';
        this.failures = 0;
        out.closed = true;
      }
      return out;
    }
    if (!failed) {
      this.failures = 0;
      return out;
    }
    if (++this.failures >= c.cb_failure_threshold) {
      this.state = 'open';
      this.openUntilUs = endUs + c.cb_cooldown_seconds * 1e6;
      out.opened = true;
    }
    return out;
  }
}

/**
 * An MCP server's health as its calls show it (no probe of our own):
 * down after `downAfter` consecutive failed calls, up again at the first
 * success. `observe` returns the change, if any.
 */
export class McpHealth {
  failures = 0;
  private down = false;

  constructor(private readonly downAfter: number) {}

  observe(failed: boolean): 'down' | 'up' | null {
    if (failed) {
      this.failures++;
      if (!this.down && this.failures >= this.downAfter) {
        this.down = true;
        return 'down';
      }
      return null;
    }
    this.failures = 0;
    if (!this.down) return null;
    this.down = false;
    return 'up';
  }
}
