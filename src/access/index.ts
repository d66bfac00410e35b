import type { IncomingMessage } from 'node:http';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { ConfigError } from '../config/index.js';
import type { LookspanConfig } from '../config/index.js';
import { ApiKeys } from './api-keys.js';
import { AuditLog } from './audit.js';
import { Authenticator } from './credentials.js';
import { Cors } from './cors.js';
import { Projects } from './projects.js';
import { RateLimiter } from './rate-limit.js';
import type { RateLimitConfig } from './rate-policy.js';
import { Sessions } from './sessions.js';
import { SettingsTable } from './settings.js';
import { parseStaticKeys, type StaticKey } from './static-keys.js';
import { AccessTables } from './tables.js';
import type { RequestAccess } from './context.js';
import { Tickets } from './tickets.js';
import { TrustedProxies } from './trusted-proxy.js';
import { Users } from './users.js';

export type { RequestAccess, IngestScope } from './context.js';
export { accessOf, ingestScopeOf, noteAudit } from './context.js';

/** Whether a listen address is this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * What a server with these settings may do at start (docs/security.md,
 * "Auth-disabled mode"): with a credential configured, authenticate; with
 * none on loopback, run open (a laptop); with none on any other address,
 * refuse, unless auth.allowOpen says so (then warn at every start).
 */
export function startMode(host: string, credentials: number, allowOpen: boolean): 'authenticated' | 'open-loopback' | 'open-allowed' | 'refused' {
  if (credentials > 0) return 'authenticated';
  if (isLoopbackHost(host)) return 'open-loopback';
  return allowOpen ? 'open-allowed' : 'refused';
}

/**
 * Access control, built once in the composition root: credentials (static
 * keys, API keys, sessions, stream tickets, trusted-proxy headers), the
 * tables behind projects, users, settings and the audit log, the rate
 * limiter and CORS. Transports ask `decide()` (decide.ts) through their own
 * adapter: middleware.ts (Koa), grpc.ts (gRPC), upgrade.ts (WebSocket).
 */
export class AccessControl {
  readonly authenticator: Authenticator;
  readonly limiter: RateLimiter;
  readonly proxies: TrustedProxies;
  readonly cors: Cors;
  readonly tickets: Tickets;
  readonly audit: AuditLog;
  readonly rateLimitConfig: RateLimitConfig;
  readonly loopback: boolean;
  /** Decisions of requests that went through the Koa middleware, for stages that see only the raw request (the live hub). */
  readonly decided = new WeakMap<IncomingMessage, RequestAccess>();

  private constructor(
    readonly config: LookspanConfig,
    private readonly tables: AccessTables,
    readonly staticKeys: readonly StaticKey[],
    readonly apiKeys: ApiKeys,
    readonly projects: Projects,
    readonly users: Users,
    readonly sessions: Sessions,
    readonly settings: SettingsTable,
    log: Logger,
  ) {
    const { auth, rateLimits, cors } = config;
    this.loopback = isLoopbackHost(config.server.host);
    this.tickets = new Tickets(auth.ticketSecret, auth.ticketTtlSeconds);
    this.authenticator = new Authenticator(staticKeys, apiKeys, sessions, users, this.tickets);
    this.limiter = new RateLimiter(rateLimits.maxTrackedClients);
    this.rateLimitConfig = rateLimits;
    this.proxies = new TrustedProxies(auth.trustedProxyCidrs);
    this.cors = new Cors(cors);
    this.audit = new AuditLog(tables, log);
  }

  static async open(config: LookspanConfig, instance: DuckDBInstance, log: Logger): Promise<AccessControl> {
    const staticKeys = parseStaticKeys(config.auth.apiKeys);
    const tables = await AccessTables.open(instance);
    try {
      const ac = new AccessControl(
        config, tables, staticKeys,
        await ApiKeys.open(tables), await Projects.open(tables), await Users.open(tables),
        await Sessions.open(tables, config.auth.sessionTtlSeconds), await SettingsTable.open(tables), log,
      );
      ac.checkStart(log);
      return ac;
    } catch (err) {
      await tables.close();
      throw err;
    }
  }

  /** Static keys, live API keys and active users: with any, every route but the open ones needs a credential. */
  credentialCount(): number {
    return this.staticKeys.length + this.apiKeys.activeCount() + this.users.activeCount();
  }

  authRequired(): boolean {
    return this.credentialCount() > 0;
  }

  /** Rate limits apply unless switched off, or the server is a loopback one without credentials (a laptop). */
  rateLimited(): boolean {
    return this.config.rateLimits.enabled && (this.authRequired() || !this.loopback);
  }

  private checkStart(log: Logger): void {
    const host = this.config.server.host;
    const mode = startMode(host, this.credentialCount(), this.config.auth.allowOpen);
    if (mode === 'refused') {
      throw new ConfigError(
        `refusing to start: server.host is ${host} (not loopback) and no API key is configured, so anyone who can reach it could read and write every project's data. `
        + 'Set LOOKSPAN_API_KEYS (comma-separated <key>:<role>[:<project>], e.g. from a Kubernetes Secret) or auth.apiKeys, '
        + 'bind 127.0.0.1, or set auth.allowOpen: true (LOOKSPAN_AUTH_ALLOW_OPEN=true) if another layer authenticates every request',
      );
    }
    if (mode === 'open-allowed') {
      log.warn({ host }, `authentication is OFF on ${host} (auth.allowOpen): every request acts as an admin of every project; configure LOOKSPAN_API_KEYS to turn it on`);
    } else if (mode === 'open-loopback') {
      log.info({ host }, 'no API key configured: authentication is off (loopback only); create the first admin key with POST /api/keys');
    }
  }

  /** Flushes the audit log and closes the tables' connection; safe to call twice. */
  async close(): Promise<void> {
    await this.audit.close();
    await this.tables.close();
  }
}
