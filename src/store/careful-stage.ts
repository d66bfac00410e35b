import { isUtf8 } from 'node:buffer';
import { mkdir, open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { MAX_TIMESTAMP_US } from '../model/store-range.js';
import { WAL_SPAN_COLUMNS } from './columns.js';
import type { QuarantinedLine } from './quarantine.js';

/** One WAL line to stage, with where it came from (for the quarantine record). */
export interface SourceLine {
  segment: string;
  line: number;
  text: Buffer | string;
}

/** Columns a span row cannot be stored without (NOT NULL in `spans`). */
const REQUIRED = new Set(['project_id', 'trace_id', 'span_id', 'started_us', 'ended_us', 'duration_ms', 'name', 'type', 'status', 'cost_source']);

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The statements of one careful stage: the WAL columns it checks and the batch table it fills. */
interface CarefulSql {
  lines: string;
  checked: string;
  createBatch: string;
  insertGood: string;
  bad: string;
}

/**
 * Every way a parsed line can fail to become a row, as SQL over `r` (the
 * line cast with `from_json`, which yields NULL rather than failing where a
 * value does not fit its type) and `line` (the text, to tell a value that
 * did not fit from one that was absent); times are the `*_us` columns.
 * Constant text, no user input.
 */
function carefulSql(columns: ReadonlyArray<readonly [string, string]>, required: ReadonlySet<string>, batchTable: string): CarefulSql {
  const structure = JSON.stringify(Object.fromEntries(columns));
  const checks = columns.flatMap(([col, type]) => {
    const out: string[] = [];
    const present = `coalesce(json_type(line, '$.${col}'), 'NULL') <> 'NULL'`;
    if (required.has(col)) out.push(`CASE WHEN r.${col} IS NULL THEN '${col} is missing' END`);
    if (type === 'BIGINT' || type === 'DOUBLE' || type === 'INTEGER') {
      out.push(`CASE WHEN r.${col} IS NULL AND ${present} THEN '${col}: ' || left(json_extract(line, '$.${col}')::VARCHAR, 64) || ' does not fit ${type}' END`);
    }
    if (type === 'DOUBLE') out.push(`CASE WHEN NOT isfinite(r.${col}) THEN '${col} is not finite' END`);
    if (col.endsWith('_us')) {
      out.push(`CASE WHEN r.${col} NOT BETWEEN 0 AND ${MAX_TIMESTAMP_US} THEN '${col} is outside the timestamp range' END`);
    }
    return out;
  });
  return {
    lines: `
  CREATE OR REPLACE TEMP TABLE wal_lines AS
  SELECT u.n AS n, u.line AS line
  FROM read_text($1) t, unnest(string_split(t.content, chr(10))) WITH ORDINALITY AS u(line, n)
  WHERE u.line <> ''`,
    // CASE is evaluated lazily, so from_json never sees a line that is not a JSON object.
    checked: `
  CREATE OR REPLACE TEMP TABLE wal_checked AS
  WITH parsed AS (
    SELECT n, line, CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT' THEN from_json(line, ${sqlText(structure)}) END AS r
    FROM wal_lines)
  SELECT n, 'not a JSON object' AS reason, NULL AS r FROM parsed WHERE r IS NULL
  UNION ALL
  SELECT n, nullif(concat_ws('; ', ${checks.join(', ')}), '') AS reason, r FROM parsed WHERE r IS NOT NULL`,
    createBatch: `CREATE OR REPLACE TEMP TABLE ${batchTable} (${columns.map(([c, t]) => `${c} ${t}`).join(', ')})`,
    insertGood: `INSERT INTO ${batchTable} SELECT unnest(r) FROM wal_checked WHERE reason IS NULL ORDER BY n`,
    bad: `SELECT n, reason FROM wal_checked WHERE reason IS NOT NULL ORDER BY n`,
  };
}

/** Stages lines into a batch table the careful way (see `stageCarefully`); returns the lines set aside. */
export type CarefulStage = (conn: DuckDBConnection, lines: readonly SourceLine[], scratch: string, append?: boolean) => Promise<QuarantinedLine[]>;

/** A segment file's lines, numbered from 1 (a final line without newline included). */
export async function segmentLines(file: string): Promise<SourceLine[]> {
  const buf = await readFile(file);
  const segment = path.basename(file);
  const out: SourceLine[] = [];
  let start = 0;
  let n = 0;
  while (start < buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1) end = buf.length;
    n++;
    if (end > start) out.push({ segment, line: n, text: buf.subarray(start, end) });
    start = end + 1;
  }
  return out;
}

/**
 * A stage that puts lines into `batchTable` one line at a time in effect: casts that
 * cannot fail the statement, then a check per column, so a line DuckDB
 * cannot load is set aside with its reason and every other line is staged.
 * The slow path of the loader, taken only when the one-statement
 * `read_json` stage failed. With `append`, adds to the batch table an earlier
 * call created (one segment at a time keeps memory to one segment). Returns
 * the lines set aside.
 */
export function carefulStager(columns: ReadonlyArray<readonly [string, string]>, required: ReadonlySet<string>, batchTable: string): CarefulStage {
  const sql = carefulSql(columns, required, batchTable);
  return async (conn, lines, scratch, append = false) => {
    const rejected: QuarantinedLine[] = [];
    // Lines DuckDB will read, by 1-based position in the scratch file.
    const kept: SourceLine[] = [];
    const parts: Buffer[] = [];
    for (const l of lines) {
      const buf = typeof l.text === 'string' ? Buffer.from(l.text, 'utf8') : l.text;
      if (!isUtf8(buf)) {
        rejected.push({ segment: l.segment, line: l.line, reason: 'not valid UTF-8', record: buf.toString('utf8') });
        continue;
      }
      kept.push(l);
      parts.push(buf, NEWLINE);
    }
    if (!append) await conn.run(sql.createBatch);
    if (kept.length > 0) {
      await mkdir(path.dirname(scratch), { recursive: true });
      const fh = await open(scratch, 'w');
      try {
        await writeAll(fh, parts);
      } finally {
        await fh.close();
      }
      try {
        await conn.run(sql.lines, [scratch], [VARCHAR]);
        await conn.run(sql.checked);
        await conn.run(sql.insertGood);
        const bad = (await conn.runAndReadAll(sql.bad)).getRows();
        for (const [n, reason] of bad) {
          const src = kept[Number(n) - 1];
          rejected.push({ segment: src.segment, line: src.line, reason: String(reason), record: src.text.toString() });
        }
        await conn.run('DROP TABLE IF EXISTS wal_lines');
        await conn.run('DROP TABLE IF EXISTS wal_checked');
      } finally {
        await unlink(scratch).catch(() => {});
      }
    }
    return rejected.sort((a, b) => (a.segment === b.segment ? a.line - b.line : a.segment.localeCompare(b.segment)));
  };
}

/** The careful stage of span WAL lines into `wal_batch`. */
export const stageCarefully: CarefulStage = carefulStager(WAL_SPAN_COLUMNS, REQUIRED, 'wal_batch');

const NEWLINE = Buffer.from('\n');

/**
 * writev may write less than asked (a nearly full disk); a short scratch
 * file would leave lines unloaded while the segment is recorded as loaded,
 * so the rest is written until done, or the error (ENOSPC) is thrown.
 */
async function writeAll(fh: FileHandle, parts: Buffer[]): Promise<void> {
  let rest = parts;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest);
    if (bytesWritten === 0) throw Object.assign(new Error('scratch file write made no progress'), { code: 'EIO' });
    let n = bytesWritten;
    let i = 0;
    while (i < rest.length && n >= rest[i].length) n -= rest[i++].length;
    rest = i < rest.length ? [rest[i].subarray(n), ...rest.slice(i + 1)] : [];
  }
}
