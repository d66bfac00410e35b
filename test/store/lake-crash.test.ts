/**
 * The Parquet lake under crashes, and read by something that shares no code
 * with Lookspan.
 *
 * 1. A child Lookspan seals continuously (idle seal every second plus
 *    `POST /api/storage/seal` now and then) while a gRPC load generator sends
 *    new traces, late spans for acknowledged traces and re-sends of
 *    acknowledged batches; it is SIGKILLed at seeded random moments. After
 *    every restart each acknowledged span is there exactly once and every
 *    Parquet file under `lake/` is readable.
 * 2. The span files, read with hyparquet alone (project from the path),
 *    agree with what the API reports.
 *
 * Seed: LOOKSPAN_LAKE_CRASH_SEED (printed on every run).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { compressors as hyparquetCompressors } from 'hyparquet-compressors';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects, type Compressors } from 'hyparquet';
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from '../../src/receivers/otlp/proto-root.js';
import { startChildServer, startTestServer, tempDir, waitLoaded, type ChildServer } from '../helpers/server.js';
import { rawTraceClient } from '../helpers/grpc.js';
import { hexId, otlpJsonTrace, postJson } from '../helpers/otlp-json.js';
import { walkParquet, getJson } from '../helpers/lake.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** mulberry32: a small seeded PRNG, so a failing run's kill moments can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- crash test

interface SentSpan { spanId: string; startNs: bigint }

/** One OTLP batch (protobuf) of spans of one trace. */
function encodeBatch(traceId: string, rootId: string, spans: SentSpan[]): Buffer {
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'lake-crash' } }] },
      scopeSpans: [{
        scope: { name: 'lake-crash' },
        spans: spans.map((s) => ({
          traceId: Buffer.from(traceId, 'hex'),
          spanId: Buffer.from(s.spanId, 'hex'),
          parentSpanId: s.spanId === rootId ? undefined : Buffer.from(rootId, 'hex'),
          name: s.spanId === rootId ? 'invoke_agent crash' : 'chat gpt-4o-mini',
          kind: 3,
          startTimeUnixNano: String(s.startNs),
          endTimeUnixNano: String(s.startNs + 1_000_000n),
          attributes: [
            { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
            { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
            { key: 'gen_ai.usage.input_tokens', value: { intValue: 7 } },
          ],
          status: { code: 1 },
        })),
      }],
    }],
  })).finish());
}

interface TraceBook {
  rootId: string;
  /** Span ids whose batch was acknowledged: must be stored, once. */
  acked: Set<string>;
  /** Span ids ever sent (acknowledged or not): the only ones that may be stored. */
  sent: Set<string>;
  /** Acknowledged batches, for re-sends. */
  batches: Buffer[];
}

/**
 * Sends over gRPC from `workers` loops until stopped: mostly new traces,
 * sometimes late spans for an acknowledged trace, sometimes a re-send of an
 * acknowledged batch. Records in `book` what was sent and what acknowledged.
 */
function grpcLoad(address: string, book: Map<string, TraceBook>, rand: () => number, touched: Set<string>, workers = 2) {
  const client = rawTraceClient(address, { 'grpc.max_reconnect_backoff_ms': 200, 'grpc.initial_reconnect_backoff_ms': 50 });
  let running = true;
  let acks = 0;
  const ackedTraces = () => [...book.entries()].filter(([, b]) => b.acked.size > 0);
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const r = rand();
      const known = ackedTraces();
      let traceId: string;
      let body: Buffer;
      let spans: SentSpan[] = [];
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      if (r < 0.2 && known.length > 0) {
        // A re-send of an acknowledged batch (a collector retrying after a lost ack).
        const [id, b] = known[Math.floor(rand() * known.length)];
        traceId = id;
        body = b.batches[Math.floor(rand() * b.batches.length)];
      } else if (r < 0.45 && known.length > 0) {
        // Late spans for an acknowledged trace (most likely sealed by now).
        const [id, b] = known[Math.floor(rand() * known.length)];
        traceId = id;
        spans = Array.from({ length: 2 }, (_, i) => ({ spanId: randomBytes(8).toString('hex'), startNs: nowNs + BigInt(i) * 1000n }));
        body = encodeBatch(id, b.rootId, spans);
      } else {
        traceId = randomBytes(16).toString('hex');
        const rootId = randomBytes(8).toString('hex');
        spans = Array.from({ length: 5 }, (_, i) => ({ spanId: i === 0 ? rootId : randomBytes(8).toString('hex'), startNs: nowNs + BigInt(i) * 1000n }));
        book.set(traceId, { rootId, acked: new Set(), sent: new Set(), batches: [] });
        body = encodeBatch(traceId, rootId, spans);
      }
      const entry = book.get(traceId)!;
      touched.add(traceId);
      for (const s of spans) entry.sent.add(s.spanId);
      const { err, response } = await client.export(body);
      if (err === null && response) {
        const resp = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(response)) as any;
        if (!resp.partialSuccess || !Number(resp.partialSuccess.rejectedSpans ?? 0)) {
          for (const s of spans) entry.acked.add(s.spanId);
          if (spans.length > 0) entry.batches.push(body);
          acks++;
        }
      } else {
        await sleep(20);
      }
      await sleep(80 + Math.floor(rand() * 100));
    }
  });
  return {
    acks: () => acks,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      client.close();
    },
  };
}

/** POSTs /api/storage/seal at random intervals until stopped. */
function sealTrigger(url: string, rand: () => number) {
  let running = true;
  let ok = 0;
  const loop = (async () => {
    while (running) {
      await sleep(200 + Math.floor(rand() * 700));
      if (!running) break;
      try {
        const res = await fetch(`${url}/api/storage/seal`, { method: 'POST' });
        await res.arrayBuffer();
        if (res.status === 200) ok++;
      } catch {
        // The server was killed mid-request.
      }
    }
  })();
  return { sealed: () => ok, stop: async () => { running = false; await loop; } };
}

/** Runs `fn` over `items` with `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

/** Every acknowledged span stored exactly once; nothing stored that was never sent. */
async function expectBook(url: string, book: Map<string, TraceBook>, round: number, only?: Set<string>, log: () => string = () => ''): Promise<number> {
  const problems: string[] = [];
  let checked = 0;
  const traces = [...book.entries()].filter(([id, b]) => b.sent.size > 0 && (!only || only.has(id)));
  await pool(traces, 8, async ([id, b]) => {
    const res = await fetch(`${url}/api/traces/${id}`);
    if (res.status === 404) {
      await res.arrayBuffer();
      if (b.acked.size > 0) problems.push(`round ${round}: trace ${id} with ${b.acked.size} acknowledged span(s) is missing`);
      return;
    }
    const t = (await res.json()) as any;
    if (res.status !== 200) {
      const errs = log().split('\n').filter((l) => /"level":(50|60)/.test(l));
      problems.push(`round ${round}: GET /api/traces/${id} answered ${res.status} ${JSON.stringify(t).slice(0, 300)}; server: ${(errs.at(-1) ?? '').slice(0, 1500)}`);
      return;
    }
    const ids: string[] = t.spans.map((s: any) => s.id);
    const unique = new Set(ids);
    if (unique.size !== ids.length) problems.push(`round ${round}: trace ${id} has duplicate span ids (${ids.length} spans, ${unique.size} distinct)`);
    if (t.spanCount !== ids.length) problems.push(`round ${round}: trace ${id} spanCount ${t.spanCount} but ${ids.length} spans listed`);
    for (const s of b.acked) if (!unique.has(s)) problems.push(`round ${round}: trace ${id} lost acknowledged span ${s}`);
    for (const s of unique) if (!b.sent.has(s)) problems.push(`round ${round}: trace ${id} holds span ${s} that was never sent`);
    checked++;
  });
  expect(problems.slice(0, 10), `${problems.length} problem(s)`).toEqual([]);
  return checked;
}

/** The trace list (merged summaries) counts each trace's spans once: at least the acknowledged, at most the sent. */
async function expectList(url: string, book: Map<string, TraceBook>, round: number, log: () => string = () => ''): Promise<void> {
  const seen = new Map<string, number>();
  for (let offset = 0; ; offset += 1000) {
    const page = (await getJson(`${url}/api/traces?total=1&limit=1000&offset=${offset}`)).body;
    for (const t of page.traces) seen.set(t.id, t.spanCount);
    if (page.traces.length < 1000) break;
  }
  const problems: string[] = [];
  for (const [id, b] of book) {
    const n = seen.get(id);
    if (b.acked.size > 0 && n === undefined) problems.push(`round ${round}: trace ${id} missing from the list`);
    if (n !== undefined && (n < b.acked.size || n > b.sent.size)) problems.push(`round ${round}: trace ${id} listed with ${n} spans; acknowledged ${b.acked.size}, sent ${b.sent.size}`);
  }
  for (const id of seen.keys()) if (!book.has(id)) problems.push(`round ${round}: unknown trace ${id} listed`);
  if (problems.length > 0) {
    const storage = (await getJson(`${url}/api/storage`)).body;
    problems.push(`storage: ${JSON.stringify({ hot: storage.hot, missingFiles: storage.missingFiles, lastSeal: storage.lastSeal, lastCompaction: storage.lastCompaction })}`);
    problems.push(`server warnings: ${log().split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-5).join(' | ').slice(0, 3000)}`);
  }
  expect([...problems.slice(0, 6), ...problems.slice(-2)], `${problems.length} problem(s)`).toEqual([]);
}

/** Every Parquet file under lake/ reads in a fresh DuckDB; the catalog names no missing file. */
async function expectLakeReadable(dir: string, url: string): Promise<number> {
  const files = await walkParquet(path.join(dir, 'lake'));
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const bad: string[] = [];
  try {
    for (const f of files) {
      try {
        const n = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${f.replace(/'/g, "''")}')`)).getRows()[0][0]);
        if (!(n > 0)) bad.push(`${f}: ${n} rows`);
      } catch (err) {
        // A file may only disappear if start-up removed it; anything else is a torn file.
        if ((await walkParquet(path.dirname(f))).includes(f)) bad.push(`${f}: ${(err as Error).message}`);
      }
    }
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
  expect(bad).toEqual([]);
  const storage = (await getJson(`${url}/api/storage`)).body;
  expect(storage.missingFiles).toEqual([]);
  return files.length;
}

describe('the Parquet lake under SIGKILL', () => {
  it('keeps every acknowledged span exactly once and every lake file readable across repeated kills while sealing', async () => {
    const seed = Number(process.env.LOOKSPAN_LAKE_CRASH_SEED ?? (Date.now() % 2 ** 31));
    console.log(`lake-crash seed: ${seed} (LOOKSPAN_LAKE_CRASH_SEED=${seed} to replay the kill moments)`);
    const rand = prng(seed);
    const dir = await tempDir('lookspan-lake-crash-');
    dirs.push(dir);
    const env = { LOOKSPAN_SEAL_IDLE_SECONDS: '1', LOOKSPAN_SEAL_INTERVAL_SECONDS: '1', LOOKSPAN_REPLICA: 'r1' };
    const book = new Map<string, TraceBook>();
    const KILLS = 10;
    const touched = new Set<string>();
    let child: ChildServer | null = null;
    let totalSeals = 0;
    try {
      for (let round = 0; round <= KILLS; round++) {
        const t0 = Date.now();
        child = await startChildServer(dir, env);
        const t1 = Date.now();
        await waitLoaded(child, 30_000);
        const t2 = Date.now();
        // Every trace through the list; through GET /api/traces/:id the ones the last round touched
        // (a seeded sample of them, as a detail lookup reads every lake file), and all of them at the end.
        await expectList(child.httpUrl, book, round, child.output);
        const sample = new Set([...touched].filter(() => rand() < 0.5).slice(0, 15));
        const checked = await expectBook(child.httpUrl, book, round, round === KILLS ? undefined : sample, child.output);
        touched.clear();
        const t3 = Date.now();
        const files = await expectLakeReadable(dir, child.httpUrl);
        if (process.env.LOOKSPAN_LAKE_CRASH_DEBUG) console.log(`round ${round}: start ${t1 - t0} ms, replay ${t2 - t1} ms, check ${checked} traces ${t3 - t2} ms, ${files} files ${Date.now() - t3} ms`);
        if (round === KILLS) {
          console.log(`lake-crash: ${KILLS} kills, all ${checked} traces checked, ${files} lake files, ${totalSeals} explicit seals answered`);
          break;
        }
        const load = grpcLoad(child.grpcAddress, book, rand, touched);
        const seals = sealTrigger(child.httpUrl, rand);
        const killAfter = 1000 + Math.floor(rand() * 2000);
        await sleep(killAfter);
        child.proc.kill('SIGKILL');
        await child.exited;
        child = null;
        await Promise.all([load.stop(), seals.stop()]);
        totalSeals += seals.sealed();
        expect(load.acks(), `round ${round}: acknowledged batches`).toBeGreaterThan(0);
      }
      const acked = [...book.values()].reduce((n, b) => n + b.acked.size, 0);
      expect(acked).toBeGreaterThan(0);
      // Late spans and re-sends happened, so sealed traces were extended and re-sent.
      expect([...book.values()].some((b) => b.batches.length > 1)).toBe(true);
      // A clean stop after all that.
      child!.proc.kill('SIGTERM');
      expect(await child!.exited).toBe(0);
      child = null;
    } finally {
      if (child) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
    }
  }, 150_000);
});

// ---------------------------------------------------------- independent reader

/** hyparquet ships no zstd decoder; hyparquet-compressors (its companion, pure JS) adds it. Counted so the test proves the files are zstd. */
let zstdPages = 0;
const compressors: Compressors = {
  ZSTD: (input: Uint8Array, outputLength: number) => {
    zstdPages++;
    return hyparquetCompressors.ZSTD!(input, outputLength);
  },
};

describe('the lake read by an independent Parquet reader', () => {
  it('span files read with hyparquet give the span counts and token sums the API reports', async () => {
    const dir = await tempDir('lookspan-lake-hyparquet-');
    dirs.push(dir);
    const s = await startTestServer({ storage: { replica: 'r1' } }, dir);
    // OTLP traces (100 input tokens per span) in the default project; native spans in two others,
    // one whose id needs percent-encoding in the partition path.
    const otlp = [hexId(16), hexId(16), hexId(16)];
    const native: Record<string, Array<{ traceId: string; spans: number; tokens: number[] }>> = {
      'team-b': [{ traceId: 'nt-1', spans: 3, tokens: [11, 12, 13] }, { traceId: 'nt-2', spans: 1, tokens: [40] }],
      'a/b c=d%': [{ traceId: 'weird-1', spans: 2, tokens: [5, 6] }],
    };
    const expected = new Map<string, Map<string, number>>(); // project -> trace -> spans
    const tokens = new Map<string, bigint>();
    try {
      for (const [i, t] of otlp.entries()) {
        expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(t, 3 + i))).status).toBe(200);
      }
      for (const [projectId, traces] of Object.entries(native)) {
        const spans = traces.flatMap((t) => t.tokens.map((n, k) => ({
          traceId: t.traceId, spanId: `${t.traceId}-s${k}`, parentSpanId: k === 0 ? null : `${t.traceId}-s0`,
          name: k === 0 ? 'agent.run' : 'llm', type: k === 0 ? 'agent' : 'llm_call',
          startedAt: `2026-06-0${k + 1}T23:59:59.250Z`, endedAt: `2026-06-0${k + 1}T23:59:59.750Z`,
          usage: { inputTokens: n, outputTokens: 1 },
        })));
        expect((await postJson(`${s.httpUrl}/api/ingest`, { projectId, spans })).status).toBe(200);
      }
      await waitLoaded(s);
      let sealed = (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' }).then((r) => r.json())) as any;
      expect(sealed.storage.hot.spans).toBe(0);
      // A late span for a sealed trace: its trace is now in two seals' files.
      expect((await postJson(`${s.httpUrl}/v1/traces`, otlpJsonTrace(otlp[0], 2))).status).toBe(200);
      await waitLoaded(s);
      sealed = (await fetch(`${s.httpUrl}/api/storage/seal`, { method: 'POST' }).then((r) => r.json())) as any;
      expect(sealed.storage.hot.spans).toBe(0);

      // What the API says.
      for (const projectId of ['default', ...Object.keys(native)]) {
        const q = `projectId=${encodeURIComponent(projectId)}`;
        const list = (await getJson(`${s.httpUrl}/api/traces?total=1&limit=1000&${q}`)).body;
        const perTrace = new Map<string, number>();
        let sum = 0n;
        for (const t of list.traces) {
          const detail = (await getJson(`${s.httpUrl}/api/traces/${encodeURIComponent(t.id)}?${q}`)).body;
          expect(detail.spans).toHaveLength(detail.spanCount);
          expect(detail.spanCount).toBe(t.spanCount);
          perTrace.set(t.id, detail.spanCount);
          sum += BigInt(t.totalUsage.inputTokens);
        }
        expected.set(projectId, perTrace);
        tokens.set(projectId, sum);
      }
    } finally {
      await s.dispose().catch(() => {});
    }
    // The API figures are the ones sent.
    expect(expected.get('default')).toEqual(new Map([[otlp[0], 3 + 2], [otlp[1], 4], [otlp[2], 5]]));
    expect(tokens.get('default')).toBe(BigInt((5 + 4 + 5) * 100));
    expect(expected.get('team-b')).toEqual(new Map([['nt-1', 3], ['nt-2', 1]]));
    expect(tokens.get('team-b')).toBe(11n + 12n + 13n + 40n);
    expect(tokens.get('a/b c=d%')).toBe(11n);

    // What the files say, read with hyparquet alone; project and date from the path.
    const spansRoot = path.join(dir, 'lake', 'spans');
    const files = await walkParquet(spansRoot);
    expect(files.length).toBeGreaterThan(0);
    const seen = new Map<string, Map<string, number>>();
    const seenTokens = new Map<string, bigint>();
    const ids = new Set<string>();
    for (const f of files) {
      const m = /^project_id=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/r1-\d{9}-\d+\.parquet$/.exec(path.relative(spansRoot, f).split(path.sep).join('/'));
      expect(m, f).not.toBeNull();
      const projectId = decodeURIComponent(m![1]);
      const date = m![2];
      const rows = await parquetReadObjects({
        file: await asyncBufferFromFile(f),
        compressors,
        // Keep microseconds: hyparquet's default turns TIMESTAMP_MICROS into a millisecond Date.
        parsers: { timestampFromMicroseconds: (us: bigint) => us },
      });
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.project_id, 'project_id lives in the path, not the file').toBeUndefined();
        expect(typeof r.started_at).toBe('bigint');
        expect(new Date(Number((r.started_at as bigint) / 1000n)).toISOString().slice(0, 10), 'date partition = UTC start date').toBe(date);
        const key = `${projectId}\u0000${r.trace_id}\u0000${r.span_id}`;
        expect(ids.has(key), `span ${key} in two files`).toBe(false);
        ids.add(key);
        const per = seen.get(projectId) ?? new Map<string, number>();
        per.set(r.trace_id, (per.get(r.trace_id) ?? 0) + 1);
        seen.set(projectId, per);
        if (r.input_tokens !== null && r.input_tokens !== undefined) {
          expect(typeof r.input_tokens).toBe('bigint');
          seenTokens.set(projectId, (seenTokens.get(projectId) ?? 0n) + (r.input_tokens as bigint));
        }
      }
    }
    expect(zstdPages, 'the files are zstd-compressed, as documented').toBeGreaterThan(0);
    expect(seen).toEqual(expected);
    expect(seenTokens).toEqual(tokens);
  });
});
