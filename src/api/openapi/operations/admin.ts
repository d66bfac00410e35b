import {
  AlertConfigBody, AlertConfigResponse, AlertEvaluationResponse, AlertListQuery, AlertListResponse, AlertProjectQuery, AlertRuleBody,
  AlertRuleDeletedResponse, AlertRuleListResponse, AlertRuleObject, AlertRulePatch, AlertTestBody, AlertTestResponse,
} from '../../routes/alerts.js';
import { AuditListResponse, AuditQuery } from '../../routes/audit.js';
import { LogoutResponse, TicketResponse, WhoAmIResponse } from '../../routes/auth.js';
import { ApiKeyView, CreatedKeyResponse, CreateKeyBody, KeyListResponse } from '../../routes/keys.js';
import {
  ModelPriceCreateBody, ModelPriceDeletedResponse, ModelPriceListResponse, ModelPriceObject, ModelPricePatchBody,
} from '../../routes/model-prices.js';
import {
  PreventionConfigBody, PreventionConfigDeletedResponse, PreventionConfigResponse, PreventionProjectQuery, PreventionSessionsQuery,
  SessionViolationListResponse,
} from '../../routes/prevention.js';
import { CreateProjectBody, DeletedProjectResponse, ProjectListResponse, ProjectView, UpdateProjectBody } from '../../routes/projects.js';
import { SettingsBody, SettingsResponse } from '../../routes/settings.js';
import {
  CompactResponse, QuarantineReplayResponse, QuarantineResponse, RetentionQuery, RetentionResponse, SealResponse, StorageStatsResponse,
} from '../../routes/storage.js';
import { AcceptInviteBody, AcceptInviteResponse, InviteBody, InviteResponse, RoleBody, UserListResponse, UserView, VerifyBody, VerifyResponse } from '../../routes/users.js';
import type { Operation } from '../operation.js';

const rule = { rule_id: 'alert rule id' };

/** Storage, model prices, alerts, prevention and access control. */
export const ADMIN_OPERATIONS: Operation[] = [
  // Storage administration (camelCase).
  { method: 'get', path: '/api/storage', tag: 'Storage', summary: 'The lake: hot rows, partitions, last seal and compaction, retention, mirror', response: StorageStatsResponse },
  { method: 'post', path: '/api/storage/seal', tag: 'Storage', summary: 'Seal every hot trace into Parquet now', response: SealResponse, errors: [503] },
  { method: 'post', path: '/api/storage/compact', tag: 'Storage', summary: 'Compact the lake\'s partitions now', response: CompactResponse },
  { method: 'post', path: '/api/storage/retention', tag: 'Storage', summary: 'Apply retention now (dryRun: only report)', query: RetentionQuery, response: RetentionResponse },
  { method: 'get', path: '/api/storage/quarantine', tag: 'Storage', summary: 'WAL lines the loader could not load, with reasons', response: QuarantineResponse },
  { method: 'post', path: '/api/storage/quarantine/replay', tag: 'Storage', summary: 'Load quarantined lines that now fit', response: QuarantineReplayResponse },

  // Model prices (snake_case, langsight-api.txt).
  { method: 'get', path: '/api/costs/models', tag: 'Costs', summary: 'Local model price overrides', response: ModelPriceListResponse },
  { method: 'post', path: '/api/costs/models', tag: 'Costs', summary: 'Add a price override', body: ModelPriceCreateBody, response: ModelPriceObject, status: 201, errors: [409, 415] },
  {
    method: 'patch', path: '/api/costs/models/:model_id', tag: 'Costs', summary: 'Change a price override', params: { model_id: 'model id' },
    body: ModelPricePatchBody, response: ModelPriceObject, errors: [404, 415],
  },
  { method: 'delete', path: '/api/costs/models/:model_id', tag: 'Costs', summary: 'Remove a price override', params: { model_id: 'model id' }, response: ModelPriceDeletedResponse, errors: [404] },

  // Alerts (snake_case).
  { method: 'get', path: '/api/alerts', tag: 'Alerts', summary: 'Alert history, newest first', query: AlertListQuery, response: AlertListResponse },
  { method: 'get', path: '/api/alerts/config', tag: 'Alerts', summary: 'Alert delivery config (Slack, webhook, types)', query: AlertProjectQuery, response: AlertConfigResponse },
  { method: 'post', path: '/api/alerts/config', tag: 'Alerts', summary: 'Save the alert delivery config', query: AlertProjectQuery, body: AlertConfigBody, response: AlertConfigResponse, errors: [415] },
  { method: 'post', path: '/api/alerts/test', tag: 'Alerts', summary: 'Send a test alert to Slack or the webhook', query: AlertProjectQuery, body: AlertTestBody, response: AlertTestResponse, errors: [415] },
  { method: 'get', path: '/api/alerts/rules', tag: 'Alerts', summary: 'Threshold rules over stored spans', query: AlertProjectQuery, response: AlertRuleListResponse },
  { method: 'post', path: '/api/alerts/rules', tag: 'Alerts', summary: 'Create a threshold rule', query: AlertProjectQuery, body: AlertRuleBody, response: AlertRuleObject, status: 201, errors: [415] },
  { method: 'get', path: '/api/alerts/rules/:rule_id', tag: 'Alerts', summary: 'One rule', params: rule, query: AlertProjectQuery, response: AlertRuleObject, errors: [404] },
  { method: 'patch', path: '/api/alerts/rules/:rule_id', tag: 'Alerts', summary: 'Change a rule', params: rule, query: AlertProjectQuery, body: AlertRulePatch, response: AlertRuleObject, errors: [404, 415] },
  { method: 'delete', path: '/api/alerts/rules/:rule_id', tag: 'Alerts', summary: 'Delete a rule', params: rule, query: AlertProjectQuery, response: AlertRuleDeletedResponse, errors: [404] },
  { method: 'post', path: '/api/alerts/evaluate', tag: 'Alerts', summary: 'Evaluate every project\'s rules now', response: AlertEvaluationResponse },

  // Prevention (snake_case, langsight-api.txt).
  ...(['agent', 'project'] as const).flatMap((scope): Operation[] => {
    const path = scope === 'agent' ? '/api/agents/:name/prevention-config' : '/api/projects/:project_id/prevention-config';
    const params: Record<string, string> = scope === 'agent' ? { name: 'agent name' } : { project_id: 'project id (the default of every agent without its own)' };
    const query = scope === 'agent' ? PreventionProjectQuery : undefined;
    const what = scope === 'agent' ? 'an agent\'s' : 'a project\'s default';
    return [
      { method: 'get', path, tag: 'Prevention', summary: `Get ${what} prevention config`, params, query, response: PreventionConfigResponse, errors: [404] },
      { method: 'put', path, tag: 'Prevention', summary: `Create or update ${what} prevention config (201 when created)`, params, query, body: PreventionConfigBody, response: PreventionConfigResponse, errors: [415] },
      { method: 'delete', path, tag: 'Prevention', summary: `Delete ${what} prevention config`, params, query, response: PreventionConfigDeletedResponse, errors: [404] },
    ];
  }),
  { method: 'get', path: '/api/prevention/sessions', tag: 'Prevention', summary: 'Sessions a prevention rule tagged', query: PreventionSessionsQuery, response: SessionViolationListResponse },

  // Access control (snake_case).
  { method: 'post', path: '/api/auth/ticket', tag: 'Access', summary: 'A short-lived ticket for a stream URL (?ticket=)', response: TicketResponse },
  { method: 'get', path: '/api/auth/whoami', tag: 'Access', summary: 'The credential of this request', response: WhoAmIResponse },
  { method: 'post', path: '/api/auth/logout', tag: 'Access', summary: 'End a sign-in session', response: LogoutResponse },
  { method: 'get', path: '/api/keys', tag: 'Access', summary: 'API keys (without the keys themselves) and static keys', response: KeyListResponse },
  { method: 'post', path: '/api/keys', tag: 'Access', summary: 'Create an API key (shown once)', body: CreateKeyBody, response: CreatedKeyResponse, status: 201, errors: [415] },
  { method: 'delete', path: '/api/keys/:key_id', tag: 'Access', summary: 'Revoke an API key', params: { key_id: 'key id' }, response: ApiKeyView, errors: [404] },
  { method: 'get', path: '/api/projects', tag: 'Access', summary: 'Projects', response: ProjectListResponse },
  { method: 'post', path: '/api/projects', tag: 'Access', summary: 'Create a project', body: CreateProjectBody, response: ProjectView, status: 201, errors: [409, 415] },
  { method: 'get', path: '/api/projects/:project_id', tag: 'Access', summary: 'One project', params: { project_id: 'project id' }, response: ProjectView, errors: [404] },
  { method: 'patch', path: '/api/projects/:project_id', tag: 'Access', summary: 'Rename a project', params: { project_id: 'project id' }, body: UpdateProjectBody, response: ProjectView, errors: [404, 415] },
  {
    method: 'delete', path: '/api/projects/:project_id', tag: 'Access', summary: 'Delete a project: revokes its keys, deactivates its users',
    params: { project_id: 'project id' }, response: DeletedProjectResponse, errors: [404],
  },
  { method: 'get', path: '/api/users', tag: 'Access', summary: 'Users', response: UserListResponse },
  { method: 'post', path: '/api/users/invite', tag: 'Access', summary: 'Invite a user (the token is shown once)', body: InviteBody, response: InviteResponse, status: 201, errors: [409, 415] },
  { method: 'post', path: '/api/users/accept-invite', tag: 'Access', summary: 'Accept an invitation and set a password', body: AcceptInviteBody, response: AcceptInviteResponse, errors: [404, 415] },
  { method: 'post', path: '/api/users/verify', tag: 'Access', summary: 'Sign in with email and password (sets the session cookie)', body: VerifyBody, response: VerifyResponse, errors: [415] },
  { method: 'patch', path: '/api/users/:user_id/role', tag: 'Access', summary: 'Change a user\'s role', params: { user_id: 'user id' }, body: RoleBody, response: UserView, errors: [404, 415] },
  { method: 'delete', path: '/api/users/:user_id', tag: 'Access', summary: 'Deactivate a user', params: { user_id: 'user id' }, response: UserView, errors: [404] },
  { method: 'get', path: '/api/settings', tag: 'Access', summary: 'The project\'s settings', response: SettingsResponse },
  { method: 'put', path: '/api/settings', tag: 'Access', summary: 'Change the project\'s settings', body: SettingsBody, response: SettingsResponse, errors: [415] },
  { method: 'get', path: '/api/audit/logs', tag: 'Access', summary: 'Audit log of changes, newest first', query: AuditQuery, response: AuditListResponse },
];
