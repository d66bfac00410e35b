import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type LookspanConfig } from '../config/index.js';
import { Database, DataDirLockedError } from '../store/duckdb/database.js';
import { Lake } from '../store/lake/index.js';
import { CliFailure, UsageError } from './errors.js';

/**
 * The configuration the server would load (defaults < --config/LOOKSPAN_CONFIG
 * YAML < env), with --data-dir over storage.dataDir: maintenance needs the
 * replica, the retention settings and the server's address, not only the
 * data dir; --lake is storage.lakeDir.
 */
export function maintenanceConfig(g: { dataDir?: string; lake?: string; config?: string }): LookspanConfig {
  const storage = { ...(g.dataDir ? { dataDir: path.resolve(g.dataDir) } : {}), ...(g.lake ? { lakeDir: path.resolve(g.lake) } : {}) };
  try {
    return loadConfig({ ...(g.config ? { file: g.config } : {}), overrides: { storage } });
  } catch (err) {
    throw new UsageError(`configuration: ${(err as Error).message}`);
  }
}

/** The data dir's catalog (lookspan.duckdb) and its lake, opened by a maintenance command. */
export interface OfflineStore {
  db: Database;
  lake: Lake;
  close(): Promise<void>;
}

/** `http://127.0.0.1:3100` for a server bound to 0.0.0.0:3100 (a wildcard address is not one to send to). */
function serverUrl(config: LookspanConfig): string {
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.server.httpPort}`;
}

/**
 * Opens `lookspan.duckdb` for a command that changes the lake (compact,
 * retention). Those cannot work on the files alone: the catalog of which
 * files are live (`lake_files`), the hot rows and the seal sequence live in
 * DuckDB, and a server that found files its catalog does not name would
 * delete them at start-up. So the command takes DuckDB's file lock, which a
 * running server holds: then it fails naming the server's process and the
 * route that does the same work through it (`route`).
 *
 * Opening runs the same migrations as the server, redefines the relations
 * from the catalog and nothing else: leftovers of a crash are removed by the
 * server at its next start, not here (in a shared lake another replica's
 * seal in progress looks the same).
 */
export async function openOffline(config: LookspanConfig, route: string): Promise<OfflineStore> {
  const dataDir = path.resolve(config.storage.dataDir);
  if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
    throw new CliFailure(`data directory ${dataDir} does not exist (set --data-dir, LOOKSPAN_DATA_DIR or storage.dataDir)`);
  }
  if (!existsSync(path.join(dataDir, 'lookspan.duckdb'))) {
    throw new CliFailure(`${dataDir} holds no lookspan.duckdb: compact and retention work on the data directory of a Lookspan server (the lake's catalog lives in lookspan.duckdb)`);
  }
  let db: Database;
  try {
    db = await Database.open({ dataDir, memoryLimit: config.storage.duckdbMemoryLimit, threads: config.storage.duckdbThreads });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    const pid = /\(PID (\d+)\)/.exec(err.message)?.[1];
    throw new CliFailure(
      `data dir ${dataDir} is in use by a running Lookspan server${pid ? ` (process ${pid} holds DuckDB's lock on lookspan.duckdb)` : ''}; ` +
      `this command needs the server stopped, or ask the server to do it: curl -X POST ${serverUrl(config)}${route}`,
    );
  }
  const { storage } = config;
  const lake = new Lake({
    dataDir, ...(storage.lakeDir ? { lakeDir: path.resolve(storage.lakeDir) } : {}), replica: storage.replica, sealIdleSeconds: storage.sealIdleSeconds,
    hotMaxRows: storage.hotMaxRows, hotMaxAgeSeconds: storage.hotMaxAgeSeconds,
    retentionDays: storage.retentionDays, retentionByProject: storage.retentionByProject,
  }, pino({ level: 'silent' }));
  try {
    await lake.refresh(db.writer);
  } catch (err) {
    await db.close();
    throw err;
  }
  return {
    db,
    lake,
    close: async () => {
      // Nothing in this process reads the replaced files any more.
      await lake.flushRetired();
      await db.close();
    },
  };
}

/**
 * Reports DuckDB's progress on `conn` every second while `task` runs (to
 * stderr; the result goes to stdout). DuckDB reports -1 when it cannot
 * estimate, shown as "…".
 */
export async function withProgress<T>(
  conn: Database['writer'], label: () => string, progress: ((line: string) => void) | undefined, task: () => Promise<T>,
): Promise<T> {
  if (!progress) return task();
  await conn.run('SET enable_progress_bar = true');
  await conn.run('SET enable_progress_bar_print = false');
  const started = Date.now();
  const timer = setInterval(() => {
    const p = conn.progress;
    const pct = p.percentage >= 0 ? `${p.percentage.toFixed(0)}% of the current step` : '…';
    progress(`${label()}: ${pct}, ${((Date.now() - started) / 1000).toFixed(0)}s`);
  }, 1000);
  try {
    return await task();
  } finally {
    clearInterval(timer);
  }
}
