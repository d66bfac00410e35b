import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../../config/load.js';
import { fsyncDir } from '../wal/fsync-dir.js';

/**
 * Claims `replica` in the lake at `root` for this data dir:
 * `<lake>/.replicas/<replica>.json` names the data dir (its `store_identity`
 * id) that seals under that replica id. Start-up deletes files in its
 * replica's name that its own catalog does not name (a crash's leftovers),
 * so two data dirs sharing a lake under one replica id would delete each
 * other's sealed files: the second is refused before anything is removed.
 */
export async function claimReplica(conn: DuckDBConnection, root: string, replica: string): Promise<void> {
  const id = String((await conn.runAndReadAll('SELECT instance_id FROM store_identity LIMIT 1')).getRows()[0][0]);
  const dir = path.join(root, '.replicas');
  const file = path.join(dir, `${replica}.json`);
  await mkdir(dir, { recursive: true });
  try {
    const fh = await open(file, 'wx');
    try {
      await fh.writeFile(JSON.stringify({ replica, instanceId: id, claimedAt: new Date().toISOString() }) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(dir);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  let owner: string | undefined;
  try {
    owner = (JSON.parse(await readFile(file, 'utf8')) as { instanceId?: string }).instanceId;
  } catch {
    owner = undefined;
  }
  if (owner === id) return;
  throw new ConfigError(
    `storage.replica (LOOKSPAN_REPLICA) "${replica}" is already used in the lake ${root} by another data dir ` +
    `(${file} names ${owner ? `instance ${owner}` : 'an unreadable claim'}; this data dir is ${id}). ` +
    'Give each replica sharing a lake its own id. If that data dir is gone for good and this one replaces it, ' +
    `delete ${file}: start-up then removes the old replica's files that this data dir's catalog does not name.`,
  );
}
