// Copies dashboards/*.json into helm/lookspan/dashboards/, which the chart's
// dashboard ConfigMaps read (Helm cannot read files outside the chart), and
// removes copies whose source is gone. test/deploy/helm.test.ts fails while
// the two folders differ. Usage: node scripts/sync-dashboards.mjs [--check]
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'dashboards');
const target = join(root, 'helm', 'lookspan', 'dashboards');
const check = process.argv.includes('--check');

const jsonIn = (dir) => {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch {
    return [];
  }
};

const wanted = jsonIn(source);
const present = jsonIn(target);
const stale = present.filter((name) => !wanted.includes(name));
const changed = wanted.filter(
  (name) => !present.includes(name) || !readFileSync(join(source, name)).equals(readFileSync(join(target, name))),
);

if (check) {
  if (stale.length + changed.length > 0) {
    console.error(`helm/lookspan/dashboards/ is out of date (changed: ${changed.join(', ') || 'none'}; stale: ${stale.join(', ') || 'none'}); run node scripts/sync-dashboards.mjs`);
    process.exit(1);
  }
  console.log('helm/lookspan/dashboards/ matches dashboards/');
} else {
  mkdirSync(target, { recursive: true });
  for (const name of changed) copyFileSync(join(source, name), join(target, name));
  for (const name of stale) rmSync(join(target, name));
  console.log(`copied ${changed.length}, removed ${stale.length}, ${wanted.length} dashboard(s) in helm/lookspan/dashboards/`);
}
