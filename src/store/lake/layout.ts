import path from 'node:path';
import { WAL_SPAN_COLUMNS } from '../columns.js';
import { LOG_COLUMNS } from '../logs/columns.js';

/**
 * The Parquet lake's layout, a public interface (docs/parquet.md):
 * `<data dir>/lake/<kind>/project_id=<p>/date=YYYY-MM-DD/<replica>-<seq>-<i>.parquet`,
 * zstd, hive-partitioned on project and the UTC date the span (or trace) started
 * (a log record: was logged). Bump LAKE_SCHEMA_VERSION on any change to the
 * span or trace columns below; the `logs` kind was added within version 1.
 */
export const LAKE_SCHEMA_VERSION = 1;
export type LakeKind = 'spans' | 'traces' | 'logs';
/** Every kind, in the order seals and compactions write them. */
export const LAKE_KINDS: readonly LakeKind[] = ['spans', 'traces', 'logs'];

/** spans columns in the lake (project_id lives in the partition path). */
export const SPAN_COLUMNS: readonly string[] = WAL_SPAN_COLUMNS
  .filter(([n]) => n !== 'project_id')
  .map(([n]) => (n === 'started_us' ? 'started_at' : n === 'ended_us' ? 'ended_at' : n));

/** logs columns in the lake (project_id lives in the partition path): OTLP log records, GenAI and MCP events. */
export const LAKE_LOG_COLUMNS: readonly string[] = LOG_COLUMNS.filter((c) => c !== 'project_id');

/** The time column each kind's `date` partition and `lake_files` time range come from. */
export const TIME_COLUMN: Readonly<Record<LakeKind, string>> = { spans: 'started_at', traces: 'started_at', logs: 'logged_at' };

/** traces columns in the lake: one partial summary per trace per seal (readers merge them). */
export const TRACE_COLUMNS: readonly string[] = [
  'project_id', 'trace_id', 'started_at', 'ended_at', 'root_span_id', 'root_name', 'first_name', 'status',
  'service_name', 'framework', 'session_id', 'user_id', 'agent_name',
  'span_count', 'error_count', 'llm_call_count', 'tool_call_count', 'input_tokens', 'output_tokens', 'cost_usd', 'models',
];

/** The default lake directory of a data dir (`storage.lakeDir` may put it elsewhere, e.g. shared by replicas). */
export const lakeDir = (dataDir: string) => path.join(dataDir, 'lake');

/** A lake directory, and the directory inside it where this replica stages files before renaming them into their partitions. */
export interface LakePaths {
  root: string;
  tmp: string;
}

/**
 * Each replica stages under its own `.tmp/replica-<id>/`, so a replica
 * clearing its staging at start-up never removes another's seal in
 * progress (the `replica-` prefix keeps these apart from the `.tmp/seal-N`
 * directories of versions before per-replica staging).
 */
export const lakePaths = (root: string, replica: string): LakePaths => ({ root, tmp: path.join(root, '.tmp', `replica-${replica}`) });

/**
 * Whether `name` is one of `replica`'s file names (`<replica>-<seq>-<i>.parquet`),
 * exactly: replica `a` does not own `a-b-000000001-0.parquet`.
 */
export const isReplicaFile = (name: string, replica: string): boolean =>
  name.startsWith(`${replica}-`) && /^\d{9,}-\d+\.parquet$/.test(name.slice(replica.length + 1));

/** A SQL string literal for a path Lookspan generated (never user input, quoted anyway). */
export const sqlPath = (p: string) => `'${p.replace(/'/g, "''")}'`;

/** Files, rows and bytes of one lake partition (one kind, project and date). */
export interface PartitionStats {
  kind: string;
  projectId: string;
  date: string;
  files: number;
  rows: number;
  bytes: number;
}
