import type { DuckDBInstance } from '@duckdb/node-api';
import { isoMs, jsonColumn, SerialConnection } from '../alerts/serial-connection.js';
import type { SchemaChange } from './drift.js';
import type { Finding } from './security/rules.js';
import type { CheckStatus, CheckTrigger, StepResult, ToolInfo } from './types.js';

/** One stored check (a row of mcp_health_checks). */
export interface CheckRecord {
  id: string;
  server_name: string;
  project_id: string;
  checked_at: string;
  status: CheckStatus;
  latency_ms: number | null;
  error: string | null;
  transport: string;
  trigger: CheckTrigger;
  protocol_version: string | null;
  server_info: { name: string; version: string } | null;
  steps: StepResult[];
  tools_count: number;
  resources_count: number | null;
  prompts_count: number | null;
  schema_hash: string | null;
  consecutive_failures: number;
}

export interface DriftRecord {
  id: string;
  server_name: string;
  project_id: string;
  detected_at: string;
  previous_checked_at: string | null;
  previous_hash: string | null;
  current_hash: string;
  has_breaking: boolean;
  changes: SchemaChange[];
  diff: string;
  /** Sessions given the schema_drift tag (project and session ids). */
  sessions: Array<{ project_id: string; session_id: string }>;
}

export interface ScanRecord {
  id: string;
  server_name: string;
  project_id: string;
  scanned_at: string;
  error: string | null;
  schema_hash: string | null;
  findings: Finding[];
}

const CHECK_COLUMNS = `id, server_name, project_id, ${isoMs('checked_at')} AS checked_at, status, latency_ms, error, transport, trigger,
  protocol_version, server_info, steps, tools_count, resources_count, prompts_count, schema_hash, consecutive_failures`;

function checkRow(r: Record<string, unknown>): CheckRecord {
  return {
    id: r.id as string, server_name: r.server_name as string, project_id: r.project_id as string, checked_at: r.checked_at as string,
    status: r.status as CheckStatus, latency_ms: (r.latency_ms as number | null) ?? null, error: (r.error as string | null) ?? null,
    transport: r.transport as string, trigger: r.trigger as CheckTrigger, protocol_version: (r.protocol_version as string | null) ?? null,
    server_info: jsonColumn(r.server_info, null), steps: jsonColumn(r.steps, []), tools_count: Number(r.tools_count),
    resources_count: r.resources_count === null ? null : Number(r.resources_count), prompts_count: r.prompts_count === null ? null : Number(r.prompts_count),
    schema_hash: (r.schema_hash as string | null) ?? null, consecutive_failures: Number(r.consecutive_failures),
  };
}

const us = (isoOrMs: string | number) => (typeof isoOrMs === 'number' ? isoOrMs : Date.parse(isoOrMs)) * 1000;

/**
 * The MCP tables (migration 13). Check history grows with every check, so
 * each insert deletes that server's rows past `historyPerServer` (newest
 * kept) and the tool snapshots no remaining check refers to; drift records
 * and scans keep a tenth of that per server. The cost of a check's writes is
 * bounded by the bound, not by the history.
 */
export class McpStore {
  private constructor(private readonly db: SerialConnection, private readonly historyPerServer: number) {}

  static async open(instance: DuckDBInstance, historyPerServer: number): Promise<McpStore> {
    return new McpStore(await SerialConnection.open(instance), historyPerServer);
  }

  private get keepOther(): number {
    return Math.max(10, Math.floor(this.historyPerServer / 10));
  }

  /** Stores a check and, when it listed tools, its tool snapshot (once per distinct hash). */
  recordCheck(c: CheckRecord, tools: ToolInfo[] | null): Promise<void> {
    return this.db.serial(async () => {
      await this.db.run('BEGIN TRANSACTION');
      try {
        if (tools !== null && c.schema_hash !== null) {
          await this.db.run(`INSERT INTO mcp_tool_snapshots VALUES ($1, $2, $3, make_timestamp($4::BIGINT)) ON CONFLICT DO NOTHING`,
            [c.server_name, c.schema_hash, JSON.stringify(tools), us(c.checked_at)]);
        }
        await this.db.run(`INSERT INTO mcp_health_checks VALUES ($1, $2, $3, make_timestamp($4::BIGINT), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, [
          c.id, c.server_name, c.project_id, us(c.checked_at), c.status, c.latency_ms, c.error, c.transport, c.trigger, c.protocol_version,
          c.server_info === null ? null : JSON.stringify(c.server_info), JSON.stringify(c.steps), c.tools_count, c.resources_count, c.prompts_count,
          c.schema_hash, c.consecutive_failures,
        ]);
        await this.db.run(`DELETE FROM mcp_health_checks WHERE server_name = $1 AND id IN (
          SELECT id FROM mcp_health_checks WHERE server_name = $1 ORDER BY checked_at DESC, id DESC OFFSET $2)`, [c.server_name, this.historyPerServer]);
        await this.db.run(`DELETE FROM mcp_tool_snapshots s WHERE s.server_name = $1 AND NOT EXISTS (
          SELECT 1 FROM mcp_health_checks c WHERE c.server_name = s.server_name AND c.schema_hash = s.schema_hash)`, [c.server_name]);
        await this.db.run('COMMIT');
      } catch (err) {
        await this.db.run('ROLLBACK').catch(() => {});
        throw err;
      }
    });
  }

  /** The newest check of each server named (all servers when `names` is null). */
  async latest(names: readonly string[] | null): Promise<Map<string, CheckRecord>> {
    if (names !== null && names.length === 0) return new Map();
    const filter = names === null ? '' : `WHERE server_name IN (${names.map((_, i) => `$${i + 1}`).join(', ')})`;
    const rows = await this.db.rows(`SELECT ${CHECK_COLUMNS} FROM mcp_health_checks ${filter}
      QUALIFY row_number() OVER (PARTITION BY server_name ORDER BY checked_at DESC, id DESC) = 1`, names === null ? [] : [...names]);
    return new Map(rows.map((r) => [r.server_name as string, checkRow(r)]));
  }

  /** A server's checks, newest first. */
  async history(server: string, limit: number, offset: number): Promise<CheckRecord[]> {
    const rows = await this.db.rows(`SELECT ${CHECK_COLUMNS} FROM mcp_health_checks WHERE server_name = $1
      ORDER BY checked_at DESC, id DESC LIMIT $2 OFFSET $3`, [server, limit, offset]);
    return rows.map(checkRow);
  }

  /** The newest check of a server that listed its tools (the baseline for drift). */
  async lastListed(server: string): Promise<CheckRecord | null> {
    const rows = await this.db.rows(`SELECT ${CHECK_COLUMNS} FROM mcp_health_checks WHERE server_name = $1 AND schema_hash IS NOT NULL
      ORDER BY checked_at DESC, id DESC LIMIT 1`, [server]);
    return rows.length === 0 ? null : checkRow(rows[0]);
  }

  /** Tool lists of one server by schema hash. */
  async tools(server: string, hashes: readonly string[]): Promise<Map<string, ToolInfo[]>> {
    const wanted = [...new Set(hashes)];
    if (wanted.length === 0) return new Map();
    const rows = await this.db.rows(`SELECT schema_hash, tools FROM mcp_tool_snapshots WHERE server_name = $1
      AND schema_hash IN (${wanted.map((_, i) => `$${i + 2}`).join(', ')})`, [server, ...wanted]);
    return new Map(rows.map((r) => [r.schema_hash as string, jsonColumn<ToolInfo[]>(r.tools, [])]));
  }

  recordDrift(d: DriftRecord): Promise<void> {
    return this.db.serial(async () => {
      // make_timestamp(NULL) is NULL: a first drift after a restart may have no earlier check time.
      await this.db.run(`INSERT INTO mcp_schema_drift VALUES ($1, $2, $3, make_timestamp($4::BIGINT), make_timestamp($5::BIGINT), $6, $7, $8, $9, $10, $11)`, [
        d.id, d.server_name, d.project_id, us(d.detected_at), d.previous_checked_at === null ? null : us(d.previous_checked_at),
        d.previous_hash, d.current_hash, d.has_breaking, JSON.stringify(d.changes), d.diff, JSON.stringify(d.sessions),
      ]);
      await this.db.run(`DELETE FROM mcp_schema_drift WHERE server_name = $1 AND id IN (
        SELECT id FROM mcp_schema_drift WHERE server_name = $1 ORDER BY detected_at DESC, id DESC OFFSET $2)`, [d.server_name, this.keepOther]);
    });
  }

  /** A server's drift records, newest first. */
  async drift(server: string, limit: number, offset: number): Promise<DriftRecord[]> {
    const rows = await this.db.rows(`SELECT id, server_name, project_id, ${isoMs('detected_at')} AS detected_at,
      ${isoMs('previous_checked_at')} AS previous_checked_at, previous_hash, current_hash, has_breaking, changes, diff, sessions
      FROM mcp_schema_drift WHERE server_name = $1 ORDER BY detected_at DESC, id DESC LIMIT $2 OFFSET $3`, [server, limit, offset]);
    return rows.map((r) => ({
      id: r.id as string, server_name: r.server_name as string, project_id: r.project_id as string, detected_at: r.detected_at as string,
      previous_checked_at: (r.previous_checked_at as string | null) ?? null, previous_hash: (r.previous_hash as string | null) ?? null,
      current_hash: r.current_hash as string, has_breaking: r.has_breaking === true, changes: jsonColumn(r.changes, []), diff: r.diff as string,
      sessions: jsonColumn(r.sessions, []),
    }));
  }

  recordScan(s: ScanRecord): Promise<void> {
    return this.db.serial(async () => {
      await this.db.run(`INSERT INTO mcp_security_scans VALUES ($1, $2, $3, make_timestamp($4::BIGINT), $5, $6, $7)`,
        [s.id, s.server_name, s.project_id, us(s.scanned_at), s.error, s.schema_hash, JSON.stringify(s.findings)]);
      await this.db.run(`DELETE FROM mcp_security_scans WHERE server_name = $1 AND id IN (
        SELECT id FROM mcp_security_scans WHERE server_name = $1 ORDER BY scanned_at DESC, id DESC OFFSET $2)`, [s.server_name, this.keepOther]);
    });
  }

  /** The newest scan of each server named. */
  async latestScans(names: readonly string[]): Promise<ScanRecord[]> {
    if (names.length === 0) return [];
    const rows = await this.db.rows(`SELECT id, server_name, project_id, ${isoMs('scanned_at')} AS scanned_at, error, schema_hash, findings
      FROM mcp_security_scans WHERE server_name IN (${names.map((_, i) => `$${i + 1}`).join(', ')})
      QUALIFY row_number() OVER (PARTITION BY server_name ORDER BY scanned_at DESC, id DESC) = 1 ORDER BY server_name`, [...names]);
    return rows.map((r) => ({
      id: r.id as string, server_name: r.server_name as string, project_id: r.project_id as string, scanned_at: r.scanned_at as string,
      error: (r.error as string | null) ?? null, schema_hash: (r.schema_hash as string | null) ?? null, findings: jsonColumn(r.findings, []),
    }));
  }

  /** Rows per table (for tests and /metrics-style reporting of the bound). */
  async counts(server: string): Promise<{ checks: number; snapshots: number; drift: number; scans: number }> {
    const [r] = await this.db.rows(`SELECT
      (SELECT count(*) FROM mcp_health_checks WHERE server_name = $1) AS checks,
      (SELECT count(*) FROM mcp_tool_snapshots WHERE server_name = $1) AS snapshots,
      (SELECT count(*) FROM mcp_schema_drift WHERE server_name = $1) AS drift,
      (SELECT count(*) FROM mcp_security_scans WHERE server_name = $1) AS scans`, [server]);
    return { checks: Number(r.checks), snapshots: Number(r.snapshots), drift: Number(r.drift), scans: Number(r.scans) };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
