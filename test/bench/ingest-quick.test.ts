import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, tempDir } from '../helpers/server.js';

// The CI smoke run of the ingest benchmark (`npm run bench -- --quick`). It
// checks that the run completes, prints every figure and writes its results
// file, and that no acknowledged span went missing; it never judges a timing
// (the machine is shared, and the figures are for reading, not for asserting).
let dir = '';
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function runQuick(resultsDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), '--quick', '--results', resultsDir], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    proc.on('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run bench -- --quick', () => {
  it('prints the floors, every per-protocol figure and a PASS/FAIL per target, and writes the results JSON', async () => {
    dir = await tempDir('lookspan-bench-quick-');
    const { code, out } = await runQuick(dir);
    expect(code, out).toBe(0);
    for (const line of ['http receive-only', 'grpc receive-only', 'WAL append + fsync only', 'DuckDB load only',
      'OTLP/HTTP protobuf+gzip', 'OTLP/gRPC gzip', 'ack at 1k spans/s offered', 'ack at 10k spans/s offered', 'saturation', 'WAL lag max', 'overload']) {
      expect(out).toContain(line);
    }
    expect(out).toMatch(/(PASS|FAIL) {2}OTLP\/HTTP sustained /);
    expect(out).toMatch(/(PASS|FAIL) {2}OTLP\/gRPC ack p99 at 10k spans\/s offered/);

    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}-quick-\d{6}\.json$/);
    const results = JSON.parse(await readFile(path.join(dir, files[0]), 'utf8'));
    expect(results.quick).toBe(true);
    expect(results.request.spans).toBe(1000);
    for (const floor of ['httpReceive', 'grpcReceive', 'walAppend', 'load']) {
      expect(results.floors[floor].spansPerSecond ?? results.floors[floor].ackedSpansPerSecond).toBeGreaterThan(0);
    }
    expect(results.floors.load.spans).toBe(10_000);
    for (const protocol of ['http', 'grpc']) {
      const p = results.protocols[protocol];
      expect(p.saturation.acked).toBeGreaterThan(0);
      expect(p.saturation.failed).toBe(0);
      expect(p.overload.failed).toBe(0);
      expect(Number.isFinite(p.ack10k.ackP99Ms)).toBe(true);
      // Every id is new, so every acknowledged span is stored once the loader caught up.
      expect(p.lostSpans).toBe(0);
    }
    expect(results.targets.length).toBe(14);
    for (const t of results.targets) expect(typeof t.pass).toBe('boolean');
  }, 240_000);
});
