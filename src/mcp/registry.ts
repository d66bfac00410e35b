import type { McpServerConfig } from '../config/schema.js';
import { discoveredNames, DiscoveryCache } from '../analysis/discovery.js';
import type { Database } from '../store/index.js';

/** A server as the health routes list it: configured (checked) or only seen in a project's spans (not checkable). */
export type RegistryEntry =
  | { name: string; projectId: string; source: 'config'; config: McpServerConfig }
  | { name: string; projectId: string; source: 'discovered'; config: null; lastSeenAt: string };

/**
 * The servers known to the health checks: those of `mcp.servers` (each in
 * its project) and, per project, every server the stored spans name that is
 * not configured — auto-discovered from MCP and tool-call spans the way the
 * agent catalog is (src/analysis/discovery.ts). A span names a server but
 * not how to reach it, so a discovered server is listed with status
 * `unknown` until it is configured.
 */
export class McpRegistry {
  private readonly byName: Map<string, McpServerConfig>;
  private readonly discovery = new DiscoveryCache();

  constructor(servers: readonly McpServerConfig[], private readonly db: Database | null) {
    this.byName = new Map(servers.map((s) => [s.name, s]));
  }

  /** Every configured server, in config order. */
  get configured(): McpServerConfig[] {
    return [...this.byName.values()];
  }

  /** A configured server by name. */
  server(name: string): McpServerConfig | undefined {
    return this.byName.get(name);
  }

  /** The configured servers of one project. */
  configuredIn(projectId: string): McpServerConfig[] {
    return this.configured.filter((s) => s.project === projectId);
  }

  /** The project's configured and discovered servers, by name. */
  async list(projectId: string): Promise<RegistryEntry[]> {
    const out: RegistryEntry[] = this.configuredIn(projectId).map((config) => ({ name: config.name, projectId, source: 'config' as const, config }));
    if (this.db !== null) {
      const found = await this.db.withSnapshot((c) => discoveredNames(c, projectId, this.discovery));
      for (const seen of found.servers.values()) {
        if (!this.byName.has(seen.name)) out.push({ name: seen.name, projectId, source: 'discovered', config: null, lastSeenAt: seen.lastSeenAt });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One server of the project, or null. */
  async find(projectId: string, name: string): Promise<RegistryEntry | null> {
    const c = this.byName.get(name);
    if (c && c.project === projectId) return { name, projectId, source: 'config', config: c };
    return (await this.list(projectId)).find((e) => e.name === name) ?? null;
  }
}
