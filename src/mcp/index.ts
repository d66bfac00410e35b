import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { LookspanConfig } from '../config/index.js';
import type { Database } from '../store/index.js';
import { CheckSchedule } from './schedule.js';
import { McpMonitor, type McpSinks } from './monitor.js';
import { McpRegistry } from './registry.js';
import { SecurityScanner } from './scanner.js';
import { McpStore } from './store.js';

export { SERVER_STATUSES, type ServerStatus } from './types.js';
export { RULES, SEVERITIES } from './security/rules.js';
export type { CheckRecord, DriftRecord, ScanRecord } from './store.js';
export type { CheckResult, McpSinks } from './monitor.js';
export type { RegistryEntry } from './registry.js';
export { sessionsUsingTools } from './drift-sessions.js';

/** The MCP health stage as the composition root wires it. */
export interface McpHealth {
  registry: McpRegistry;
  monitor: McpMonitor;
  scanner: SecurityScanner;
  store: McpStore;
  config: LookspanConfig['mcp'];
  /** Starts the schedule (when `mcp.schedule` is on). */
  start(): void;
  /** Stops the schedule, ends running checks (killing their stdio processes) and closes the tables; safe to call twice. */
  close(): Promise<void>;
}

/** Opens the MCP tables and builds the registry, the monitor and the scanner (nothing runs until `start`). */
export async function openMcpHealth(instance: DuckDBInstance, db: Database | null, config: LookspanConfig['mcp'], sinks: McpSinks, log?: Logger): Promise<McpHealth> {
  const store = await McpStore.open(instance, config.historyPerServer);
  const registry = new McpRegistry(config.servers, db);
  const monitor = new McpMonitor(registry, store, config, sinks, process.env, log);
  const scanner = new SecurityScanner(monitor, sinks.alerts, log);
  const schedule = new CheckSchedule(registry.configured.map((s) => ({ name: s.name, intervalMs: monitor.intervalMs(s) })), config.jitter,
    (name) => monitor.check(name, 'schedule'));
  let closing: Promise<void> | null = null;
  return {
    registry, monitor, scanner, store, config,
    start: () => {
      if (config.schedule) schedule.start();
    },
    close: () => {
      closing ??= (async () => {
        schedule.close();
        await monitor.close();
        await monitor.alertsIdle();
        await store.close();
      })();
      return closing;
    },
  };
}
