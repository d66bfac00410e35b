import { randomUUID } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { isoSql, queryRows } from './rows.js';

/**
 * The agent and MCP server catalogs (`agent_metadata`, `server_metadata`):
 * what people wrote about an agent or server (description, owner, tags,
 * status, runbook), one row per project and name. Config-sized, so native
 * DuckDB tables written through a connection of their own (the loader owns
 * the writer), changes serialized so a read-modify-write cannot interleave.
 * What the spans say about the same names (first and last seen, calls) is
 * discovery.ts; the routes join the two.
 */
export const AGENT_STATUSES = ['active', 'deprecated', 'experimental'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** How a row came to be: written by PUT (`manual`) or registered by POST …/discover (`discover`). */
export type CatalogSource = 'manual' | 'discover';

export interface AgentRecord {
  id: string;
  project_id: string;
  agent_name: string;
  description: string;
  owner: string;
  tags: string[];
  status: AgentStatus;
  runbook_url: string;
  source: CatalogSource;
  created_at: string;
  updated_at: string;
}

export interface ServerRecord {
  id: string;
  project_id: string;
  server_name: string;
  description: string;
  owner: string;
  tags: string[];
  runbook_url: string;
  source: CatalogSource;
  created_at: string;
  updated_at: string;
}

export type AgentFields = Pick<AgentRecord, 'description' | 'owner' | 'tags' | 'status' | 'runbook_url'>;

const tags = (v: unknown): string[] => {
  try {
    const x = typeof v === 'string' ? JSON.parse(v) : v;
    return Array.isArray(x) ? x.map(String) : [];
  } catch {
    return [];
  }
};

const AGENT_SELECT = `SELECT id, project_id, agent_name, description, owner, tags, status, runbook_url, source,
  ${isoSql('created_at')} AS created_at, ${isoSql('updated_at')} AS updated_at FROM agent_metadata`;
const SERVER_SELECT = `SELECT id, project_id, server_name, description, owner, tags, runbook_url, source,
  ${isoSql('created_at')} AS created_at, ${isoSql('updated_at')} AS updated_at FROM server_metadata`;

const agentRecord = (r: Record<string, unknown>): AgentRecord => ({
  id: String(r.id), project_id: String(r.project_id), agent_name: String(r.agent_name), description: String(r.description),
  owner: String(r.owner), tags: tags(r.tags), status: r.status as AgentStatus, runbook_url: String(r.runbook_url),
  source: r.source as CatalogSource, created_at: String(r.created_at), updated_at: String(r.updated_at),
});

const serverRecord = (r: Record<string, unknown>): ServerRecord => ({
  id: String(r.id), project_id: String(r.project_id), server_name: String(r.server_name), description: String(r.description),
  owner: String(r.owner), tags: tags(r.tags), runbook_url: String(r.runbook_url),
  source: r.source as CatalogSource, created_at: String(r.created_at), updated_at: String(r.updated_at),
});

export class CatalogTable {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly conn: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<CatalogTable> {
    return new CatalogTable(await instance.connect());
  }

  /** Every agent row of the project, by name. */
  async agents(projectId: string): Promise<AgentRecord[]> {
    return (await queryRows(this.conn, `${AGENT_SELECT} WHERE project_id = $1 ORDER BY agent_name`, [projectId])).map(agentRecord);
  }

  async agent(projectId: string, name: string): Promise<AgentRecord | null> {
    const rows = await queryRows(this.conn, `${AGENT_SELECT} WHERE project_id = $1 AND agent_name = $2`, [projectId, name]);
    return rows.length === 0 ? null : agentRecord(rows[0]);
  }

  /** Creates or replaces the agent's fields (PUT: absent fields take their defaults); `created` says which. */
  putAgent(projectId: string, name: string, f: AgentFields): Promise<{ record: AgentRecord; created: boolean }> {
    return this.serial(async () => {
      const cur = await this.agent(projectId, name);
      const now = Date.now() * 1000;
      await this.conn.run(`
        INSERT INTO agent_metadata VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'manual', make_timestamp($9::BIGINT), make_timestamp($9::BIGINT))
        ON CONFLICT (project_id, agent_name) DO UPDATE SET description = excluded.description, owner = excluded.owner,
          tags = excluded.tags, status = excluded.status, runbook_url = excluded.runbook_url, source = 'manual',
          updated_at = excluded.updated_at`,
      [projectId, name, cur?.id ?? randomUUID(), f.description, f.owner, JSON.stringify(f.tags), f.status, f.runbook_url, now]);
      return { record: (await this.agent(projectId, name))!, created: cur === null };
    });
  }

  /** Deletes the agent's row; false when it had none. */
  deleteAgent(projectId: string, name: string): Promise<boolean> {
    return this.serial(async () => {
      if ((await this.agent(projectId, name)) === null) return false;
      await this.conn.run('DELETE FROM agent_metadata WHERE project_id = $1 AND agent_name = $2', [projectId, name]);
      return true;
    });
  }

  async servers(projectId: string): Promise<ServerRecord[]> {
    return (await queryRows(this.conn, `${SERVER_SELECT} WHERE project_id = $1 ORDER BY server_name`, [projectId])).map(serverRecord);
  }

  /** Registers the names of `kind` not yet in the catalog (source `discover`, empty fields); returns those added, by name. */
  register(kind: 'agent' | 'server', projectId: string, names: string[]): Promise<string[]> {
    return this.serial(async () => {
      const table = kind === 'agent' ? 'agent_metadata' : 'server_metadata';
      const col = kind === 'agent' ? 'agent_name' : 'server_name';
      const have = new Set((await queryRows(this.conn, `SELECT ${col} AS name FROM ${table} WHERE project_id = $1`, [projectId])).map((r) => String(r.name)));
      const added = [...new Set(names)].filter((n) => !have.has(n)).sort();
      if (added.length === 0) return added;
      const now = Date.now() * 1000;
      // A few hundred rows per statement: a backfill of many names stays a handful of inserts.
      for (let i = 0; i < added.length; i += 500) {
        const values: string[] = [];
        const params: DuckDBValue[] = [projectId, now];
        for (const name of added.slice(i, i + 500)) {
          params.push(name, randomUUID());
          const [n, id] = [params.length - 1, params.length];
          values.push(kind === 'agent'
            ? `($1, $${n}, $${id}, '', '', '[]', 'active', '', 'discover', make_timestamp($2::BIGINT), make_timestamp($2::BIGINT))`
            : `($1, $${n}, $${id}, '', '', '[]', '', 'discover', make_timestamp($2::BIGINT), make_timestamp($2::BIGINT))`);
        }
        await this.conn.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`, params);
      }
      return added;
    });
  }

  close(): void {
    this.conn.closeSync();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }
}
