#!/usr/bin/env node
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config/index.js';
import { VERSION } from '../version.js';
import { CliFailure, UsageError } from './errors.js';
import { runQuery } from './query.js';
import { EXPORT_FORMATS, runExport } from './export.js';
import { formatStorage, storageReport } from './storage.js';
import { maintenanceConfig } from './offline-store.js';
import { formatCompact, runCompact } from './compact.js';
import { formatRetention, runRetention } from './retention.js';

const HOT_NOTE = `
Reads the Parquet lake (<data dir>/lake/, or --lake) with an in-memory DuckDB and never
opens lookspan.duckdb, so it works with or without a running server. Rows
still hot in a running server are not in the lake until they are sealed
(after storage.sealIdleSeconds of idleness, or now: POST /api/storage/seal).`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

interface GlobalOpts { dataDir?: string; lake?: string; config?: string }

/**
 * The lake to read: --lake; else <--data-dir>/lake; else storage.lakeDir or
 * <storage.dataDir>/lake from loadConfig (defaults < --config/LOOKSPAN_CONFIG YAML < env).
 */
function lakeOf(cmd: Command): { dataDir: string; lake?: string } {
  const g = cmd.optsWithGlobals() as GlobalOpts;
  if (g.lake) return { dataDir: path.resolve(g.dataDir ?? '.'), lake: path.resolve(g.lake) };
  if (g.dataDir) return { dataDir: path.resolve(g.dataDir) };
  try {
    const { storage } = loadConfig(g.config ? { file: g.config } : {});
    return { dataDir: path.resolve(storage.dataDir), ...(storage.lakeDir ? { lake: path.resolve(storage.lakeDir) } : {}) };
  } catch (err) {
    throw new UsageError(`configuration: ${(err as Error).message}`);
  }
}

export function buildProgram(io: Io): Command {
  const program = new Command('lookspan')
    .description(`Offline tools for a Lookspan data directory's Parquet lake.\n${HOT_NOTE}`)
    .version(VERSION)
    .option('--data-dir <dir>', 'data directory (default: storage.dataDir from --config/LOOKSPAN_CONFIG, LOOKSPAN_DATA_DIR or ./data)')
    .option('--lake <dir>', 'lake directory, e.g. one several replicas share (default: storage.lakeDir, else <data dir>/lake)')
    .option('--config <file>', 'Lookspan YAML config file to take the data directory (and storage.lakeDir) from')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program.command('query')
    .description('Run one read-only SQL statement over the views `spans` and `traces`')
    .argument('<sql>', 'a single SELECT (or EXPLAIN) statement')
    .option('--json', 'print a JSON array of row objects')
    .option('--jsonl', 'print one JSON object per line')
    .addHelpText('after', `
Views:
  spans   every span file of every replica (lake/spans/**/*.parquet), with
          project_id and date (VARCHAR) from the hive partition path
  traces  trace summary files merged per (project_id, trace_id) by the rules
          in docs/parquet.md
Both exist with their columns even when the lake has no files.

Read-only: one statement, SELECT or EXPLAIN only; the connection can open no
file outside the lake (read_csv('/etc/passwd') fails), install or load no
extension, and its settings are locked.
${HOT_NOTE}

Examples:
  lookspan query "SELECT project_id, count(*) AS spans, sum(input_tokens) AS input FROM spans GROUP BY ALL"
  lookspan query --json "SELECT trace_id, span_count, cost_usd FROM traces ORDER BY cost_usd DESC NULLS LAST LIMIT 10"`)
    .exitOverride()
    .action(async (sql: string, o: { json?: boolean; jsonl?: boolean }, cmd: Command) => {
      if (o.json && o.jsonl) throw new UsageError('choose one of --json and --jsonl');
      io.stdout(await runQuery(sql, { ...lakeOf(cmd), json: o.json, jsonl: o.jsonl }));
    });

  program.command('export')
    .description('Write spans of a project and time range to a Parquet, CSV or JSON-lines file')
    .addOption(new Option('--format <format>', 'output format (default: from the --out extension)').choices([...EXPORT_FORMATS]))
    .option('--project <id>', 'project id (default: every project)')
    .option('--since <iso>', 'spans started at or after this time (ISO 8601, UTC if no offset)')
    .option('--until <iso>', 'spans started before this time (ISO 8601)')
    .requiredOption('--out <file>', 'output file (written under a temporary name, renamed when complete)')
    .addHelpText('after', `
Only the partitions (project_id=…/date=…) that can hold matching spans are
read. CSV cells that start with =, +, -, @, a tab or a carriage return get a
leading ' so spreadsheets do not run them as formulas. Progress goes to
stderr every second for long exports; the row count to stdout.
${HOT_NOTE}

Example:
  lookspan export --format csv --project default --since 2026-06-01 --until 2026-06-08 --out week.csv`)
    .exitOverride()
    .action(async (o: { format?: string; project?: string; since?: string; until?: string; out: string }, cmd: Command) => {
      const res = await runExport({ ...o, ...lakeOf(cmd), progress: (l) => io.stderr(`${l}\n`) });
      io.stdout(`${res.rows} rows written to ${res.out}\n`);
    });

  program.command('storage')
    .description('Files, rows and bytes per kind, project and date, replicas and schema versions, read from the files')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', HOT_NOTE)
    .exitOverride()
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { dataDir, lake } = lakeOf(cmd);
      const report = await storageReport(dataDir, lake);
      io.stdout(o.json ? JSON.stringify(report, null, 2) + '\n' : formatStorage(report));
    });

  const MAINTENANCE_NOTE = `
Unlike query, export and storage, this changes the lake, so it opens the data
directory's lookspan.duckdb (the catalog of live files and the hot rows) and
needs DuckDB's file lock: run it with the server stopped. While a server runs
it fails naming the server's process; the server's own route does the same.`;

  program.command('compact')
    .description("Rewrite each partition holding two or more of this replica's files as one file (the server's POST /api/storage/compact, offline)")
    .option('--min-files <n>', 'compact only partitions with at least this many of the replica\'s files', '2')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `${MAINTENANCE_NOTE}

The replica is storage.replica (LOOKSPAN_REPLICA, default the host name) from
the same configuration the server loads. Spans are deduplicated by identity
and sorted by trace; partial trace summaries are merged. The replaced files
are deleted before the command returns. Progress goes to stderr.

Example:
  lookspan --config /etc/lookspan/lookspan.yaml compact`)
    .exitOverride()
    .action(async (o: { minFiles: string; json?: boolean }, cmd: Command) => {
      if (!/^\d+$/.test(o.minFiles)) throw new UsageError(`--min-files must be a whole number, 2 or more (got ${JSON.stringify(o.minFiles)})`);
      const report = await runCompact(maintenanceConfig(cmd.optsWithGlobals()), { minFiles: Number(o.minFiles), progress: (l) => io.stderr(`${l}\n`) });
      io.stdout(o.json ? JSON.stringify(report, null, 2) + '\n' : formatCompact(report));
    });

  program.command('retention')
    .description('Drop lake date partitions and hot rows past each project\'s retention horizon; --dry-run only reports (POST /api/storage/retention, offline)')
    .option('--dry-run', 'report what would be dropped, change nothing')
    .option('--days <n>', 'days kept for projects without a storage.retentionByProject entry (default: storage.retentionDays)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `${MAINTENANCE_NOTE}

Horizons: storage.retentionDays (LOOKSPAN_RETENTION_DAYS) for every project,
storage.retentionByProject.<project> overriding it (0 keeps a project's data
forever). A project's lake partitions whose whole day lies before its horizon
go, and its hot traces and spans that started before it. Spans still in WAL
segments the server has not loaded are not touched (the server applies
retention at its first periodic check after it starts). Progress goes to stderr.

Examples:
  lookspan retention --dry-run
  lookspan retention --dry-run --days 7 --json`)
    .exitOverride()
    .action(async (o: { dryRun?: boolean; days?: string; json?: boolean }, cmd: Command) => {
      const report = await runRetention(maintenanceConfig(cmd.optsWithGlobals()), { dryRun: o.dryRun === true, days: o.days, progress: (l) => io.stderr(`${l}\n`) });
      io.stdout(o.json ? JSON.stringify(report, null, 2) + '\n' : formatRetention(report));
    });

  return program;
}

/** Runs the CLI; resolves with the exit code (0 ok, 1 failure, 2 usage error). Never prints a stack trace for user errors. */
export async function main(argv: string[], io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help / version).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      io.stderr(`lookspan: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliFailure) {
      io.stderr(`lookspan: ${err.message}\n`);
      return 1;
    }
    io.stderr(`lookspan: unexpected error: ${err instanceof Error ? (process.env.LOOKSPAN_DEBUG ? err.stack : err.message) : String(err)}\n`);
    return 1;
  }
}

const isEntry = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isEntry) {
  // `lookspan query … | head` closes the pipe early: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
