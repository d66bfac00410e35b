/**
 * Builds the dashboard into dist/ui with Vite's JS API (`npm run build`,
 * `npm start` and the browser tests). The build goes to a fresh directory
 * that then replaces dist/ui, so a server reading dist/ui never sees it
 * half-written, and a stamp of the sources lets a caller skip a build that
 * is already current.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const UI_DIR = path.dirname(fileURLToPath(import.meta.url));
export const UI_OUT = path.resolve(UI_DIR, '../dist/ui');
const STAMP = '.source-hash';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

/** A hash of everything the bundle is built from: the ui/ sources and the locked package versions. */
export function sourceHash(): string {
  const h = createHash('sha256');
  const inputs = [...files(UI_DIR), path.resolve(UI_DIR, '../package-lock.json')].sort();
  for (const f of inputs) {
    h.update(path.relative(UI_DIR, f)).update('\0');
    if (statSync(f).isFile()) h.update(readFileSync(f));
  }
  return h.digest('hex');
}

/** Whether `outDir` holds a build of the current sources. */
export function isCurrent(outDir = UI_OUT): boolean {
  const stamp = path.join(outDir, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8') === sourceHash();
}

/** Builds the dashboard into `outDir` (replacing it whole); returns the build's wall time in ms. */
export async function buildUi(outDir = UI_OUT): Promise<number> {
  const t0 = performance.now();
  const { build } = await import('vite');
  const tmp = `${outDir}.build-${process.pid}`;
  const old = `${outDir}.old-${process.pid}`;
  const hash = sourceHash();
  // Vite keeps a NODE_ENV it finds (vitest sets `test`), and Preact then bundles its development checks:
  // the dashboard is always built as production, whoever builds it.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.join(UI_DIR, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true },
    });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
  await writeFile(path.join(tmp, STAMP), hash);
  // Two renames: the gap in which dist/ui is missing lasts microseconds, never a whole build.
  if (existsSync(outDir)) await rename(outDir, old);
  await rename(tmp, outDir);
  await rm(old, { recursive: true, force: true });
  return performance.now() - t0;
}

// `tsx ui/build.ts [--force]`: without --force a build of the same sources is kept (npm start runs this every time).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const where = path.relative(process.cwd(), UI_OUT) || UI_OUT;
  if (!process.argv.includes('--force') && isCurrent()) {
    process.stdout.write(`dashboard in ${where} is current\n`);
  } else {
    const ms = await buildUi();
    process.stdout.write(`dashboard built into ${where} in ${(ms / 1000).toFixed(1)} s\n`);
  }
}
