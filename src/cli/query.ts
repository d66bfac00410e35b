import { StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { listLake, lakeRoot, lockDown, openLakeViews } from './lake.js';
import { formatTable, resultRows } from './output.js';
import { CliFailure, UsageError, duckMessage } from './errors.js';

export interface QueryOptions {
  dataDir: string;
  /** The lake directory, when not `<dataDir>/lake` (`--lake`, `storage.lakeDir`). */
  lake?: string;
  json?: boolean;
  jsonl?: boolean;
}

const ALLOWED = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);
/** Leading comments and whitespace, so the first keyword can be read. */
const stripLead = (sql: string) => sql.replace(/^(\s+|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');

/** Whether DuckDB's parser sees a SELECT (json_serialize_sql serializes SELECT statements only). */
async function isSelect(conn: DuckDBConnection, sql: string): Promise<boolean> {
  try {
    const [[v]] = (await conn.runAndReadAll(`SELECT json_serialize_sql('${sql.replace(/'/g, "''")}')::VARCHAR`)).getRows();
    const parsed = JSON.parse(String(v)) as { error?: boolean; error_message?: string };
    return !(parsed.error && /only SELECT/i.test(parsed.error_message ?? ''));
  } catch {
    return true;
  }
}

/**
 * Runs one read-only statement over `spans` and `traces`. Three locks:
 * exactly one statement; its prepared type must be SELECT or EXPLAIN (so no
 * COPY, ATTACH, INSTALL/LOAD, SET, CREATE, INSERT/UPDATE/DELETE, PRAGMA);
 * and the connection can open no file outside the lake (so `read_csv`,
 * `glob` and friends on other paths fail), with its configuration locked.
 */
export async function runQuery(sql: string, opts: QueryOptions): Promise<string> {
  if (sql.trim() === '') throw new UsageError('the SQL statement is empty');
  const root = lakeRoot(opts.dataDir, opts.lake);
  const spans = (await listLake(root, 'spans')).map((f) => f.path);
  const traces = (await listLake(root, 'traces')).map((f) => f.path);
  const db = await openLakeViews(spans, traces);
  try {
    await lockDown(db.conn, root);
    let count: number;
    try {
      count = (await db.conn.extractStatements(sql)).count;
    } catch (err) {
      throw new UsageError(`invalid SQL: ${duckMessage(err)}`);
    }
    if (count !== 1) throw new UsageError(`lookspan query runs exactly one statement (got ${count})`);
    if (/^(pragma|call)\b/i.test(stripLead(sql))) throw new UsageError('lookspan query is read-only: only SELECT (or EXPLAIN) statements are allowed');
    let prepared;
    try {
      prepared = await db.conn.prepare(sql);
    } catch (err) {
      const msg = duckMessage(err);
      if (/Permission Error|disabled by configuration|configuration has been locked/i.test(msg)) {
        throw new UsageError(`lookspan query reads only the lake's spans and traces: ${msg}`);
      }
      // A write that fails to bind (DELETE FROM a view, say) is still a write: say so, not the binder's words.
      if (!(await isSelect(db.conn, sql))) throw new UsageError('lookspan query is read-only: only SELECT (or EXPLAIN) statements are allowed');
      throw new CliFailure(msg);
    }
    if (!ALLOWED.has(prepared.statementType)) {
      throw new UsageError(`lookspan query is read-only: only SELECT (or EXPLAIN) statements are allowed, not ${StatementType[prepared.statementType] ?? 'this statement'}`);
    }
    let reader;
    try {
      reader = await prepared.runAndReadAll();
    } catch (err) {
      throw new CliFailure(duckMessage(err));
    }
    const { columns, rows } = resultRows(reader);
    if (opts.jsonl) return rows.map((r) => JSON.stringify(r) + '\n').join('');
    if (opts.json) return JSON.stringify(rows, null, 2) + '\n';
    return formatTable(columns, rows);
  } finally {
    db.close();
  }
}
