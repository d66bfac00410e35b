/**
 * Disk faults: a write that failed because of the volume (full, over a
 * size or quota limit, read-only, permission denied, I/O error), not because
 * of the data. Each writing stage keeps one `FaultState`: the episode's
 * cause and start, when it may try again (exponential backoff), and a count
 * of failed attempts for /metrics. The stage decides what a fault blocks;
 * this module only names and times it.
 */

/** The stages that write to the data dir (`logs_wal` and `logs_load`: the OTLP log records' own WAL and loader). */
export type FaultStage = 'wal' | 'load' | 'seal' | 'logs_wal' | 'logs_load';
export const FAULT_STAGES: readonly FaultStage[] = ['wal', 'load', 'seal', 'logs_wal', 'logs_load'];

/** One fault episode, as /api/health reports it. */
export interface DiskFault {
  stage: FaultStage;
  /** The step that failed, e.g. `write`, `fsync`, `create`, `commit`, `copy`. */
  operation: string;
  /** The errno name (`ENOSPC`, `EFBIG`, `EACCES`, `EROFS`, `EIO`, …) when one is known. */
  code: string | null;
  message: string;
  /** When the episode began (ms since epoch): its first failed attempt. */
  since: number;
  lastFailureAt: number;
  /** Failed attempts in this episode. */
  failures: number;
  /** When the stage tries again (ms since epoch). */
  retryAt: number;
}

/**
 * Errno names as DuckDB reports them: it puts strerror(3) text in its
 * messages ("Could not write file …: No space left on device") instead of a code.
 */
const STRERROR: ReadonlyArray<[RegExp, string]> = [
  [/no space left on device/i, 'ENOSPC'],
  [/disk quota exceeded/i, 'EDQUOT'],
  [/file too large/i, 'EFBIG'],
  [/read-only file system/i, 'EROFS'],
  [/permission denied/i, 'EACCES'],
  [/operation not permitted/i, 'EPERM'],
  [/input\/output error/i, 'EIO'],
];

/** Codes that say the volume, not the data, refused the write. */
const VOLUME_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS', 'EACCES', 'EPERM', 'EIO']);

/** The errno name of a filesystem error from Node (`err.code`) or DuckDB (its message), or null. */
export function errnoCode(err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  const message = err instanceof Error ? err.message : String(err);
  for (const [re, name] of STRERROR) if (re.test(message)) return name;
  return null;
}

/** True when `err` is a disk fault (the volume refused a write), not a data or logic error. */
export function isDiskFault(err: unknown): boolean {
  const code = errnoCode(err);
  return code !== null && VOLUME_CODES.has(code);
}

export interface BackoffOptions {
  /** Delay after the first failure of an episode. */
  firstDelayMs: number;
  /** Cap of the doubling delay. */
  maxDelayMs: number;
}

/** The fault state of one stage: null while its writes succeed. */
export class FaultState {
  private fault: DiskFault | null = null;
  /** Failed attempts over the process's life (the /metrics counter). */
  failuresTotal = 0;

  constructor(readonly stage: FaultStage, private readonly backoff: BackoffOptions) {}

  get current(): DiskFault | null {
    return this.fault;
  }

  /** True when there is no fault or its retry time has come. */
  retryDue(now = Date.now()): boolean {
    return this.fault === null || now >= this.fault.retryAt;
  }

  /** Milliseconds until the next retry (0 without a fault). */
  retryInMs(now = Date.now()): number {
    return this.fault ? Math.max(0, this.fault.retryAt - now) : 0;
  }

  /** Records a failed attempt and schedules the next one; returns the episode. */
  fail(operation: string, err: unknown, now = Date.now()): DiskFault {
    this.failuresTotal++;
    const failures = (this.fault?.failures ?? 0) + 1;
    const delay = Math.min(this.backoff.maxDelayMs, this.backoff.firstDelayMs * 2 ** Math.min(failures - 1, 20));
    this.fault = {
      stage: this.stage,
      operation,
      code: errnoCode(err),
      message: err instanceof Error ? err.message : String(err),
      since: this.fault?.since ?? now,
      lastFailureAt: now,
      failures,
      retryAt: now + delay,
    };
    return this.fault;
  }

  /** Ends the episode (a write succeeded); returns it, for the recovery log line, or null if there was none. */
  clear(): DiskFault | null {
    const ended = this.fault;
    this.fault = null;
    return ended;
  }
}

/** A fault as JSON for /api/health: times as ISO 8601. */
export function describeFault(f: DiskFault): {
  stage: FaultStage; operation: string; code: string | null; message: string;
  since: string; lastFailureAt: string; failures: number; retryAt: string;
} {
  return {
    stage: f.stage,
    operation: f.operation,
    code: f.code,
    message: f.message,
    since: new Date(f.since).toISOString(),
    lastFailureAt: new Date(f.lastFailureAt).toISOString(),
    failures: f.failures,
    retryAt: new Date(f.retryAt).toISOString(),
  };
}

/** The step that failed, for the report: DuckDB's commit, else the Node syscall, else `fallback`. */
export function faultOperation(err: unknown, fallback: string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/failed to commit/i.test(message)) return 'commit';
  const syscall = (err as NodeJS.ErrnoException | null)?.syscall;
  return typeof syscall === 'string' && syscall.length > 0 ? syscall : fallback;
}
