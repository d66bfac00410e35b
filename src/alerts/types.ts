/** The alert types of langsight-api.txt's `alert_types`, in its order. */
export const REFERENCE_ALERT_TYPES = [
  'mcp_down', 'mcp_recovered', 'agent_failure', 'slo_breached', 'anomaly_critical', 'security_critical',
  'loop_detected', 'budget_exceeded', 'circuit_breaker_open',
] as const;

/**
 * Lookspan's alerts the reference has no type for: the rules over stored
 * data, and a changed MCP tool schema found by the health checks (src/mcp).
 */
export const RULE_ALERT_TYPES = ['error_rate', 'latency_p99', 'spend', 'schema_drift'] as const;

export const ALERT_TYPES = [...REFERENCE_ALERT_TYPES, ...RULE_ALERT_TYPES] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Whether each type is delivered (history and the live streams record every alert either way). */
export type AlertTypePrefs = Record<AlertType, boolean>;

export const DEFAULT_ALERT_TYPES: AlertTypePrefs = Object.fromEntries(ALERT_TYPES.map((t) => [t, true])) as AlertTypePrefs;

/**
 * The key of an MCP server's mcp_down breach: one for the passive health of
 * tool-call spans (prevention/engine.ts) and the active checks (src/mcp), so
 * either raises it once and a server is never down twice at a time.
 */
export const mcpDownKey = (projectId: string, server: string) => `mcp:${projectId}:${server}`;

/** A recovery is recorded under its own type where the reference has one. */
export const RECOVERY_TYPE: Partial<Record<AlertType, AlertType>> = { mcp_down: 'mcp_recovered' };

export type AlertStatus = 'triggered' | 'resolved';
export type AlertSeverity = 'critical' | 'warning' | 'info';

export type DeliveryTarget = 'slack' | 'webhook';
/** `not_configured`: no URL for the target; `disabled`: the type is off in `alert_types`. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dropped' | 'blocked' | 'not_configured' | 'disabled';

export interface DeliveryRecord {
  status: DeliveryStatus;
  attempts: number;
  /** The last failure, without the URL (it holds the secret). */
  last_error: string | null;
}

/** What a rule or the prevention engine reports; the alerter adds identity, time and deliveries. */
export interface AlertInput {
  projectId: string;
  type: AlertType;
  /** Identifies one breach: a second `raise` with the same key while it fires is not an alert. */
  key: string;
  severity: AlertSeverity;
  title: string;
  message: string;
  ruleId?: string | null;
  sessionId?: string | null;
  agentName?: string | null;
  serverName?: string | null;
  value?: number | null;
  threshold?: number | null;
  details?: Record<string, unknown>;
}

/** One row of the alert history (GET /api/alerts). */
export interface AlertRecord {
  id: string;
  project_id: string;
  type: AlertType;
  status: AlertStatus;
  severity: AlertSeverity;
  key: string;
  title: string;
  message: string;
  rule_id: string | null;
  session_id: string | null;
  agent_name: string | null;
  server_name: string | null;
  value: number | null;
  threshold: number | null;
  details: Record<string, unknown>;
  triggered_at: string;
  deliveries: Record<DeliveryTarget, DeliveryRecord>;
}
