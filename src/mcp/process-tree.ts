import { readdirSync, readFileSync } from 'node:fs';

/**
 * The processes a stdio server started, found through /proc on Linux: a
 * server run through `npx` or a shell script is a tree, and killing only
 * the direct child would leave the real server running. Elsewhere only the
 * direct child is known.
 */

interface ProcStat {
  ppid: number;
  state: string;
  /** Start time in clock ticks since boot: tells a process from a later one that reuses its pid. */
  start: string;
}

function stat(pid: number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]), start: rest[19] };
  } catch {
    return null;
  }
}

/** A process as found at one moment: its pid and start time. */
export interface ProcessId {
  pid: number;
  start: string | null;
}

/** `pid` and every process below it now (children first found, then theirs). */
export function processTree(pid: number): ProcessId[] {
  const root: ProcessId = { pid, start: stat(pid)?.start ?? null };
  if (process.platform !== 'linux') return [root];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [root];
  }
  const children = new Map<number, ProcessId[]>();
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const s = stat(Number(e));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid: Number(e), start: s.start });
    children.set(s.ppid, list);
  }
  const out = [root];
  for (let i = 0; i < out.length && out.length < 1000; i++) out.push(...(children.get(out[i].pid) ?? []));
  return out;
}

/** Whether the process is still running (a zombie waiting to be reaped has ended; a reused pid is another process). */
export function isAlive(p: ProcessId): boolean {
  if (process.platform === 'linux') {
    const s = stat(p.pid);
    return s !== null && s.state !== 'Z' && (p.start === null || s.start === p.start);
  }
  try {
    process.kill(p.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGKILL to each process of `tree` still alive; returns the pids signalled. */
export function killTree(tree: readonly ProcessId[]): number[] {
  const out: number[] = [];
  for (const p of tree) {
    if (!isAlive(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
      out.push(p.pid);
    } catch {
      // Ended between the check and the signal.
    }
  }
  return out;
}
