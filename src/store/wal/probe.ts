import { open, unlink } from 'node:fs/promises';

/** The probe file's name in the WAL directory; segment listing ignores it. */
export const PROBE_NAME = '.write-probe';

const CHUNK = Buffer.alloc(1024 * 1024);

/**
 * Writes `bytes` zero bytes to `file`, fdatasyncs them and removes the file:
 * true evidence the volume takes writes of that size again (a full disk,
 * a lifted size limit, a read-only volume remounted read-write). Throws the
 * first error; the file is removed either way.
 */
export async function probeWrite(file: string, bytes: number): Promise<void> {
  const fh = await open(file, 'w');
  try {
    let written = 0;
    while (written < bytes) {
      const { bytesWritten } = await fh.write(CHUNK, 0, Math.min(CHUNK.length, bytes - written));
      written += bytesWritten;
    }
    await fh.datasync();
  } finally {
    await fh.close().catch(() => {});
    await unlink(file).catch(() => {});
  }
}
