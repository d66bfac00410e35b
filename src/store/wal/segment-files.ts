import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * WAL segment naming. A segment is `<seq>.open` while it is written and
 * renamed to `<seq>.sealed` once closed; a `.open` file found at start-up was
 * cut off by a crash and must be repaired before it is loaded.
 */
export const OPEN_SUFFIX = '.open';
export const SEALED_SUFFIX = '.sealed';
const SEQ_DIGITS = 12;

export interface SegmentFile {
  seq: number;
  path: string;
  sealed: boolean;
}

export function segmentName(seq: number, sealed: boolean): string {
  return String(seq).padStart(SEQ_DIGITS, '0') + (sealed ? SEALED_SUFFIX : OPEN_SUFFIX);
}

/** Lists segment files in sequence order. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  const names = await readdir(dir);
  const out: SegmentFile[] = [];
  for (const name of names) {
    const sealed = name.endsWith(SEALED_SUFFIX);
    if (!sealed && !name.endsWith(OPEN_SUFFIX)) continue;
    const seq = Number(name.slice(0, name.indexOf('.')));
    if (!Number.isSafeInteger(seq)) continue;
    out.push({ seq, path: path.join(dir, name), sealed });
  }
  return out.sort((a, b) => a.seq - b.seq);
}
