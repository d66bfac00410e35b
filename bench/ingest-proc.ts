/** CPU and RSS of another process, read from /proc (Linux), for the ingest benchmark. */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function statCpuSeconds(file: string): number {
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name, which may itself hold spaces or parentheses.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/** utime + stime of `pid` in seconds, all its threads (DuckDB's included). */
export function cpuSecondsOf(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * utime + stime of the main thread alone (its thread id is the pid): the
 * event loop, where receiving, decoding, conventions and WAL encoding run.
 * The rest of the process's CPU is DuckDB's threads and libuv's pool (gunzip, fsync).
 */
export function mainThreadCpuSecondsOf(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

export function rssBytesOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples a process's RSS every `everyMs` between `start` and `stop`; reports its CPU over the window and the peak RSS. */
export class ProcWindow {
  private timer: NodeJS.Timeout | null = null;
  private cpu0 = 0;
  private main0 = 0;
  private t0 = 0;
  peakRss = 0;

  constructor(private readonly pid: number, private readonly everyMs = 200) {}

  start(): this {
    this.cpu0 = cpuSecondsOf(this.pid);
    this.main0 = mainThreadCpuSecondsOf(this.pid);
    this.t0 = performance.now();
    this.peakRss = rssBytesOf(this.pid);
    this.timer = setInterval(() => {
      try {
        this.peakRss = Math.max(this.peakRss, rssBytesOf(this.pid));
      } catch { /* exited */ }
    }, this.everyMs);
    return this;
  }

  /** Cores used on average over the window (all threads, and the main thread's share), and the peak RSS. */
  stop(): { cpuCores: number; cpuSeconds: number; mainThreadCpuSeconds: number; peakRssBytes: number } {
    if (this.timer) clearInterval(this.timer);
    const cpuSeconds = cpuSecondsOf(this.pid) - this.cpu0;
    const mainThreadCpuSeconds = mainThreadCpuSecondsOf(this.pid) - this.main0;
    const wall = (performance.now() - this.t0) / 1000;
    this.peakRss = Math.max(this.peakRss, rssBytesOf(this.pid));
    return { cpuCores: cpuSeconds / wall, cpuSeconds, mainThreadCpuSeconds, peakRssBytes: this.peakRss };
  }
}
