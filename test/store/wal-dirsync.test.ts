import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { WalWriter, type SealedSegment } from '../../src/store/wal/writer.js';
import { recoverWal } from '../../src/store/wal/recover.js';
import { repairOpenSegment } from '../../src/store/wal/repair.js';
import { tempDir } from '../helpers/server.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One observed step, with the directory's entries at that moment. */
interface Event {
  what: string;
  entries: string[];
}

/**
 * A `syncDir` that records each call (its argument and the directory as it
 * was then) and its completion, which it delays so that anything waiting for
 * it shows up after it in the log.
 */
function recordingSync(events: Event[], opts: { failOnCall?: number } = {}) {
  let calls = 0;
  return async (d: string) => {
    calls++;
    events.push({ what: `syncDir ${d === dir ? 'wal' : d}`, entries: readdirSync(dir).sort() });
    await new Promise((r) => setTimeout(r, 20));
    if (calls === opts.failOnCall) throw new Error('EIO: injected directory fsync failure');
    events.push({ what: 'syncDir done', entries: readdirSync(dir).sort() });
  };
}

const line = (i: number) => Buffer.from(JSON.stringify({ i }) + '\n');
const seg = (seq: number, sealed: boolean) => String(seq).padStart(12, '0') + (sealed ? '.sealed' : '.open');

function writer(events: Event[], opts: Partial<ConstructorParameters<typeof WalWriter>[0]> = {}) {
  return new WalWriter({
    dir, nextSeq: 1, commitDelayMs: 2, segmentMaxBytes: 1 << 20, segmentMaxAgeMs: 60_000,
    onSealed: (s: SealedSegment) => events.push({ what: `sealed ${path.basename(s.path)}`, entries: readdirSync(dir).sort() }),
    syncDir: recordingSync(events),
    ...opts,
  });
}

function append(w: WalWriter, events: Event[], i: number): Promise<void> {
  return w.append(line(i), 1).then(() => { events.push({ what: `append ${i} resolved`, entries: readdirSync(dir).sort() }); });
}

describe('WalWriter directory fsync', () => {
  it('syncs the directory after creating a segment, before its first append resolves, and after the rename, before onSealed', async () => {
    dir = await tempDir('lookspan-dirsync-');
    const events: Event[] = [];
    const w = writer(events);

    await append(w, events, 1);
    expect(events.map((e) => e.what)).toEqual(['syncDir wal', 'syncDir done', 'append 1 resolved']);
    // Called after the file exists under its .open name.
    expect(events[0].entries).toEqual([seg(1, false)]);

    // Further appends to the same segment: no directory sync on the append path.
    await Promise.all([2, 3, 4].map((i) => append(w, events, i)));
    await append(w, events, 5);
    expect(events.slice(3).map((e) => e.what)).toEqual(['append 2 resolved', 'append 3 resolved', 'append 4 resolved', 'append 5 resolved']);

    events.length = 0;
    await w.sealNow();
    expect(events.map((e) => e.what)).toEqual(['syncDir wal', 'syncDir done', `sealed ${seg(1, true)}`]);
    // Called after the rename.
    expect(events[0].entries).toEqual([seg(1, true)]);

    // The next append opens (and syncs) a new segment first.
    events.length = 0;
    await append(w, events, 6);
    expect(events.map((e) => e.what)).toEqual(['syncDir wal', 'syncDir done', 'append 6 resolved']);
    expect(events[0].entries).toEqual([seg(1, true), seg(2, false)]);

    events.length = 0;
    await w.close();
    expect(events.map((e) => e.what)).toEqual(['syncDir wal', 'syncDir done', `sealed ${seg(2, true)}`]);
  });

  it('on a size roll-over: rename synced before onSealed, new segment synced before the append that opened it resolves', async () => {
    dir = await tempDir('lookspan-dirsync-');
    const events: Event[] = [];
    const w = writer(events, { segmentMaxBytes: line(1).length + 1 });
    await append(w, events, 1);
    events.length = 0;
    await append(w, events, 2);
    expect(events.map((e) => e.what)).toEqual([
      'syncDir wal', 'syncDir done', `sealed ${seg(1, true)}`,
      'syncDir wal', 'syncDir done', 'append 2 resolved',
    ]);
    expect(events[0].entries).toEqual([seg(1, true)]);
    expect(events[3].entries).toEqual([seg(1, true), seg(2, false)]);
    await w.close();
  });

  it('never acknowledges an append whose segment directory entry could not be synced', async () => {
    dir = await tempDir('lookspan-dirsync-');
    const events: Event[] = [];
    const w = writer(events, { syncDir: recordingSync(events, { failOnCall: 1 }) });
    await expect(w.append(line(1), 1)).rejects.toThrow(/write-ahead log write failed: EIO/);
    expect(w.broken).not.toBeNull();
    await expect(w.append(line(2), 1)).rejects.toThrow(/write-ahead log write failed/);
    await w.close();
  });
});

describe('recovery directory fsync', () => {
  it('syncs the directory after the repair rename and after the removals, before returning the segments to load', async () => {
    dir = await tempDir('lookspan-dirsync-');
    await writeFile(path.join(dir, seg(1, true)), '{"a":1}\n'); // already loaded: removed
    await writeFile(path.join(dir, seg(2, false)), ''); // empty .open: removed
    await writeFile(path.join(dir, seg(3, false)), '{"a":1}\n{"a":'); // torn tail: repaired
    await writeFile(path.join(dir, seg(4, false)), '{"a":'); // no complete record: repaired, then removed
    await writeFile(path.join(dir, seg(5, true)), '{"a":1}\n{"a":2}\n'); // to load
    const events: Event[] = [];
    const r = await recoverWal(dir, new Set([1]), 1, pino({ level: 'silent' }), recordingSync(events));

    expect(r.pending.map((p) => path.basename(p.path))).toEqual([seg(3, true), seg(5, true)]);
    expect(events.map((e) => e.what)).toEqual([
      'syncDir wal', 'syncDir done', // after renaming 3
      'syncDir wal', 'syncDir done', // after renaming 4
      'syncDir wal', 'syncDir done', // after the removals of 1, 2 and 4
    ]);
    expect(events[0].entries).toContain(seg(3, true));
    expect(events[0].entries).not.toContain(seg(3, false));
    expect(events[2].entries).toContain(seg(4, true));
    expect(events[4].entries).toEqual([seg(3, true), seg(5, true)]);
    expect((await readdir(dir)).sort()).toEqual([seg(3, true), seg(5, true)]);
  });

  it('does not sync when nothing was renamed or removed', async () => {
    dir = await tempDir('lookspan-dirsync-');
    await writeFile(path.join(dir, seg(1, true)), '{"a":1}\n');
    const events: Event[] = [];
    const r = await recoverWal(dir, new Set(), 0, pino({ level: 'silent' }), recordingSync(events));
    expect(r.pending).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('repairOpenSegment syncs the segment directory after its rename', async () => {
    dir = await tempDir('lookspan-dirsync-');
    await writeFile(path.join(dir, seg(7, false)), '{"a":1}\n{"a":');
    const events: Event[] = [];
    const r = await repairOpenSegment(path.join(dir, seg(7, false)), recordingSync(events));
    expect(r.records).toBe(1);
    expect(events.map((e) => e.what)).toEqual(['syncDir wal', 'syncDir done']);
    expect(events[0].entries).toEqual([seg(7, true)]);
  });
});
