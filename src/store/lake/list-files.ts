import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Every `.parquet` file under `dir` as a path relative to it (`/`-separated),
 * sorted, skipping dot directories (`.tmp` holds seals in progress). A
 * missing `dir` is an empty lake.
 */
export async function listParquetFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else if (e.isFile() && e.name.endsWith('.parquet')) out.push(r);
    }
  };
  await walk(dir, '');
  return out;
}
