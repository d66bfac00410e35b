import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { LookspanError, invalid, notFound } from '../../errors.js';
import { readBody } from '../../receivers/body.js';
import { parseJsonBody, parseOrThrow } from '../../receivers/native/validate.js';
import { ProjectQuery, enumParam, intParam, parseQuery, textParam } from '../params.js';
import { ALERT_TYPES, type AlertTypePrefs } from '../../alerts/types.js';
import type { Alerter } from '../../alerts/alerter.js';
import type { RuleEvaluator } from '../../alerts/rules.js';
import { RULE_KINDS, type AlertConfig, type AlertStore } from '../../alerts/store.js';
import { checkOutboundUrl, type OutboundPolicy } from '../../alerts/outbound-url.js';
import { DEFAULT_PROJECT } from './traces.js';

export interface AlertRouteDeps {
  store: AlertStore;
  alerter: Alerter;
  evaluator: RuleEvaluator;
  policy: OutboundPolicy;
}

const BODY_LIMITS = { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 64 * 1024 };
const url = z.string().trim().min(1).max(2048);

/**
 * POST /api/alerts/config: the alert config object of langsight-api.txt
 * (`slack_webhook`, `alert_types`), plus Lookspan's generic webhook
 * (`webhook_url`, `webhook_secret`, the secret write-only). Fields left out
 * keep their value; null clears a target; types left out of `alert_types`
 * keep their preference.
 */
export const AlertConfigBody = z.strictObject({
  slack_webhook: url.nullable().optional(),
  alert_types: z.strictObject(Object.fromEntries(ALERT_TYPES.map((t) => [t, z.boolean().optional()])) as Record<(typeof ALERT_TYPES)[number], z.ZodOptional<z.ZodBoolean>>).optional(),
  webhook_url: url.nullable().optional(),
  webhook_secret: z.string().min(16).max(512).nullable().optional(),
});

/** The config as GET and POST /api/alerts/config answer it. */
export const AlertConfigResponse = z.object({
  slack_webhook: z.string().nullable(),
  alert_types: z.record(z.string(), z.boolean()),
  webhook_url: z.string().nullable(),
  webhook_secret_set: z.boolean(),
  updated_at: z.string().nullable(),
});

/** POST /api/alerts/test: which target (Slack by default, as the reference). */
export const AlertTestBody = z.strictObject({ target: z.enum(['slack', 'webhook']).default('slack') });
export const AlertTestResponse = z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), error: z.string() })]);

const ruleFields = {
  kind: z.enum(RULE_KINDS),
  threshold: z.number().nonnegative(),
  window_seconds: z.number().int().min(10).max(30 * 86_400),
  min_spans: z.number().int().min(0).max(1_000_000),
  agent_name: z.string().min(1).max(256).nullable(),
  server_name: z.string().min(1).max(256).nullable(),
  model: z.string().min(1).max(256).nullable(),
  enabled: z.boolean(),
};
/** POST /api/alerts/rules: a threshold rule over stored spans (docs/alerts.md "Rules"). */
export const AlertRuleBody = z.strictObject({
  ...ruleFields,
  window_seconds: ruleFields.window_seconds.default(300),
  min_spans: ruleFields.min_spans.default(20),
  agent_name: ruleFields.agent_name.default(null),
  server_name: ruleFields.server_name.default(null),
  model: ruleFields.model.default(null),
  enabled: ruleFields.enabled.default(true),
}).refine((r) => r.kind !== 'error_rate' || r.threshold <= 1, { message: 'an error_rate threshold is a fraction between 0 and 1', path: ['threshold'] });
/** PATCH /api/alerts/rules/:id: the fields to change. */
export const AlertRulePatch = z.strictObject(ruleFields).partial()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'at least one field to update is required' });

/** The project every alert route acts on (the access layer sets it to a bound credential's project). */
export const AlertProjectQuery = ProjectQuery;

/** GET /api/alerts: the history, newest first. */
export const AlertListQuery = AlertProjectQuery.extend({
  type: enumParam(ALERT_TYPES, 'only alerts of this type'),
  status: enumParam(['triggered', 'resolved'], 'only triggered or only resolved alerts'),
  session_id: textParam('only alerts about this session'),
  sessionId: textParam('alias of session_id'),
  limit: intParam(1, 1000, 50, 'alerts per page'),
  offset: intParam(0, 10_000_000, 0, 'alerts to skip'),
});

const delivery = z.object({
  status: z.enum(['pending', 'delivered', 'failed', 'dropped', 'blocked', 'not_configured', 'disabled']),
  attempts: z.number().int(),
  last_error: z.string().nullable().describe('the last failure, without the URL'),
});

/** One row of the alert history (snake_case, as the alert config object of langsight-api.txt). */
export const AlertRecordSchema = z.object({
  id: z.string(), project_id: z.string(), type: z.enum(ALERT_TYPES), status: z.enum(['triggered', 'resolved']),
  severity: z.enum(['critical', 'warning', 'info']), key: z.string().describe('identifies one breach'), title: z.string(), message: z.string(),
  rule_id: z.string().nullable(), session_id: z.string().nullable(), agent_name: z.string().nullable(), server_name: z.string().nullable(),
  value: z.number().nullable(), threshold: z.number().nullable(), details: z.record(z.string(), z.unknown()), triggered_at: z.string(),
  deliveries: z.record(z.enum(['slack', 'webhook']), delivery),
});
export const AlertListResponse = z.object({
  alerts: z.array(AlertRecordSchema), total: z.number().int(), limit: z.number().int(), offset: z.number().int(),
});

export const AlertRuleObject = z.object({
  id: z.string(), project_id: z.string(), ...ruleFields, created_at: z.string(), updated_at: z.string(),
});
export const AlertRuleListResponse = z.object({ rules: z.array(AlertRuleObject), total: z.number().int() });
export const AlertRuleDeletedResponse = z.object({ id: z.string(), deleted: z.literal(true) });
export const AlertEvaluationResponse = z.object({
  rules: z.number().int(), raised: z.number().int(), resolved: z.number().int(),
  insufficient: z.number().int().describe('rules skipped: fewer than min_spans spans in their window'),
});

const view = (c: AlertConfig) => ({
  slack_webhook: c.slack_webhook, alert_types: c.alert_types, webhook_url: c.webhook_url,
  webhook_secret_set: c.webhook_secret !== null, updated_at: c.updated_at,
});

/**
 * Alert routes: the history (GET /api/alerts, lookspan-http-api.txt), the
 * config and test message of langsight-api.txt, threshold rules, and an
 * evaluation on demand. The project is `project_id` (the access layer sets
 * it to the caller's project).
 */
export function mountAlerts(router: Router, deps: AlertRouteDeps): void {
  const project = (ctx: Context) => {
    const q = parseQuery(ctx, AlertProjectQuery);
    return q.project_id ?? q.projectId ?? DEFAULT_PROJECT;
  };

  router.get('/api/alerts', async (ctx) => {
    const q = parseQuery(ctx, AlertListQuery);
    const { alerts, total } = await deps.store.history({
      projectId: q.project_id ?? q.projectId ?? DEFAULT_PROJECT, type: q.type, status: q.status,
      sessionId: q.session_id ?? q.sessionId, limit: q.limit, offset: q.offset,
    });
    ctx.body = { alerts, total, limit: q.limit, offset: q.offset } satisfies z.input<typeof AlertListResponse>;
  });

  router.get('/api/alerts/config', async (ctx) => {
    ctx.body = view(await deps.store.config(project(ctx)));
  });

  router.post('/api/alerts/config', async (ctx) => {
    const body = parseOrThrow(AlertConfigBody, await jsonBody(ctx), 'alert config');
    // Refused when saved, not first when an alert is due: the same policy every delivery passes.
    if (body.slack_webhook) checkOutboundUrl(body.slack_webhook, deps.policy, 'slack_webhook');
    if (body.webhook_url) checkOutboundUrl(body.webhook_url, deps.policy, 'webhook_url');
    const saved = await deps.store.saveConfig(project(ctx), {
      slack_webhook: body.slack_webhook, webhook_url: body.webhook_url, webhook_secret: body.webhook_secret,
      alert_types: body.alert_types as Partial<AlertTypePrefs> | undefined,
    });
    ctx.body = view(saved);
  });

  router.post('/api/alerts/test', async (ctx) => {
    const raw = ctx.request.length || ctx.get('content-type') ? await jsonBody(ctx, true) : {};
    const { target } = parseOrThrow(AlertTestBody, raw ?? {}, 'alert test');
    ctx.body = await deps.alerter.test(project(ctx), target);
  });

  router.get('/api/alerts/rules', async (ctx) => {
    const rules = await deps.store.rules(project(ctx));
    ctx.body = { rules, total: rules.length } satisfies z.input<typeof AlertRuleListResponse>;
  });

  router.post('/api/alerts/rules', async (ctx) => {
    const body = parseOrThrow(AlertRuleBody, await jsonBody(ctx), 'alert rule');
    ctx.status = 201;
    ctx.body = await deps.store.createRule(project(ctx), body);
  });

  router.get('/api/alerts/rules/:rule_id', async (ctx) => {
    const rule = await deps.store.rule(project(ctx), ctx.params.rule_id);
    if (!rule) throw notFound(`no alert rule ${ctx.params.rule_id}`);
    ctx.body = rule;
  });

  router.patch('/api/alerts/rules/:rule_id', async (ctx) => {
    const body = parseOrThrow(AlertRulePatch, await jsonBody(ctx), 'alert rule update');
    const current = await deps.store.rule(project(ctx), ctx.params.rule_id);
    if (!current) throw notFound(`no alert rule ${ctx.params.rule_id}`);
    if ((body.kind ?? current.kind) === 'error_rate' && (body.threshold ?? current.threshold) > 1) {
      throw invalid('an error_rate threshold is a fraction between 0 and 1', [{ path: 'threshold', message: 'must be between 0 and 1 for error_rate' }]);
    }
    ctx.body = await deps.store.updateRule(project(ctx), ctx.params.rule_id, body);
  });

  router.delete('/api/alerts/rules/:rule_id', async (ctx) => {
    if (!(await deps.store.deleteRule(project(ctx), ctx.params.rule_id))) throw notFound(`no alert rule ${ctx.params.rule_id}`);
    ctx.body = { id: ctx.params.rule_id, deleted: true } satisfies z.input<typeof AlertRuleDeletedResponse>;
  });

  // Evaluates every project's rules now (the schedule does the same every alerts.evaluateIntervalSeconds).
  router.post('/api/alerts/evaluate', async (ctx) => {
    ctx.body = (await deps.evaluator.evaluate()) satisfies z.input<typeof AlertEvaluationResponse>;
  });
}

async function jsonBody(ctx: Context, allowEmpty = false): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type !== '' && type.split(';')[0].trim().toLowerCase() !== 'application/json') {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Type "${type}"; use application/json`);
  }
  const buf = await readBody(ctx.req, BODY_LIMITS);
  if (allowEmpty && buf.length === 0) return {};
  return parseJsonBody(buf);
}
