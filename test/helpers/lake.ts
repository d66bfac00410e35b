import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** GET `url`, with its status and JSON body. */
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
}

/** Every `.parquet` file under `dir` (absolute paths, dot directories included; a missing `dir` has none). */
export async function walkParquet(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walkParquet(p)));
    else if (e.name.endsWith('.parquet')) out.push(p);
  }
  return out;
}
