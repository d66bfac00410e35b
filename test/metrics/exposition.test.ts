// docs/metrics.md and the /metrics exposition cannot drift apart: every metric
// documented in a `### \`name\`` heading is exposed at start-up with the
// documented type, and every exposed metric is documented (ours in a heading,
// prom-client's default process metrics in the table).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startTestServer, type TestServer } from '../helpers/server.js';

interface Documented { name: string; type: string | null }

async function documented(): Promise<{ headings: Documented[]; table: Documented[] }> {
  const md = await readFile(path.join(ROOT, 'docs/metrics.md'), 'utf8');
  const headings: Documented[] = [];
  const sections = md.split(/^### /m).slice(1);
  for (const section of sections) {
    const name = /^`([a-z_:][a-z0-9_:]*)`/.exec(section)?.[1];
    if (!name) continue;
    headings.push({ name, type: /\*\*Type:\*\*\s+(counter|gauge|histogram|summary)/.exec(section)?.[1] ?? null });
  }
  const table = [...md.matchAll(/^\| `(lookspan_[a-z0-9_]+)` \| (counter|gauge|histogram|summary) \|/gm)].map((m) => ({ name: m[1], type: m[2] }));
  return { headings, table };
}

describe('docs/metrics.md against /metrics at start-up', () => {
  let server: TestServer;
  let exposed: Map<string, string>;
  let contentType: string | null;

  beforeAll(async () => {
    server = await startTestServer();
    const res = await fetch(`${server.httpUrl}/metrics`);
    contentType = res.headers.get('content-type');
    const text = await res.text();
    exposed = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('is the Prometheus text format', () => {
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
  });

  it('exposes every documented metric with its documented type', async () => {
    const { headings, table } = await documented();
    expect(headings.length).toBeGreaterThanOrEqual(30);
    for (const { name, type } of headings) {
      expect(type, `${name}: no **Type:** line in docs/metrics.md`).not.toBeNull();
      expect(exposed.get(name), `${name} is documented but not exposed`).toBe(type);
    }
    for (const { name, type } of table) {
      // Some process metrics exist on Linux only.
      if (exposed.has(name)) expect(exposed.get(name), name).toBe(type);
    }
  });

  it('documents every exposed metric', async () => {
    const { headings, table } = await documented();
    const names = new Set([...headings, ...table].map((d) => d.name));
    expect([...exposed.keys()].filter((n) => !names.has(n))).toEqual([]);
    expect([...exposed.keys()].every((n) => n.startsWith('lookspan_'))).toBe(true);
  });
});
