import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Store, type StoreOptions } from '../../src/store/index.js';

/** A Store on a fresh temp dir with nothing sealed or loaded by timers (tests seal and drain explicitly). */
export async function openTestStore(prefix: string, extra: Partial<StoreOptions> = {}): Promise<{ dir: string; store: Store }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const store = await Store.open({
    dataDir: dir, duckdbMemoryLimit: '', duckdbThreads: 1, replica: 'test', sealIdleSeconds: 3600, sealIntervalSeconds: 3600,
    commitDelayMs: 0, segmentMaxBytes: 1 << 30, segmentMaxAgeMs: 3_600_000, ...extra,
  }, pino({ level: 'silent' }));
  await store.waitReplayed();
  return { dir, store };
}

/** A small deterministic generator, so a failure names a reproducible layout. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}
