import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from './wal/fsync-dir.js';

/**
 * `wal/quarantine/`: WAL lines the loader could not load, kept on disk with
 * the reason so an operator can see them and replay them after a fix.
 *
 * - `<seq>.rejected.ndjson`: lines set aside from segment `<seq>`, one JSON
 *   object per line: `{"segment","line","reason","record"}` where `record`
 *   is the WAL line exactly as written.
 * - `<seq>.sealed`: a whole segment set aside as a last resort (the
 *   line-by-line staging itself kept failing).
 */
export const REJECTED_SUFFIX = '.rejected.ndjson';
const WHOLE_SUFFIX = '.sealed';

/** One WAL line set aside. */
export interface QuarantinedLine {
  /** Segment file name the line came from. */
  segment: string;
  /** 1-based line number in that segment. */
  line: number;
  reason: string;
  /** The WAL line as written. */
  record: string;
}

export interface QuarantineFile {
  name: string;
  lines: number;
  /** Distinct reasons, first few. */
  reasons: string[];
}

const MAX_REASONS = 5;

function reasonsOf(lines: readonly { reason: string }[]): string[] {
  const out = new Set<string>();
  for (const l of lines) {
    if (out.size >= MAX_REASONS) break;
    out.add(l.reason);
  }
  return [...out];
}

function countLines(buf: Buffer): number {
  let n = 0;
  let pos = -1;
  while ((pos = buf.indexOf(0x0a, pos + 1)) !== -1) n++;
  if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) n++;
  return n;
}

/** The quarantine directory and what it holds (counted from disk at start-up, kept current after). */
export class Quarantine {
  private readonly files = new Map<string, QuarantineFile>();

  constructor(readonly dir: string) {}

  /** Reads what is on disk (removing temporaries a crash left behind); returns the highest segment seq seen. */
  async scan(): Promise<number> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let maxSeq = 0;
    for (const name of names) {
      const p = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await unlink(p).catch(() => {});
        continue;
      }
      const seq = Number(name.slice(0, name.indexOf('.')));
      if (Number.isSafeInteger(seq)) maxSeq = Math.max(maxSeq, seq);
      if (name.endsWith(REJECTED_SUFFIX)) {
        const lines = await this.read(name);
        if (lines.length > 0) this.files.set(name, { name, lines: lines.length, reasons: reasonsOf(lines) });
      } else if (name.endsWith(WHOLE_SUFFIX)) {
        const n = countLines(await readFile(p));
        if (n > 0) this.files.set(name, { name, lines: n, reasons: ['whole segment set aside after repeated load failures'] });
      }
    }
    return maxSeq;
  }

  list(): QuarantineFile[] {
    return [...this.files.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get fileCount(): number {
    return this.files.size;
  }

  get totalLines(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.lines;
    return n;
  }

  get wholeSegments(): number {
    let n = 0;
    for (const f of this.files.values()) if (f.name.endsWith(WHOLE_SUFFIX)) n++;
    return n;
  }

  /** The lines a quarantine file holds, in order (a whole segment's lines get reason "whole segment"). */
  async read(name: string): Promise<QuarantinedLine[]> {
    const text = await readFile(path.join(this.dir, name), 'utf8');
    const out: QuarantinedLine[] = [];
    let n = 0;
    for (const raw of text.split('\n')) {
      n++;
      if (raw.length === 0) continue;
      if (name.endsWith(WHOLE_SUFFIX)) {
        out.push({ segment: name, line: n, reason: 'whole segment set aside', record: raw });
        continue;
      }
      try {
        const q = JSON.parse(raw) as QuarantinedLine;
        if (typeof q.record === 'string') out.push(q);
      } catch {
        // A line of our own format that does not parse was torn by a crash before its rename; never the case after scan.
      }
    }
    return out;
  }

  /**
   * Writes (or replaces) `name` with `lines`, durably: temporary file,
   * fsync, rename, directory fsync. Writing the same name twice (a load
   * retried after a crash) replaces it, so a line is never set aside twice.
   * An empty list removes the file.
   */
  async write(name: string, lines: readonly QuarantinedLine[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, name);
    if (lines.length === 0) {
      await this.remove(name);
      return;
    }
    const tmp = `${target}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncDir(this.dir);
    this.files.set(name, { name, lines: lines.length, reasons: reasonsOf(lines) });
  }

  /** Moves a whole segment here (last resort). */
  async adoptSegment(segmentPath: string, lines: number): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const name = path.basename(segmentPath);
    await rename(segmentPath, path.join(this.dir, name));
    await fsyncDir(this.dir);
    await fsyncDir(path.dirname(segmentPath));
    this.files.set(name, { name, lines, reasons: ['whole segment set aside after repeated load failures'] });
    return name;
  }

  async remove(name: string): Promise<void> {
    await unlink(path.join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fsyncDir(this.dir);
    this.files.delete(name);
  }

  /** Name of the rejected-lines file for a segment file name (`000000000042.sealed` → `000000000042.rejected.ndjson`). */
  static rejectedName(segmentFile: string): string {
    const base = path.basename(segmentFile);
    const dot = base.indexOf('.');
    return (dot > 0 ? base.slice(0, dot) : base) + REJECTED_SUFFIX;
  }
}
