import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildUi, isCurrent, UI_OUT } from '../../ui/build.js';

const LOCK = `${UI_OUT}.lock`;

/**
 * Builds dist/ui unless it is already a build of the current sources. Test
 * files run in parallel workers, so one builds while the others wait on a
 * lock directory (a lock older than two minutes is a crashed build's).
 */
export async function ensureUiBuilt(): Promise<{ built: boolean; ms: number }> {
  if (isCurrent()) return { built: false, ms: 0 };
  // A fresh clone has no dist/ yet: without its parent the lock could never be taken.
  await mkdir(path.dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(LOCK, { recursive: false });
      break;
    } catch {
      const age = await stat(LOCK).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 120_000) await rm(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited two minutes for ${LOCK}`);
      await new Promise((r) => setTimeout(r, 200));
      if (isCurrent()) return { built: false, ms: 0 };
    }
  }
  try {
    if (isCurrent()) return { built: false, ms: 0 };
    return { built: true, ms: await buildUi() };
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}
