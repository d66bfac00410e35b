import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from './fsync-dir.js';
import { SEALED_SUFFIX, OPEN_SUFFIX } from './segment-files.js';

export interface RepairResult {
  path: string;
  /** Complete records kept. */
  records: number;
  bytesKept: number;
  bytesCut: number;
}

const NEWLINE = 0x0a;

/**
 * Cuts a segment that was open during a crash at its last complete record.
 * Only acknowledged requests were fsynced, and every acknowledged record is
 * a whole line, so anything after the first unparsable line was never
 * acknowledged. Returns the path of the sealed result, once the rename is
 * durable (`syncDir`, default `fsyncDir`, on the segment's directory).
 */
export async function repairOpenSegment(openPath: string, syncDir: (dir: string) => Promise<void> = fsyncDir): Promise<RepairResult> {
  const fh = await open(openPath, 'r+');
  try {
    const buf = await fh.readFile();
    let pos = 0;
    let records = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(NEWLINE, pos);
      if (nl < 0) break;
      const line = buf.toString('utf8', pos, nl);
      try {
        const rec = JSON.parse(line);
        if (rec === null || typeof rec !== 'object') break;
      } catch {
        break;
      }
      records++;
      pos = nl + 1;
    }
    if (pos < buf.length) {
      await fh.truncate(pos);
      await fh.sync();
    }
    const sealedPath = openPath.slice(0, -OPEN_SUFFIX.length) + SEALED_SUFFIX;
    await fh.close();
    await rename(openPath, sealedPath);
    await syncDir(path.dirname(openPath));
    return { path: sealedPath, records, bytesKept: pos, bytesCut: buf.length - pos };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}
