import { open } from 'node:fs/promises';

/**
 * fsyncs a directory so a file created, renamed or removed in it keeps (or
 * loses) its directory entry across a power loss: fsyncing the file alone
 * makes its data durable, not its name (see Linux fsync(2), "Calling fsync()
 * does not necessarily ensure that the entry in the directory containing the
 * file has also reached disk").
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
