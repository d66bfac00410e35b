import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

/**
 * A DuckDB memory_limit: a number and a unit, as DuckDB 1.5 parses it
 * (KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024; DuckDB
 * also takes B, K/M/G/T and spelled-out units, case-insensitive). DuckDB
 * refuses percentages and bare numbers, so they are refused here too.
 */
const MEMORY_LIMIT = /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*(?:b|bytes?|k|kb|kib|kilobytes?|m|mb|mib|megabytes?|g|gb|gib|gigabytes?|t|tb|tib|terabytes?)\s*$/i;
/** DuckDB's memory limit unless configured (bench/lake-read.ts measures the server's RSS under it). */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '512MB';
export const MEMORY_LIMIT_FORM = 'a size with a unit such as 512MB, 2GB or 1.5GiB (KB, MB, GB, TB = 1000^n bytes; KiB, MiB, GiB, TiB = 1024^n), or empty for DuckDB\'s default (80% of RAM)';
export const THREADS_FORM = 'a whole number of threads, 0 or more (0 lets DuckDB choose: one per core)';

/** A static API key entry: a key of 16+ characters without ":", "," or spaces, a role, an optional project. */
const STATIC_KEY = /^[^:,\s]{16,512}:(admin|viewer|ingest)(:[^:,\s]{1,128})?$/;
export const STATIC_KEY_FORM = '<key>:<role>[:<project>] with a key of 16 to 512 characters without ":", "," or spaces and a role admin, viewer or ingest';

function isCidr(v: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(v);
  if (!m) return false;
  const family = isIP(m[1]);
  return family !== 0 && Number(m[2]) <= (family === 4 ? 32 : 128);
}

/** Header name → the environment variable holding its value (read at check time, never stored or shown). */
const headerEnvMap = z.record(z.string().regex(/^[A-Za-z0-9-]{1,128}$/, 'must be an HTTP header name'), z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'));

/** One MCP server to check (docs/mcp.md "Configuration"). */
const mcpServerSchema = z.object({
  name: z.string().min(1).max(256),
  transport: z.enum(['stdio', 'streamable_http', 'sse']),
  /** stdio: the program and its arguments (run without a shell). */
  command: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  /** stdio: variables added to the small default environment the SDK passes (HOME, PATH, …). */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /** streamable_http and sse: the endpoint. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  headersFromEnv: headerEnvMap.default({}),
  /** The project its alerts, live events and listing belong to. */
  project: z.string().min(1).max(128).default('default'),
  intervalSeconds: positiveInt.optional(),
  timeoutSeconds: z.number().positive().max(600).optional(),
  degradedLatencyMs: positiveInt.optional(),
  /** Send `ping` after the lists (a server that does not implement it is degraded). */
  ping: z.boolean().default(true),
}).strict().superRefine((s, ctx) => {
  if (s.transport === 'stdio' && s.command === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: 'a stdio server needs a command' });
  if (s.transport !== 'stdio' && s.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${s.transport} server needs a url` });
});
export type McpServerConfig = z.infer<typeof mcpServerSchema>;

/**
 * The whole configuration as one validated schema. Every key is documented
 * in config/lookspan.example.yaml; defaults make `npm start` work alone.
 */
/** The host name, reduced to the replica id's character set (a container's host name is its pod name). */
function defaultReplica(): string {
  const h = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return h.length > 0 ? h : 'lookspan';
}

export const configSchema = z.object({
  server: z.object({
    /** Interface to bind; loopback by default so a laptop install is private. */
    host: z.string().min(1).default('127.0.0.1'),
    httpPort: port.default(3100),
    grpcPort: port.default(3317),
    /** Seconds a graceful shutdown may take before the process exits anyway. */
    shutdownTimeoutSeconds: positiveInt.default(10),
  }).strict().prefault({}),
  storage: z.object({
    dataDir: z.string().min(1).default('./data'),
    /** The Parquet lake's directory; '' is `<dataDir>/lake`. Replicas may share one (each keeps its own dataDir). */
    lakeDir: z.string().default(''),
    /**
     * DuckDB memory_limit, e.g. "2GB"; empty lets DuckDB choose (80% of RAM). The default keeps
     * the server under 1 GiB RSS: hot rows are few, and seals and compactions spill to disk.
     */
    duckdbMemoryLimit: z.string({ error: `must be ${MEMORY_LIMIT_FORM}` })
      .refine((v) => v === '' || MEMORY_LIMIT.test(v), { error: `must be ${MEMORY_LIMIT_FORM}` })
      .default(DEFAULT_DUCKDB_MEMORY_LIMIT),
    /** DuckDB threads; 0 lets DuckDB choose. */
    duckdbThreads: z.number({ error: `must be ${THREADS_FORM}` })
      .int({ error: `must be ${THREADS_FORM}` })
      .min(0, { error: `must be ${THREADS_FORM}` })
      .default(0),
    /** Names this instance's Parquet files (`<replica>-<seq>-<i>.parquet`), so replicas can share one lake. */
    replica: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, { error: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit' })
      .default(defaultReplica()),
    /**
     * Off by default: copies every sealed lake file to an S3-compatible bucket under the same
     * key layout. Credentials come only from the AWS SDK's default chain (AWS_ACCESS_KEY_ID /
     * AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, instance and pod roles), never from here.
     */
    mirror: z.object({
      enabled: z.boolean().default(false),
      bucket: z.string().default(''),
      /** Key prefix; objects are `<prefix>/<kind>/project_id=…/date=…/<file>.parquet`. */
      prefix: z.string().regex(/^[^/](.*[^/])?$|^$/, { error: 'must not start or end with "/"' }).default(''),
      /** An S3-compatible endpoint URL; '' uses AWS's endpoint for the region. */
      endpoint: z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or empty' })]).default(''),
      region: z.string().min(1).default('us-east-1'),
      /** Bucket in the path (`http://host/bucket/key`), as most S3-compatible servers want. */
      forcePathStyle: z.boolean().default(false),
      /** Uploads in flight at once. */
      concurrency: z.number().int().min(1).max(64).default(4),
      /** Objects of files a compaction replaced or retention dropped are deleted this long after (readers of the bucket may still read them). */
      deleteGraceSeconds: z.number().int().min(0).default(30),
    }).strict().refine((m) => !m.enabled || m.bucket !== '', { error: 'must be set when storage.mirror.enabled is true', path: ['bucket'] })
      .prefault({}),
    /** Hot traces that received no span for this long are sealed into the Parquet lake. */
    sealIdleSeconds: positiveInt.default(300),
    /** How often the store looks for idle traces to seal. */
    sealIntervalSeconds: positiveInt.default(30),
    /** Hot spans kept in DuckDB at most: past it the least recently loaded traces are sealed, idle or not. */
    hotMaxRows: positiveInt.default(200_000),
    /** A hot trace that started longer ago than this is sealed even while it still receives spans (later ones form a new partial summary). */
    hotMaxAgeSeconds: positiveInt.default(900),
    /** Days of data kept: older date partitions and hot rows are dropped (checked at most hourly); 0 keeps everything. */
    retentionDays: z.number().int().min(0).default(0),
    /** Days kept per project, overriding retentionDays for that project (0 keeps the project's data forever). */
    retentionByProject: z.record(z.string().min(1), z.number().int().min(0)).default({}),
  }).strict().prefault({}),
  /** The read side's aggregates (docs/costs.md). */
  analysis: z.object({
    /** GET /api/reliability/anomalies: z-scores of the current window against equal-length buckets of the baseline before it. */
    anomalies: z.object({
      /** Length of the current window (and of each baseline bucket), hours. */
      currentHours: z.number().int().min(1).max(24).default(1),
      /** The baseline before the current window, hours (7 days). */
      baselineHours: z.number().int().min(24).max(720).default(168),
      /** z from which a degradation is an anomaly (warning)... */
      zThreshold: z.number().min(0.5).max(20).default(3),
      /** ...and a critical one. */
      criticalZThreshold: z.number().min(0.5).max(50).default(5),
      /** Calls a group needs in the current window to be scored. */
      minCurrentCalls: positiveInt.default(5),
      /** Baseline buckets with calls a group needs to be scored. */
      minBaselineBuckets: z.number().int().min(2).default(3),
      /** Floor of the error rate's standard deviation, so a baseline that never failed still scores new failures. */
      errorRateMinStddev: z.number().positive().max(1).default(0.01),
      /** Floor of the p99 latency's standard deviation, as a fraction of the baseline mean (and at least 1 ms). */
      latencyMinStddevRatio: z.number().positive().max(10).default(0.05),
    }).strict().refine((a) => a.criticalZThreshold >= a.zThreshold, { error: 'must not be below zThreshold', path: ['criticalZThreshold'] })
      .prefault({}),
  }).strict().prefault({}),
  limits: z.object({
    /** Largest request body accepted on the wire (compressed size), bytes. */
    maxBodyBytes: positiveInt.default(16 * 1024 * 1024),
    /** Largest body after gzip expansion, bytes; stops gzip bombs. */
    maxDecompressedBytes: positiveInt.default(64 * 1024 * 1024),
    /** grpc-js max receive message size, bytes. */
    grpcMaxReceiveBytes: positiveInt.default(16 * 1024 * 1024),
    /** Deepest AnyValue nesting (arrays/kvlists) accepted in an attribute. */
    maxAttributeDepth: positiveInt.default(16),
    /** Cap per captured payload field (input/output), bytes. */
    payloadMaxBytes: positiveInt.default(64 * 1024),
    /** Deepest nesting of JSON arrays/objects in a native JSON body (envelope included); deeper is a 400. */
    maxJsonDepth: z.number().int().min(4).default(64),
    // Span limits (like the OTel SDK's SpanLimits), applied to every stored span; cuts are marked in `lookspan.truncated`.
    /** Attributes kept per span (and per resource), the first ones in key order. */
    maxAttributesPerSpan: z.number().int().min(0).default(128),
    /** Longest attribute string value (also inside arrays/maps, events, links, resource), UTF-8 bytes. */
    maxAttributeValueBytes: positiveInt.default(16 * 1024),
    /** Events kept per span: the last ones (as the OTel JS SDK drops the oldest). */
    maxEventsPerSpan: z.number().int().min(0).default(128),
    /** Links kept per span: the first ones. */
    maxLinksPerSpan: z.number().int().min(0).default(128),
    /** Attributes kept per span event. */
    maxAttributesPerEvent: z.number().int().min(0).default(128),
    /** Attributes kept per span link. */
    maxAttributesPerLink: z.number().int().min(0).default(128),
  }).strict().prefault({}),
  pipeline: z.object({
    /** Spans accepted but not yet fsynced; past it receivers answer 429. */
    queueMaxSpans: positiveInt.default(200_000),
    /** WAL bytes written but not yet loaded into DuckDB; past it receivers answer 429. */
    walMaxUnloadedBytes: positiveInt.default(1024 * 1024 * 1024),
    /** Group commit window: requests arriving within it share one fsync. */
    commitDelayMs: z.number().min(0).max(1000).default(2),
    /** Seal a WAL segment at this size... */
    segmentMaxBytes: positiveInt.default(64 * 1024 * 1024),
    /** ...or at this age, so spans are queryable within about a second. */
    segmentMaxAgeMs: positiveInt.default(500),
    /** Seconds suggested to clients in Retry-After / RetryInfo when overloaded. */
    retryAfterSeconds: positiveInt.default(2),
    /**
     * Requests each receiver (OTLP/HTTP, OTLP/gRPC, native) works on at once; past it a request
     * is answered 429 / RESOURCE_EXHAUSTED before its body is read or decoded (docs/performance.md).
     */
    maxConcurrentRequests: positiveInt.default(16),
  }).strict().prefault({}),
  /** Access control (src/access/, docs/security.md): keys, the open mode, trusted proxies, tickets, sessions, invitations. */
  auth: z.object({
    /** Static keys, each `<key>:<role>[:<project>]` (role admin, viewer or ingest); LOOKSPAN_API_KEYS, comma-separated. */
    apiKeys: z.array(z.string()).superRefine((keys, ctx) => {
      keys.forEach((k, i) => {
        // The message never repeats the value: it is a secret.
        if (!STATIC_KEY.test(k)) ctx.addIssue({ code: 'custom', message: `entry ${i + 1} must be ${STATIC_KEY_FORM} (the value is not shown: it is a secret)` });
      });
    }).default([]),
    /** Without any key, serve a non-loopback address anyway (every request acts as admin; a warning at every start). */
    allowOpen: z.boolean().default(false),
    /** Peers whose X-User-Id / X-User-Role / X-Forwarded-For headers are believed. */
    trustedProxyCidrs: z.array(z.string().refine(isCidr, { error: 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or ::1/128' }))
      .default(['127.0.0.0/8', '::1/128']),
    /** OTLP resource attribute naming the project of spans sent with a key bound to no project ('' = none). */
    projectResourceAttribute: z.string().max(256).default(''),
    /** Signs stream tickets; '' draws a random one per process. Replicas behind one Service need the same. */
    ticketSecret: z.string().refine((v) => v === '' || v.length >= 32, { error: 'must be empty or at least 32 characters' }).default(''),
    /** Lifetime of a stream ticket (EventSource / WebSocket URL credential), seconds. */
    ticketTtlSeconds: z.number().int().min(1).max(600).default(60),
    /** Lifetime of a dashboard session from POST /api/users/verify, seconds. */
    sessionTtlSeconds: positiveInt.default(12 * 3600),
    /** Lifetime of an invitation token, seconds. */
    inviteTtlSeconds: positiveInt.default(7 * 24 * 3600),
  }).strict().prefault({}),
  /** Requests per minute per key (or client address without one); docs/security.md lists the built-in per-route limits. */
  rateLimits: z.object({
    enabled: z.boolean().default(true),
    /** Every route without a limit of its own. */
    defaultPerMinute: positiveInt.default(200),
    /** Every route that needs the ingest role (OTLP, native ingest), unless listed in `routes`. */
    ingestPerMinute: positiveInt.default(6000),
    /** Per-route limits over the built-in ones, keyed `METHOD /path` as in src/access/route-roles.ts. */
    routes: z.record(z.string().regex(/^(GET|POST|PUT|PATCH|DELETE|grpc) \//, { error: 'must be "METHOD /path" or "grpc /service/Method"' }), positiveInt).default({}),
    /** Clients (key or address, per route) tracked at once; past it the fully replenished ones are forgotten first. */
    maxTrackedClients: positiveInt.default(100_000),
  }).strict().prefault({}),
  /** Cross-origin requests to OTLP/HTTP and the REST API (browser SDKs); off until origins are listed. */
  cors: z.object({
    /** Origins such as https://app.example.com, https://*.example.com, or * (then never with credentials). */
    allowedOrigins: z.array(z.string().min(1)).default([]),
    /** Request headers allowed beyond Content-Type, Content-Encoding, Authorization, X-API-Key and X-Lookspan-Project. */
    allowedHeaders: z.array(z.string().min(1)).default([]),
    /** Access-Control-Allow-Credentials for listed origins (never for *). */
    allowCredentials: z.boolean().default(false),
    /** Access-Control-Max-Age of preflight answers, seconds (0 = not sent). */
    maxAgeSeconds: z.number().int().min(0).max(86_400).default(0),
  }).strict().prefault({}),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).strict().prefault({}),
  /** The OTLP logs signal (POST /v1/logs, LogsService/Export; docs/semconv.md "GenAI events in log records"). */
  logs: z.object({
    /** Store log records that are no GenAI or MCP event too (plain log lines, other domains' events); off: acknowledged, counted, dropped. */
    storeOtherEvents: z.boolean().default(false),
  }).strict().prefault({}),
  /** Live streams (docs/live.md): WebSocket at /api/live, SSE at /api/stream and /api/live/events. */
  live: z.object({
    /** WebSocket connections at once; the next upgrade is answered 503. */
    wsMaxClients: positiveInt.default(500),
    /** Events waiting for one WebSocket client; past it the client is closed with code 4008. */
    wsMaxQueuedEvents: positiveInt.default(1000),
    /** Bytes ws may hold unsent for one client before its events wait in the queue above. */
    wsHighWaterBytes: positiveInt.default(256 * 1024),
    /** Ping interval; a client that has not answered the previous ping is terminated. */
    heartbeatSeconds: z.number().positive().default(30),
    /** SSE streams at once (both routes together); the next is answered 503. */
    sseMaxClients: positiveInt.default(200),
    /** Events buffered per SSE client; past it the oldest are dropped. */
    sseBufferEvents: positiveInt.default(50),
    /** Seconds between `: keepalive` comments on every SSE stream. */
    sseKeepaliveSeconds: z.number().positive().default(15),
    /** Recent events kept for Last-Event-ID resume. */
    replayEvents: positiveInt.default(1000),
    /** Events accepted by the broadcaster and not yet fanned out; past it the oldest are dropped (counted). */
    maxPendingEvents: positiveInt.default(100_000),
  }).strict().prefault({}),
  /**
   * Evaluations (docs/evals.md): the model providers replay, the judge and dataset runs call.
   * Keys and base URLs come from here only, never from a request; unset, the SDKs' own
   * OPENAI_API_KEY / OPENAI_BASE_URL / ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL apply (set here, these win).
   */
  evals: z.object({
    providers: z.object({
      /** OpenAI or any OpenAI-compatible endpoint (through the `openai` package). */
      openai: z.object({
        apiKey: z.string().default(''),
        /** '' is https://api.openai.com/v1. */
        baseUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or empty' })]).default(''),
      }).strict().prefault({}),
      /** Anthropic (through `@anthropic-ai/sdk`). */
      anthropic: z.object({
        apiKey: z.string().default(''),
        /** '' is https://api.anthropic.com. */
        baseUrl: z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or empty' })]).default(''),
      }).strict().prefault({}),
    }).strict().prefault({}),
    /** One provider request may take this long before it is abandoned (and retried), ms. */
    timeoutMs: positiveInt.default(60_000),
    /** Retries of a request answered 408/409/429/5xx or timed out (backoff, honouring retry-after). */
    maxRetries: z.number().int().min(0).max(10).default(2),
    /** First backoff delay; doubled per retry up to retryMaxDelayMs (a retry-after up to that bound wins). */
    retryBaseDelayMs: positiveInt.default(500),
    retryMaxDelayMs: positiveInt.default(30_000),
    /** The judge's model when a request names none; '' takes gpt-4o-mini (OpenAI) or claude-haiku-4-5 (Anthropic). */
    judgeModel: z.string().default(''),
    /** Dataset items evaluated at once per run. */
    runConcurrency: z.number().int().min(1).max(32).default(4),
    /** Runs evaluating at once (more wait, queued). */
    maxActiveRuns: z.number().int().min(1).max(16).default(2),
  }).strict().prefault({}),
  /** Alerts and prevention (docs/alerts.md, docs/prevention.md). */
  alerts: z.object({
    /** How often the rules over stored data (error rate, latency, spend, anomaly) are evaluated. */
    evaluateIntervalSeconds: positiveInt.default(60),
    /** Alert history rows kept (oldest deleted first). */
    historyMax: positiveInt.default(10_000),
    /** Sessions whose prevention state is kept in memory (least recently active evicted first). */
    maxTrackedSessions: positiveInt.default(10_000),
    /** Consecutive failed tool calls to one MCP server that raise mcp_down (the next success raises mcp_recovered). */
    mcpDownAfterFailures: positiveInt.default(3),
    delivery: z.object({
      /** Attempts per target and alert (the first included). */
      attempts: positiveInt.default(5),
      firstRetryMs: positiveInt.default(1000),
      maxRetryMs: positiveInt.default(60_000),
      timeoutMs: positiveInt.default(10_000),
      /** Deliveries waiting at once; past it the oldest is dropped and recorded as such. */
      queueMax: positiveInt.default(1000),
    }).strict().prefault({}),
    /** Which outbound URLs (Slack, webhook) may be called: https to public addresses only, unless widened here. */
    outbound: z.object({
      allowHttp: z.boolean().default(false),
      /** Loopback, private, link-local and other non-public addresses. */
      allowPrivate: z.boolean().default(false),
      /** Hosts or IP addresses allowed whatever their address (e.g. an internal relay, 127.0.0.1 in tests). */
      allowHosts: z.array(z.string().min(1)).default([]),
    }).strict().prefault({}),
  }).strict().prefault({}),
  /** Active MCP server health checks, schema drift and the security scan (docs/mcp.md). */
  mcp: z.object({
    /** The servers checked; each name once. Servers only seen in spans are listed too, unchecked (no transport known). */
    servers: z.array(mcpServerSchema).default([]).superRefine((servers, ctx) => {
      const seen = new Set<string>();
      servers.forEach((s, i) => {
        if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `server name "${s.name}" is configured twice` });
        seen.add(s.name);
      });
    }),
    /** Run the checks on their schedule (off: only POST /api/health/check and POST /api/security/scan run them). */
    schedule: z.boolean().default(true),
    /** Seconds between two checks of one server (a server may set its own). */
    intervalSeconds: positiveInt.default(60),
    /** Each wait is the interval times a random factor in [1 - jitter, 1 + jitter], so servers do not line up. */
    jitter: z.number().min(0).max(0.9).default(0.2),
    /** A whole check (start, initialize, lists, ping) past this is down and its stdio process killed. */
    timeoutSeconds: z.number().positive().max(600).default(10),
    /** Checks running at once, scheduled and requested together. */
    concurrency: positiveInt.max(64).default(4),
    /** A check that succeeded but took longer than this is degraded. */
    degradedLatencyMs: positiveInt.default(2000),
    /** Consecutive failed checks that raise mcp_down (the next good check raises mcp_recovered). */
    downAfterFailures: positiveInt.default(2),
    /** Latest results older than this many intervals are reported as stale. */
    staleAfterIntervals: positiveInt.default(3),
    /** Check results kept per server (the oldest deleted first); drift records and scans keep a tenth of it each. */
    historyPerServer: positiveInt.min(10).max(100_000).default(1000),
  }).strict().prefault({}),
});

export type LookspanConfig = z.infer<typeof configSchema>;
/** Partial config as accepted from YAML, env or tests. */
export type LookspanConfigInput = z.input<typeof configSchema>;
