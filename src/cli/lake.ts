import { listParquetFiles } from '../store/lake/list-files.js';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { WAL_SPAN_COLUMNS } from '../store/columns.js';
import { SPAN_COLUMNS, lakeDir, sqlPath, type LakeKind } from '../store/lake/layout.js';
import { defineRelations } from '../store/lake/relations.js';
import { CliFailure } from './errors.js';

/** One sealed file, with what its path says about it (docs/parquet.md layout). */
export interface LakeFile {
  kind: LakeKind;
  path: string;
  projectId: string;
  date: string;
  replica: string;
}

const FILE_NAME = /^(.+)-(\d{9})-(\d+)\.parquet$/;

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * The lake directory: `lake` when given (`--lake`, `storage.lakeDir`), else
 * `<dataDir>/lake`. A directory that does not exist is an error (a typo, most likely).
 */
export function lakeRoot(dataDir: string, lake?: string): string {
  if (lake) {
    const dir = path.resolve(lake);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliFailure(`lake directory ${dir} does not exist (set --lake or storage.lakeDir)`);
    return dir;
  }
  const abs = path.resolve(dataDir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new CliFailure(`data directory ${abs} does not exist (set --data-dir, LOOKSPAN_DATA_DIR or storage.dataDir)`);
  return lakeDir(abs);
}

/**
 * Every `<kind>/**\/*.parquet` file in the lake, from every replica,
 * skipping dot directories (`.tmp` holds seals in progress).
 */
export async function listLake(root: string, kind: LakeKind): Promise<LakeFile[]> {
  const dir = path.join(root, kind);
  return (await listParquetFiles(dir)).map((rel) => {
    const parts = rel.split('/');
    const name = parts.pop()!;
    const part = (key: string) => decode(parts.find((x) => x.startsWith(`${key}=`))?.slice(key.length + 1) ?? '');
    return { kind, path: path.join(dir, rel), projectId: part('project_id'), date: part('date'), replica: FILE_NAME.exec(name)?.[1] ?? '(unknown)' };
  });
}

const spanColumnTypes = () =>
  WAL_SPAN_COLUMNS.map(([n, t]) => (n === 'started_us' ? `started_at TIMESTAMP` : n === 'ended_us' ? `ended_at TIMESTAMP` : `${n} ${t}`)).join(', ');

const TRACE_COLUMN_TYPES = `project_id VARCHAR, trace_id VARCHAR, started_at TIMESTAMP, ended_at TIMESTAMP,
  root_span_id VARCHAR, root_name VARCHAR, first_name VARCHAR, status VARCHAR,
  service_name VARCHAR, framework VARCHAR, session_id VARCHAR, user_id VARCHAR, agent_name VARCHAR,
  span_count BIGINT, error_count BIGINT, llm_call_count BIGINT, tool_call_count BIGINT,
  input_tokens BIGINT, output_tokens BIGINT, cost_usd DOUBLE, models VARCHAR[]`;

export interface OpenLake {
  conn: DuckDBConnection;
  close(): void;
}

/** An in-memory DuckDB (never `lookspan.duckdb`). */
export async function openMemory(): Promise<OpenLake> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      inst.closeSync();
    },
  };
}

/**
 * Defines `spans` (project_id, date, then the span columns) and `traces`
 * over the given files. `traces` is the server's own merged relation
 * (`defineRelations`, partial summaries merged by the documented rules) over
 * empty stand-ins for the hot tables in schema `lookspan_hot`, so both views
 * have the right columns with no files.
 */
export async function openLakeViews(spanFiles: readonly string[], traceFiles: readonly string[]): Promise<OpenLake> {
  const db = await openMemory();
  const { conn } = db;
  try {
    await conn.run(`CREATE SCHEMA lookspan_hot`);
    await conn.run(`SET schema = 'lookspan_hot'`);
    await conn.run(`CREATE TABLE spans (${spanColumnTypes()})`);
    await conn.run(`CREATE TABLE traces (${TRACE_COLUMN_TYPES})`);
    await defineRelations(conn, spanFiles, traceFiles);
    await conn.run(`SET schema = 'main'`);
    // spans straight from the files, keeping the partition's `date` (all_spans has no such column) so filters on it prune files.
    const spanCols = ['project_id', 'date', ...SPAN_COLUMNS].join(', ');
    await conn.run(spanFiles.length === 0
      ? `CREATE VIEW main.spans AS SELECT project_id, NULL::VARCHAR AS date, ${SPAN_COLUMNS.join(', ')} FROM lookspan_hot.spans`
      : `CREATE VIEW main.spans AS SELECT ${spanCols} FROM read_parquet([${spanFiles.map(sqlPath).join(', ')}], hive_partitioning = true, hive_types = {'project_id': VARCHAR, 'date': VARCHAR})`);
    await conn.run(`CREATE VIEW main.traces AS SELECT * FROM lookspan_hot.all_traces`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * After the views exist: the connection may read files under the lake only
 * (which the views need), no other file, no network, no extension
 * install/load, and the configuration is locked so SQL cannot undo it.
 */
export async function lockDown(conn: DuckDBConnection, root: string): Promise<void> {
  const dir = root.endsWith(path.sep) ? root : root + path.sep;
  await conn.run(`SET autoinstall_known_extensions = false`);
  await conn.run(`SET autoload_known_extensions = false`);
  await conn.run(`SET allowed_directories = ['${dir.replace(/'/g, "''")}']`);
  await conn.run(`SET enable_external_access = false`);
  await conn.run(`SET lock_configuration = true`);
}
