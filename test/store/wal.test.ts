import { afterEach, describe, expect, it } from 'vitest';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WalWriter, type SealedSegment } from '../../src/store/wal/writer.js';
import { repairOpenSegment } from '../../src/store/wal/repair.js';
import { tempDir } from '../helpers/server.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function writer(sealed: SealedSegment[], opts: Partial<ConstructorParameters<typeof WalWriter>[0]> = {}) {
  return new WalWriter({
    dir, nextSeq: 1, commitDelayMs: 2, segmentMaxBytes: 1 << 20, segmentMaxAgeMs: 60_000,
    onSealed: (s) => sealed.push(s), ...opts,
  });
}

describe('WalWriter', () => {
  it('group-commits concurrent appends: every append resolves after fsync, fewer fsyncs than appends', async () => {
    dir = await tempDir('lookspan-wal-');
    const sealed: SealedSegment[] = [];
    const w = writer(sealed);
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => w.append(Buffer.from(JSON.stringify({ i }) + '\n'), 1)));
    expect(w.syncs).toBeGreaterThan(0);
    expect(w.syncs).toBeLessThan(n / 4);
    await w.close();
    expect(sealed).toHaveLength(1);
    expect(sealed[0].spans).toBe(n);
    const lines = (await readFile(sealed[0].path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).i);
    expect(lines.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('rolls to a new segment at the size bound and refuses appends after close', async () => {
    dir = await tempDir('lookspan-wal-');
    const sealed: SealedSegment[] = [];
    const w = writer(sealed, { segmentMaxBytes: 100 });
    for (let i = 0; i < 5; i++) await w.append(Buffer.from(JSON.stringify({ pad: 'x'.repeat(60), i }) + '\n'), 1);
    await w.close();
    expect(sealed.length).toBe(5);
    expect(sealed.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5]);
    await expect(w.append(Buffer.from('{}\n'), 1)).rejects.toThrow(/closed/);
    await w.close();
  });

  it('seals a segment once it is old enough', async () => {
    dir = await tempDir('lookspan-wal-');
    const sealed: SealedSegment[] = [];
    const w = writer(sealed, { segmentMaxAgeMs: 100 });
    await w.append(Buffer.from('{"a":1}\n'), 1);
    const t0 = Date.now();
    while (sealed.length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(sealed).toHaveLength(1);
    expect(w.openStats).toBeNull();
    await w.close();
  });
});

describe('repairOpenSegment', () => {
  it('cuts at the first incomplete or unparsable record and seals the file', async () => {
    dir = await tempDir('lookspan-wal-');
    const p = path.join(dir, '000000000007.open');
    await writeFile(p, Buffer.concat([Buffer.from('{"a":1}\n{"a":2}\n{"a":'), Buffer.alloc(10)]));
    const r = await repairOpenSegment(p);
    expect(r.records).toBe(2);
    expect(r.bytesCut).toBe(15);
    expect(await readdir(dir)).toEqual(['000000000007.sealed']);
    expect(await readFile(r.path, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it('drops zero-filled pages written after the last fsync', async () => {
    dir = await tempDir('lookspan-wal-');
    const p = path.join(dir, '000000000008.open');
    await writeFile(p, Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.alloc(4096), Buffer.from('{"a":3}\n')]));
    const r = await repairOpenSegment(p);
    expect(r.records).toBe(1);
    expect(await readFile(r.path, 'utf8')).toBe('{"a":1}\n');
  });
});
