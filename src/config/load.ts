import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, type LookspanConfig, type LookspanConfigInput } from './schema.js';

/** A configuration problem; the message names the offending key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Environment variable → config path and parser. Env beats YAML beats defaults. */
const ENV_KEYS: ReadonlyArray<[string, string[], 'string' | 'int' | 'bool' | 'list']> = [
  ['LOOKSPAN_HOST', ['server', 'host'], 'string'],
  ['LOOKSPAN_HTTP_PORT', ['server', 'httpPort'], 'int'],
  ['LOOKSPAN_GRPC_PORT', ['server', 'grpcPort'], 'int'],
  ['LOOKSPAN_SHUTDOWN_TIMEOUT_SECONDS', ['server', 'shutdownTimeoutSeconds'], 'int'],
  ['LOOKSPAN_DATA_DIR', ['storage', 'dataDir'], 'string'],
  ['LOOKSPAN_DUCKDB_MEMORY_LIMIT', ['storage', 'duckdbMemoryLimit'], 'string'],
  ['LOOKSPAN_DUCKDB_THREADS', ['storage', 'duckdbThreads'], 'int'],
  ['LOOKSPAN_REPLICA', ['storage', 'replica'], 'string'],
  ['LOOKSPAN_SEAL_IDLE_SECONDS', ['storage', 'sealIdleSeconds'], 'int'],
  ['LOOKSPAN_SEAL_INTERVAL_SECONDS', ['storage', 'sealIntervalSeconds'], 'int'],
  ['LOOKSPAN_HOT_MAX_ROWS', ['storage', 'hotMaxRows'], 'int'],
  ['LOOKSPAN_HOT_MAX_AGE_SECONDS', ['storage', 'hotMaxAgeSeconds'], 'int'],
  ['LOOKSPAN_RETENTION_DAYS', ['storage', 'retentionDays'], 'int'],
  ['LOOKSPAN_MAX_BODY_BYTES', ['limits', 'maxBodyBytes'], 'int'],
  ['LOOKSPAN_MAX_DECOMPRESSED_BYTES', ['limits', 'maxDecompressedBytes'], 'int'],
  ['LOOKSPAN_GRPC_MAX_RECEIVE_BYTES', ['limits', 'grpcMaxReceiveBytes'], 'int'],
  ['LOOKSPAN_PAYLOAD_MAX_BYTES', ['limits', 'payloadMaxBytes'], 'int'],
  ['LOOKSPAN_MAX_JSON_DEPTH', ['limits', 'maxJsonDepth'], 'int'],
  ['LOOKSPAN_MAX_ATTRIBUTES_PER_SPAN', ['limits', 'maxAttributesPerSpan'], 'int'],
  ['LOOKSPAN_MAX_ATTRIBUTE_VALUE_BYTES', ['limits', 'maxAttributeValueBytes'], 'int'],
  ['LOOKSPAN_MAX_EVENTS_PER_SPAN', ['limits', 'maxEventsPerSpan'], 'int'],
  ['LOOKSPAN_MAX_LINKS_PER_SPAN', ['limits', 'maxLinksPerSpan'], 'int'],
  ['LOOKSPAN_MAX_ATTRIBUTES_PER_EVENT', ['limits', 'maxAttributesPerEvent'], 'int'],
  ['LOOKSPAN_MAX_ATTRIBUTES_PER_LINK', ['limits', 'maxAttributesPerLink'], 'int'],
  ['LOOKSPAN_QUEUE_MAX_SPANS', ['pipeline', 'queueMaxSpans'], 'int'],
  ['LOOKSPAN_WAL_MAX_UNLOADED_BYTES', ['pipeline', 'walMaxUnloadedBytes'], 'int'],
  ['LOOKSPAN_MAX_CONCURRENT_REQUESTS', ['pipeline', 'maxConcurrentRequests'], 'int'],
  ['LOOKSPAN_COMMIT_DELAY_MS', ['pipeline', 'commitDelayMs'], 'int'],
  ['LOOKSPAN_SEGMENT_MAX_BYTES', ['pipeline', 'segmentMaxBytes'], 'int'],
  ['LOOKSPAN_SEGMENT_MAX_AGE_MS', ['pipeline', 'segmentMaxAgeMs'], 'int'],
  ['LOOKSPAN_LOG_LEVEL', ['log', 'level'], 'string'],
  // Comma-separated `<key>:<role>[:<project>]`, so a Kubernetes Secret can hold them all in one value.
  ['LOOKSPAN_API_KEYS', ['auth', 'apiKeys'], 'list'],
  ['LOOKSPAN_AUTH_ALLOW_OPEN', ['auth', 'allowOpen'], 'bool'],
  ['LOOKSPAN_TRUSTED_PROXY_CIDRS', ['auth', 'trustedProxyCidrs'], 'list'],
  ['LOOKSPAN_TICKET_SECRET', ['auth', 'ticketSecret'], 'string'],
  ['LOOKSPAN_RATE_LIMITS_ENABLED', ['rateLimits', 'enabled'], 'bool'],
  ['LOOKSPAN_CORS_ALLOWED_ORIGINS', ['cors', 'allowedOrigins'], 'list'],
];

/** Config path (`storage.duckdbThreads`) → its environment variable, to name both in errors. */
const ENV_BY_PATH = new Map(ENV_KEYS.map(([name, path]) => [path.join('.'), name]));

/** `storage.duckdbThreads (LOOKSPAN_DUCKDB_THREADS)`: a config key and, when it has one, its variable. */
export function describeKey(path: string): string {
  const env = ENV_BY_PATH.get(path);
  return env ? `${path} (${env})` : path;
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${env:VAR}` (and `${env:VAR:-default}`) in one string. */
export function substituteEnv(text: string, env: Env): string {
  return text.replace(ENV_REF, (_m, name: string, fallback?: string) => {
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`config file references \${env:${name}} but ${name} is not set`);
  });
}

/**
 * Substitutes in parsed scalar values (so comments are never expanded and a
 * value can never change the YAML structure). A scalar that is exactly one
 * reference takes the type its text spells: `port: ${env:PORT}` is a number.
 */
function substituteValues(v: unknown, env: Env): unknown {
  if (typeof v === 'string') {
    if (!v.includes('${env:')) return v;
    const out = substituteEnv(v, env);
    const whole = /^\$\{env:[^}]*\}$/.test(v);
    if (whole && /^-?\d+(\.\d+)?$/.test(out)) return Number(out);
    if (whole && (out === 'true' || out === 'false')) return out === 'true';
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => substituteValues(x, env));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteValues(x, env)]));
  }
  return v;
}

function readYaml(path: string, env: Env): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  doc = substituteValues(doc, env);
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${path} must hold a mapping`);
  return doc as Record<string, unknown>;
}

function fromEnv(env: Env): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const [name, path, kind] of ENV_KEYS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (kind === 'int') {
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} (${path.join('.')}) must be an integer, got "${raw}"`);
      value = Number(raw.trim());
    } else if (kind === 'bool') {
      if (!/^(true|false)$/i.test(raw.trim())) throw new ConfigError(`${name} (${path.join('.')}) must be true or false, got "${raw}"`);
      value = raw.trim().toLowerCase() === 'true';
    } else if (kind === 'list') {
      value = raw.split(',').map((v) => v.trim()).filter((v) => v !== '');
    }
    (out[path[0]] ??= {})[path[1]] = value;
  }
  return out;
}

/**
 * The provider SDKs' own variables, below everything else: `evals.providers.*` set in the
 * file, LOOKSPAN_* or overrides wins over them (the issue's "config keys may override them").
 */
const SDK_ENV: ReadonlyArray<[string, 'openai' | 'anthropic', 'apiKey' | 'baseUrl']> = [
  ['OPENAI_API_KEY', 'openai', 'apiKey'],
  ['OPENAI_BASE_URL', 'openai', 'baseUrl'],
  ['ANTHROPIC_API_KEY', 'anthropic', 'apiKey'],
  ['ANTHROPIC_BASE_URL', 'anthropic', 'baseUrl'],
];

function sdkEnv(env: Env): Record<string, unknown> {
  const providers: Record<string, Record<string, string>> = {};
  for (const [name, provider, key] of SDK_ENV) {
    const v = env[name];
    if (v !== undefined && v !== '') (providers[provider] ??= {})[key] = v;
  }
  return Object.keys(providers).length === 0 ? {} : { evals: { providers } };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/** Validates a merged config object; the error names every bad field by its path. */
export function validateConfig(input: unknown): LookspanConfig {
  const result = configSchema.strict().safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => {
    const key = i.path.length > 0 ? describeKey(i.path.join('.')) : '(root)';
    return `${key}: ${i.message}${describeInput(i.input)}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/** `, got "lots"` for a scalar that failed validation; nothing for objects (unknown keys name themselves). */
function describeInput(input: unknown): string {
  if (typeof input === 'string') return `, got ${JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input)}`;
  if (typeof input === 'number' || typeof input === 'boolean') return `, got ${input}`;
  return '';
}

export interface LoadOptions {
  /** YAML file path (from --config); falls back to env LOOKSPAN_CONFIG. */
  file?: string;
  env?: Env;
  /** Highest precedence, used by tests and embedders. */
  overrides?: LookspanConfigInput;
}

/** Loads defaults < the provider SDKs' variables < YAML file < environment < explicit overrides. */
export function loadConfig(opts: LoadOptions = {}): LookspanConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.LOOKSPAN_CONFIG;
  let merged: Record<string, unknown> = sdkEnv(env);
  if (file) merged = deepMerge(merged, readYaml(file, env));
  merged = deepMerge(merged, fromEnv(env));
  if (opts.overrides) merged = deepMerge(merged, opts.overrides as Record<string, unknown>);
  return validateConfig(merged);
}
