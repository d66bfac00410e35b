import { mkdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { BIGINT, LIST, VARCHAR, listValue } from '@duckdb/node-api';
import type { Database } from './duckdb/database.js';
import { SPAN_INSERT_SQL, WAL_COLUMNS_SQL } from './columns.js';
import type { SealedSegment } from './wal/writer.js';

// One object may be as large as a whole decompressed request.
const MAX_OBJECT_SIZE = 256 * 1024 * 1024;

// Several segments per statement: DuckDB's per-statement cost dominated small segments (measured-floors.md).
const MAX_BATCH_BYTES = 256 * 1024 * 1024;
const MAX_BATCH_SEGMENTS = 64;
/** Attempts on a lone segment before it is set aside so later segments can load. */
const MAX_SEGMENT_ATTEMPTS = 3;
const RETRY_DELAY_MS = 1000;

const STAGE_SQL = `
  CREATE OR REPLACE TEMP TABLE wal_batch AS
  SELECT * FROM read_json($1, format = 'newline_delimited', columns = ${WAL_COLUMNS_SQL},
                          maximum_object_size = ${MAX_OBJECT_SIZE})`;

// A sender retrying inside the batch window puts one span twice in a batch.
// Checking first keeps the common case free of a sort over wide rows.
const HAS_BATCH_DUPLICATES_SQL = `
  SELECT count(*) <> count(DISTINCT (project_id, trace_id, span_id)) AS dup FROM wal_batch`;
const DEDUP_BATCH_SQL = `
  DELETE FROM wal_batch WHERE rowid NOT IN (
    SELECT min(rowid) FROM wal_batch GROUP BY project_id, trace_id, span_id)`;

// (project_id, trace_id, span_id) is the identity: a re-sent batch adds nothing.
const DEDUP_SQL = `
  DELETE FROM wal_batch b WHERE EXISTS (
    SELECT 1 FROM spans s WHERE s.project_id = b.project_id AND s.trace_id = b.trace_id AND s.span_id = b.span_id)`;

const INSERT_SPANS_SQL = `
  INSERT INTO spans (${SPAN_INSERT_SQL.map(([c]) => c).join(', ')})
  SELECT ${SPAN_INSERT_SQL.map(([, e]) => e).join(', ')} FROM wal_batch`;

const pickRoot = (col: string) =>
  `coalesce(any_value(${col}) FILTER (WHERE parent_span_id IS NULL AND ${col} IS NOT NULL), arg_min(${col}, started_us) FILTER (WHERE ${col} IS NOT NULL))`;

const UPSERT_TRACES_SQL = `
  INSERT INTO traces
  SELECT project_id, trace_id, make_timestamp(min(started_us)), make_timestamp(max(ended_us)),
    any_value(span_id) FILTER (WHERE parent_span_id IS NULL),
    any_value(name) FILTER (WHERE parent_span_id IS NULL),
    arg_min(name, started_us),
    CASE WHEN bool_or(status = 'error') THEN 'error' WHEN bool_or(status = 'ok') THEN 'ok' ELSE 'unset' END,
    ${pickRoot('service_name')}, ${pickRoot('framework')}, ${pickRoot('session_id')}, ${pickRoot('user_id')}, ${pickRoot('agent_name')},
    count(*), count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE type = 'llm_call'),
    count(*) FILTER (WHERE type = 'tool_call'),
    coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), sum(cost_usd),
    coalesce(list_distinct(list(coalesce(response_model, request_model)) FILTER (WHERE coalesce(response_model, request_model) IS NOT NULL)), [])
  FROM wal_batch GROUP BY project_id, trace_id
  ON CONFLICT (project_id, trace_id) DO UPDATE SET
    started_at = least(traces.started_at, excluded.started_at),
    ended_at = greatest(traces.ended_at, excluded.ended_at),
    root_span_id = coalesce(excluded.root_span_id, traces.root_span_id),
    root_name = coalesce(excluded.root_name, traces.root_name),
    first_name = CASE WHEN excluded.started_at < traces.started_at THEN excluded.first_name ELSE traces.first_name END,
    status = CASE WHEN traces.status = 'error' OR excluded.status = 'error' THEN 'error'
                  WHEN traces.status = 'ok' OR excluded.status = 'ok' THEN 'ok' ELSE 'unset' END,
    service_name = CASE WHEN excluded.root_span_id IS NOT NULL THEN coalesce(excluded.service_name, traces.service_name) ELSE coalesce(traces.service_name, excluded.service_name) END,
    framework = CASE WHEN excluded.root_span_id IS NOT NULL THEN coalesce(excluded.framework, traces.framework) ELSE coalesce(traces.framework, excluded.framework) END,
    session_id = coalesce(traces.session_id, excluded.session_id),
    user_id = coalesce(traces.user_id, excluded.user_id),
    agent_name = CASE WHEN excluded.root_span_id IS NOT NULL THEN coalesce(excluded.agent_name, traces.agent_name) ELSE coalesce(traces.agent_name, excluded.agent_name) END,
    span_count = traces.span_count + excluded.span_count,
    error_count = traces.error_count + excluded.error_count,
    llm_call_count = traces.llm_call_count + excluded.llm_call_count,
    tool_call_count = traces.tool_call_count + excluded.tool_call_count,
    input_tokens = traces.input_tokens + excluded.input_tokens,
    output_tokens = traces.output_tokens + excluded.output_tokens,
    cost_usd = CASE WHEN traces.cost_usd IS NULL THEN excluded.cost_usd WHEN excluded.cost_usd IS NULL THEN traces.cost_usd
                    ELSE traces.cost_usd + excluded.cost_usd END,
    models = list_distinct(list_concat(traces.models, excluded.models))`;

export interface LoaderStats {
  /** Sealed segments waiting for the loader. */
  queuedSegments: number;
  queuedBytes: number;
  queuedSpans: number;
  oldestFirstWriteAt: number | null;
  loadedSegments: number;
  loadedSpans: number;
  insertedSpans: number;
  lastLoadMs: number | null;
  lastError: string | null;
  /** Segments set aside after repeated load failures (kept on disk under wal/quarantine). */
  quarantinedSegments: number;
  quarantinedSpans: number;
}

/**
 * The single owner of writes to DuckDB: moves sealed WAL segments into the
 * spans and traces tables with set-based statements that run on DuckDB's
 * threads, exactly once: the rows and the `wal_segments` record commit in
 * one transaction, and the file is deleted only after that commit.
 */
export class SegmentLoader {
  private queue: SealedSegment[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  readonly stats: LoaderStats = {
    queuedSegments: 0, queuedBytes: 0, queuedSpans: 0, oldestFirstWriteAt: null,
    loadedSegments: 0, loadedSpans: 0, insertedSpans: 0, lastLoadMs: null, lastError: null,
    quarantinedSegments: 0, quarantinedSpans: 0,
  };
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  enqueue(segment: SealedSegment): void {
    this.queue.push(segment);
    this.recount();
    this.kick();
  }

  /** Resolves when the queue is empty (or the loader stopped). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      this.kick();
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops after the segment in progress; what is left is replayed at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.running) await this.running;
  }

  private kick(): void {
    if (this.running || this.stopped || this.queue.length === 0 || Date.now() < this.retryAt) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.nextBatch();
      const t0 = performance.now();
      try {
        const inserted = await this.load(batch);
        this.failures = 0;
        this.queue.splice(0, batch.length);
        this.recount();
        this.stats.loadedSegments += batch.length;
        for (const seg of batch) this.stats.loadedSpans += seg.spans;
        this.stats.insertedSpans += inserted;
        this.stats.lastLoadMs = performance.now() - t0;
        this.stats.lastError = null;
        for (const seg of batch) {
          await unlink(seg.path).catch((err) => this.log.warn({ err, path: seg.path }, 'could not delete loaded WAL segment'));
        }
      } catch (err) {
        // The segments stay queued and on disk; nothing is lost, ingest goes on into the WAL.
        this.failures++;
        this.stats.lastError = (err as Error).message;
        this.log.error({ err, segments: batch.map((b) => b.path) }, 'loading WAL segments failed; will retry');
        // Only a deterministic data error is a bad segment; I/O or memory errors are retried forever.
        const dataError = /Invalid Input Error|Conversion Error|JSON/i.test((err as Error).message);
        if (batch.length === 1 && dataError && this.failures >= MAX_SEGMENT_ATTEMPTS) {
          await this.quarantine(batch[0], err as Error);
          continue;
        }
        this.retryAt = Date.now() + RETRY_DELAY_MS;
        this.retryTimer = setTimeout(() => this.kick(), RETRY_DELAY_MS);
        this.retryTimer.unref();
        return;
      }
    }
  }

  /**
   * Moves a segment that keeps failing to `wal/quarantine/` so it cannot
   * block every later segment. The file is kept whole for inspection and
   * replay (move it back into `wal/` after fixing the cause).
   */
  private async quarantine(seg: SealedSegment, err: Error): Promise<void> {
    const dir = path.join(path.dirname(seg.path), 'quarantine');
    await mkdir(dir, { recursive: true });
    await rename(seg.path, path.join(dir, path.basename(seg.path)));
    this.queue.shift();
    this.recount();
    this.failures = 0;
    this.stats.quarantinedSegments++;
    this.stats.quarantinedSpans += seg.spans;
    this.log.error({ segment: seg.path, err }, 'WAL segment set aside in wal/quarantine after repeated load failures');
  }

  /** The oldest queued segments, up to the batch bounds; one at a time after a failure, to isolate a bad segment. */
  private nextBatch(): SealedSegment[] {
    if (this.failures > 0) return this.queue.slice(0, 1);
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_BATCH_SEGMENTS && (n === 0 || bytes + this.queue[n].bytes <= MAX_BATCH_BYTES)) {
      bytes += this.queue[n].bytes;
      n++;
    }
    return this.queue.slice(0, n);
  }

  /** Loads segments in one transaction with their `wal_segments` records; returns the spans inserted. */
  private async load(batch: SealedSegment[]): Promise<number> {
    const conn = this.db.writer;
    await conn.run('BEGIN TRANSACTION');
    try {
      const seqs = batch.map((s) => s.seq);
      const done = await conn.runAndReadAll('SELECT seq FROM wal_segments WHERE list_contains($1, seq)', [listValue(seqs.map((n) => BigInt(n)))], [LIST(BIGINT)]);
      const loaded = new Set(done.getRows().map((r) => Number(r[0])));
      const todo = batch.filter((s) => !loaded.has(s.seq));
      let inserted = 0;
      if (todo.length > 0) {
        await conn.run(STAGE_SQL, [listValue(todo.map((s) => s.path))], [LIST(VARCHAR)]);
        const dup = await conn.runAndReadAll(HAS_BATCH_DUPLICATES_SQL);
        if (dup.getRows()[0][0] === true) await conn.run(DEDUP_BATCH_SQL);
        await conn.run(DEDUP_SQL);
        inserted = (await conn.run(INSERT_SPANS_SQL)).rowsChanged;
        if (inserted > 0) await conn.run(UPSERT_TRACES_SQL);
        // Inserted rows are attributed to the batch's first segment; the rest record 0.
        for (let i = 0; i < todo.length; i++) {
          const s = todo[i];
          await conn.run('INSERT INTO wal_segments VALUES ($1, $2, $3, $4, now())', [s.seq, s.spans, i === 0 ? inserted : 0, s.bytes]);
        }
      }
      await conn.run('COMMIT');
      await conn.run('DROP TABLE IF EXISTS wal_batch');
      return inserted;
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  private recount(): void {
    let bytes = 0;
    let spans = 0;
    let oldest: number | null = null;
    for (const s of this.queue) {
      bytes += s.bytes;
      spans += s.spans;
      if (oldest === null || s.firstWriteAt < oldest) oldest = s.firstWriteAt;
    }
    this.stats.queuedSegments = this.queue.length;
    this.stats.queuedBytes = bytes;
    this.stats.queuedSpans = spans;
    this.stats.oldestFirstWriteAt = oldest;
  }
}
