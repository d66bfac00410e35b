/** The answers the dashboard reads, as GET /openapi.json describes them (only the fields it uses). */

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number | null;
}

export interface TraceSummary {
  id: string;
  projectId: string;
  name: string | null;
  status: string;
  framework: string | null;
  serviceName: string | null;
  sessionId: string | null;
  userId: string | null;
  agentName: string | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  llmCallCount: number;
  toolCallCount: number;
  models: string[];
  totalUsage: Usage;
}

export interface TraceList {
  traces: TraceSummary[];
  limit: number;
  offset: number;
  hasMore: boolean;
}

export interface TraceSpan {
  id: string;
  traceId: string;
  parentSpanId: string | null;
  parentIndex: number | null;
  depth: number;
  name: string;
  kind: string | null;
  type: string;
  status: string;
  statusMessage?: string | null;
  errorType?: string | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  serviceName?: string | null;
  agentName: string | null;
  provider?: string | null;
  operation?: string | null;
  model: string | null;
  finishReason?: string | null;
  toolName: string | null;
  toolCallId?: string | null;
  serverName: string | null;
  mcp?: { method: string | null; sessionId: string | null; resourceUri: string | null };
  usage: {
    inputTokens: number | null;
    outputTokens: number | null;
    cacheReadTokens?: number | null;
    cacheWriteTokens?: number | null;
    reasoningTokens?: number | null;
    costUsd: number | null;
    costSource?: string | null;
  };
  input?: unknown;
  output?: unknown;
  attributes?: unknown;
  events?: unknown;
}

export interface Score {
  id: string;
  spanId: string | null;
  name: string;
  value: number | null;
  label?: string | null;
  comment?: string | null;
  source: string;
  createdAt: string;
}

export interface TraceDetail extends TraceSummary {
  rootSpanId: string | null;
  spans: TraceSpan[];
  scores: Score[];
}

export const HEALTH_TAGS = ['success', 'success_with_fallback', 'loop_detected', 'budget_exceeded', 'tool_failure', 'circuit_breaker_open', 'timeout', 'schema_drift'] as const;

export interface SessionSummary {
  id: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  traceCount: number;
  spanCount: number;
  errorCount: number;
  llmCallCount: number;
  toolCallCount: number;
  failedToolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  rootAgent: string | null;
  userId: string | null;
  agents: string[];
  servers: string[];
  healthTag: string;
}

export interface SessionList {
  sessions: SessionSummary[];
  limit: number;
  offset: number;
  hasMore: boolean;
}

export interface SessionDetail extends SessionSummary {
  agentTimeline: Array<{ name: string; firstSeenAt: string; lastSeenAt: string; spanCount: number; errorCount: number; llmCallCount: number; toolCallCount: number }>;
  traces: TraceSummary[];
  traceLimit: number;
  traceOffset: number;
  tracesHasMore: boolean;
}

export interface CostEntry {
  calls: number;
  unpricedCalls: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
}

export interface CostSummary {
  window: { from: string; to: string };
  total: CostEntry & { spans: number; llmCalls: number; toolCalls: number; llmCostUsd: number; toolCostUsd: number };
  byModel: Array<CostEntry & { model: string | null; provider: string | null }>;
  byProvider: Array<CostEntry & { provider: string | null }>;
  byAgent: Array<CostEntry & { agent: string | null }>;
}

export interface Stats {
  window: { from: string; to: string };
  totals: { traces: number; errorTraces: number; sessions: number; spans: number; errorSpans: number; llmCalls: number; toolCalls: number; totalTokens: number; costUsd: number };
  errorRate: number | null;
  spanErrorRate: number | null;
  latency: { p50Ms: number; p95Ms: number; p99Ms: number } | null;
  costPerDay: Array<{ date: string; spans: number; llmCalls: number; errors: number; inputTokens: number; outputTokens: number; costUsd: number }>;
}

export interface CostBreakdown {
  by_tool: Array<{ server_name: string | null; tool_name: string; total_calls: number; error_calls: number; total_cost_usd: number; avg_latency_ms: number }>;
}

export interface ModelPrice {
  model_id: string;
  provider: string | null;
  input_per_mtok: number;
  output_per_mtok: number;
  source: string;
  updated_at: string;
}

export interface Alert {
  id: string;
  project_id: string;
  type: string;
  status: 'triggered' | 'resolved';
  severity: 'critical' | 'warning' | 'info';
  key: string;
  title: string;
  message: string;
  session_id: string | null;
  agent_name: string | null;
  server_name: string | null;
  value: number | null;
  threshold: number | null;
  details: Record<string, unknown>;
  triggered_at: string;
}

export interface AlertList {
  alerts: Alert[];
  total: number;
  limit: number;
  offset: number;
}

export const ALERT_TYPES = ['mcp_down', 'mcp_recovered', 'agent_failure', 'slo_breached', 'anomaly_critical', 'security_critical', 'loop_detected', 'budget_exceeded', 'circuit_breaker_open', 'error_rate', 'latency_p99', 'spend'] as const;

export interface AlertConfig {
  slack_webhook: string | null;
  alert_types: Record<string, boolean>;
  webhook_url: string | null;
  webhook_secret_set: boolean;
  updated_at: string | null;
}

export interface AlertRule {
  id: string;
  kind: string;
  threshold: number;
  enabled: boolean;
  [k: string]: unknown;
}

export interface PreventionConfig {
  loop_enabled: boolean;
  loop_threshold: number;
  loop_action: 'terminate' | 'warn';
  max_steps: number | null;
  max_cost_usd: number | null;
  max_wall_time_s: number | null;
  budget_soft_alert: number;
  cb_enabled: boolean;
  cb_failure_threshold: number;
  cb_cooldown_seconds: number;
  cb_half_open_max_calls: number;
  agent_name: string;
  updated_at: string;
}

export interface AgentEntry {
  agent_name: string;
  call_count: number;
  error_count: number;
  last_seen_at: string | null;
}

export interface Lineage {
  nodes: Array<{ id: string; type: 'agent' | 'server'; label: string; metrics: { call_count: number; error_count: number; avg_latency_ms: number | null; p95_latency_ms: number | null; session_count: number } }>;
  edges: Array<{ source: string; target: string; type: string; metrics: { call_count: number; error_count: number } }>;
}

export interface ToolCallSpan {
  span_id: string;
  trace_id: string;
  server_name: string | null;
  tool_name: string | null;
  session_id: string | null;
  agent_name: string | null;
  started_at: string;
  latency_ms: number;
  status: string;
  error: string | null;
}

export interface Anomaly {
  kind: string;
  server_name: string | null;
  tool_name: string | null;
  agent_name: string | null;
  model_id: string | null;
  metric: string;
  z_score: number;
  current_value: number;
  baseline_value: number;
  severity: string;
}

export interface WhoAmI {
  kind: string;
  id: string;
  actor: string;
  role: string;
  project_id: string | null;
  auth_required: boolean;
}

export interface HealthCheckResult {
  server_name: string;
  status: 'up' | 'degraded' | 'down' | 'stale' | 'unknown';
  latency_ms: number | null;
  tools: Array<{ name: string; description: string | null; input_schema: Record<string, unknown>; annotations: Record<string, unknown> | null }>;
  tools_count: number;
  schema_hash: string | null;
  checked_at: string | null;
  error: string | null;
  source: 'config' | 'discovered';
  transport: string | null;
  trigger: string | null;
  protocol_version: string | null;
  server_info: { name: string; version: string } | null;
  steps: Array<{ step: string; status: string; latency_ms: number | null; error: string | null }>;
  consecutive_failures: number;
  last_seen_at: string | null;
}

export interface SchemaDrift {
  id: string;
  detected_at: string;
  has_breaking: boolean;
  changes: Array<{ drift_type: 'breaking' | 'compatible' | 'warning'; kind: string; tool_name: string; param_name: string | null }>;
  diff: string;
  sessions: Array<{ project_id: string; session_id: string }>;
}

export interface SecurityScan {
  scan_id: string;
  server_name: string;
  scanned_at: string;
  error: string | null;
  findings_count: number;
  critical_count: number;
  high_count: number;
  highest_severity: string | null;
  findings: Array<{ rule_id: string; severity: string; category: string; title: string; description: string; remediation: string; tool_name: string | null; evidence: string }>;
}
