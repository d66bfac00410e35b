import { readFile, stat, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { fsyncDir } from './fsync-dir.js';
import { listSegments } from './segment-files.js';
import { repairOpenSegment } from './repair.js';
import type { SealedSegment } from './writer.js';

export interface Recovery {
  /** Segments to load, oldest first. */
  pending: SealedSegment[];
  /** Sequence number for the next segment. */
  nextSeq: number;
  repaired: number;
  bytesCut: number;
}

function countLines(buf: Buffer): number {
  let n = 0;
  let pos = -1;
  while ((pos = buf.indexOf(0x0a, pos + 1)) !== -1) n++;
  return n;
}

/**
 * Start-up replay: repairs segments cut off by a crash, deletes those the
 * store recorded as loaded (a crash between commit and unlink), and returns
 * the rest for the loader. Every rename (in repair) and removal is made
 * durable with `syncDir` (default `fsyncDir`) before it returns.
 */
export async function recoverWal(
  dir: string, loaded: Set<number>, maxLoadedSeq: number, log: Logger,
  syncDir: (dir: string) => Promise<void> = fsyncDir,
): Promise<Recovery> {
  const out: Recovery = { pending: [], nextSeq: maxLoadedSeq + 1, repaired: 0, bytesCut: 0 };
  let removed = 0;
  const remove = async (p: string) => {
    await unlink(p);
    removed++;
  };
  for (const file of await listSegments(dir)) {
    out.nextSeq = Math.max(out.nextSeq, file.seq + 1);
    if (loaded.has(file.seq)) {
      await remove(file.path);
      continue;
    }
    if (!file.sealed) {
      const st = await stat(file.path);
      if (st.size === 0) {
        await remove(file.path);
        continue;
      }
      // Repair has just read the whole file: take its counts instead of reading it again.
      const r = await repairOpenSegment(file.path, syncDir);
      out.repaired++;
      out.bytesCut += r.bytesCut;
      if (r.bytesCut > 0) log.warn({ segment: r.path, bytesCut: r.bytesCut, records: r.records }, 'cut torn WAL tail (never acknowledged)');
      if (r.records === 0) {
        await remove(r.path);
        continue;
      }
      out.pending.push({ seq: file.seq, path: r.path, bytes: r.bytesKept, spans: r.records, firstWriteAt: st.mtimeMs });
      continue;
    }
    const buf = await readFile(file.path);
    const st = await stat(file.path);
    out.pending.push({ seq: file.seq, path: file.path, bytes: buf.length, spans: countLines(buf), firstWriteAt: st.mtimeMs });
  }
  // One directory fsync covers every removal above.
  if (removed > 0) await syncDir(dir);
  return out;
}
