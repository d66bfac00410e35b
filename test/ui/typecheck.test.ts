/**
 * The dashboard's sources (ui/, DOM and JSX types) are not part of the root
 * tsconfig that `npm test` checks first, so this test runs their own
 * typecheck: a type error in a page fails the suite.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/server.js';

describe('ui/tsconfig.json', () => {
  it('typechecks the dashboard', () => {
    // The package's exports map does not expose its bin; the file is where npm put it.
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'ui/tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
