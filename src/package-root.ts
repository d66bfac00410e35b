import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'lookspan';

/**
 * The nearest directory at or above `fromDir` holding a package.json named
 * "lookspan". Assets (`proto/`, `package.json`) are resolved from there, so
 * the same code works from `src/` (tsx) and from the compiled `dist/`.
 */
export function findPackageRoot(fromDir: string): string {
  let dir = path.resolve(fromDir);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not ours (or not JSON): keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root (a package.json named "${PACKAGE_NAME}") above ${fromDir}`);
    dir = parent;
  }
}

/** The package root: the repository checkout, or the image's working directory. */
export const PACKAGE_ROOT: string = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package root. */
export function packagePath(...parts: string[]): string {
  return path.join(PACKAGE_ROOT, ...parts);
}
