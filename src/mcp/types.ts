/** The transports a configured MCP server is reached by (langsight's TransportType values). */
export const MCP_TRANSPORTS = ['stdio', 'streamable_http', 'sse'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

/**
 * A server's health: `up`; `degraded` (answered, but slowly or an optional
 * step failed); `down`; `stale` (the latest result is older than
 * `staleAfterIntervals` intervals; history keeps each status as found);
 * `unknown` (never checked, or only seen
 * in spans so there is no transport to check it by).
 */
export const SERVER_STATUSES = ['up', 'degraded', 'down', 'stale', 'unknown'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];
/** What one check can find (stale and unknown are judgements made when reading). */
export type CheckStatus = 'up' | 'degraded' | 'down';

/** The protocol steps of a check, in order; `shutdown` is how a stdio process ended. */
export const CHECK_STEPS = ['initialize', 'tools/list', 'resources/list', 'prompts/list', 'ping', 'shutdown'] as const;
export type CheckStep = (typeof CHECK_STEPS)[number];

export interface StepResult {
  step: CheckStep;
  status: 'ok' | 'error' | 'skipped';
  latency_ms: number | null;
  error: string | null;
}

/** One tool as tools/list reported it. */
export interface ToolInfo {
  name: string;
  description: string | null;
  input_schema: Record<string, unknown>;
  /** MCP ToolAnnotations (readOnlyHint, destructiveHint, …); not part of the schema hash. */
  annotations: Record<string, unknown> | null;
}

/** What one check of one server found. */
export interface CheckOutcome {
  status: CheckStatus;
  /** From the start of the check to the end of its last protocol step. */
  latencyMs: number | null;
  error: string | null;
  steps: StepResult[];
  /** Null when tools/list failed or was not reached. */
  tools: ToolInfo[] | null;
  resourcesCount: number | null;
  promptsCount: number | null;
  protocolVersion: string | null;
  serverInfo: { name: string; version: string } | null;
  /** Epoch milliseconds when the check started. */
  startedAt: number;
}

export type CheckTrigger = 'schedule' | 'request' | 'scan';
