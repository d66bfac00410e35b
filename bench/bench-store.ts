import { rm } from 'node:fs/promises';
import type { Store } from '../src/store/index.js';

/** Closes a bench's store and removes its data dir, unless BENCH_KEEP_DIR asks to keep it for a look afterwards. */
export async function closeBenchStore(store: Store, dir: string): Promise<void> {
  await store.close(Date.now() + 30_000);
  if (process.env.BENCH_KEEP_DIR) console.log(`data dir kept: ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
