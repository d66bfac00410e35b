import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { SPAN_COLUMNS } from '../store/lake/layout.js';
import { WAL_SPAN_COLUMNS } from '../store/columns.js';
import { listLake, lakeRoot, openLakeViews } from './lake.js';
import { CliFailure, UsageError, duckMessage } from './errors.js';

export type ExportFormat = 'parquet' | 'csv' | 'jsonl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'csv', 'jsonl'];

export interface ExportOptions {
  dataDir: string;
  /** The lake directory, when not `<dataDir>/lake` (`--lake`, `storage.lakeDir`). */
  lake?: string;
  format?: string;
  project?: string;
  since?: string;
  until?: string;
  out: string;
  /** Where progress lines go (stderr). */
  progress?: (line: string) => void;
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** An ISO 8601 time as a UTC instant; a bare date is midnight UTC, a time without an offset is UTC. */
function parseTime(flag: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  // JavaScript reads a time without an offset as local time; Lookspan's times are UTC.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(v) ? v : `${v}Z`;
  const d = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new UsageError(`${flag} must be an ISO 8601 time such as 2026-06-01 or 2026-06-01T12:00:00Z (got ${JSON.stringify(v)})`);
  return d;
}
const tsLit = (d: Date) => `TIMESTAMP ${lit(d.toISOString().replace('T', ' ').replace('Z', ''))}`;

function formatOf(opts: ExportOptions): ExportFormat {
  const f = opts.format ?? ({ '.parquet': 'parquet', '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' } as Record<string, string>)[path.extname(opts.out).toLowerCase()];
  if (f === undefined) throw new UsageError('--format is required (parquet, csv or jsonl) when --out has no .parquet/.csv/.jsonl extension');
  if (!(EXPORT_FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format must be parquet, csv or jsonl (got ${JSON.stringify(f)})`);
  return f as ExportFormat;
}

const TEXT_COLUMNS = new Set(['project_id', ...WAL_SPAN_COLUMNS.filter(([, t]) => t === 'VARCHAR' || t === 'JSON').map(([n]) => n)]);

/**
 * A cell that a spreadsheet would run as a formula (starts with = + - @, tab
 * or CR) gets a leading `'` (OWASP CSV injection). Applied to text columns;
 * numbers and timestamps are never text in the file.
 */
const csvSafe = (c: string) => `CASE WHEN regexp_matches(${c}::VARCHAR, '^[=+\\-@\\t\\r]') THEN '''' || ${c}::VARCHAR ELSE ${c}::VARCHAR END AS ${c}`;

/**
 * Spans of one project (or all) started in [since, until), read from the
 * partitions that can hold them only (project and date pruned by path).
 * Written to a temporary name beside --out and renamed when complete.
 */
export async function runExport(opts: ExportOptions): Promise<{ rows: number; out: string; files: number }> {
  const format = formatOf(opts);
  const since = parseTime('--since', opts.since);
  const until = parseTime('--until', opts.until);
  if (since && until && since >= until) throw new UsageError('--since must be before --until');
  const out = path.resolve(opts.out);
  if (!existsSync(path.dirname(out))) throw new CliFailure(`directory ${path.dirname(out)} does not exist`);
  if (existsSync(out) && statSync(out).isDirectory()) throw new CliFailure(`${out} is a directory`);
  const root = lakeRoot(opts.dataDir, opts.lake);
  const sinceDate = since?.toISOString().slice(0, 10);
  const untilDate = until?.toISOString().slice(0, 10);
  const files = (await listLake(root, 'spans')).filter((f) =>
    (opts.project === undefined || f.projectId === opts.project) &&
    (sinceDate === undefined || f.date >= sinceDate) &&
    (untilDate === undefined || f.date <= untilDate));
  const where = [
    opts.project !== undefined ? `project_id = ${lit(opts.project)}` : undefined,
    since ? `started_at >= ${tsLit(since)}` : undefined,
    until ? `started_at < ${tsLit(until)}` : undefined,
  ].filter(Boolean);
  const columns = ['project_id', ...SPAN_COLUMNS];
  const select = format === 'csv' ? columns.map((c) => (TEXT_COLUMNS.has(c) ? csvSafe(c) : c)).join(', ') : columns.join(', ');
  const sql = `SELECT ${select} FROM spans${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY project_id, started_at, trace_id, span_id`;
  const options = format === 'parquet' ? 'FORMAT parquet, COMPRESSION zstd' : format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT json';
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);

  const db = await openLakeViews(files.map((f) => f.path), []);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await db.conn.run(`SET enable_progress_bar = true`);
    await db.conn.run(`SET enable_progress_bar_print = false`);
    timer = setInterval(() => {
      const p = db.conn.progress;
      const pct = p.percentage >= 0 ? `${p.percentage.toFixed(0)}%` : '…';
      opts.progress?.(`exporting ${files.length} file${files.length === 1 ? '' : 's'}: ${pct}, ${((Date.now() - started) / 1000).toFixed(0)}s`);
    }, 1000);
    let rows: number;
    try {
      const res = await db.conn.run(`COPY (${sql}) TO ${lit(tmp)} (${options})`);
      rows = Number(res.rowsChanged);
    } catch (err) {
      throw new CliFailure(`export failed: ${duckMessage(err)}`);
    }
    await rename(tmp, out);
    return { rows, out, files: files.length };
  } finally {
    if (timer) clearInterval(timer);
    db.close();
    await rm(tmp, { force: true });
  }
}
