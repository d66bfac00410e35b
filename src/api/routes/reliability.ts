import type Router from '@koa/router';
import { z } from 'zod';
import { detectAnomalies, type AnomalySettings } from '../../analysis/anomalies.js';
import type { Database } from '../../store/index.js';
import { enumParam, intParam, numberParam, parseQuery, textParam } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';

/** GET /api/reliability/anomalies (langsight-api.txt; snake_case). Absent parameters take analysis.anomalies from the config. */
export const AnomalyQuery = z.object({
  project_id: textParam('project (default: default)'),
  projectId: textParam('alias of project_id'),
  current_hours: intParam(1, 24, 0, 'current window in hours (0 or absent: analysis.anomalies.currentHours)'),
  baseline_hours: intParam(24, 720, 0, 'baseline before it in hours (0 or absent: analysis.anomalies.baselineHours)'),
  z_threshold: numberParam(0.5, 20, undefined, 'z-score from which a change is an anomaly (absent: analysis.anomalies.zThreshold)'),
  kind: enumParam(['tool', 'model'], 'only tool groups (server/tool) or model groups (agent/model)'),
  limit: intParam(1, 1000, 100, 'anomalies returned at most, the highest z first'),
});

export const AnomalyObject = z.object({
  kind: z.enum(['tool', 'model']),
  server_name: z.string().nullable(),
  tool_name: z.string().nullable(),
  agent_name: z.string().nullable(),
  model_id: z.string().nullable(),
  metric: z.enum(['error_rate', 'latency_p99']),
  z_score: z.number(),
  current_value: z.number(),
  baseline_value: z.number().describe('mean of the baseline buckets'),
  baseline_stddev: z.number().describe('sample standard deviation of the baseline buckets (before the floor)'),
  severity: z.enum(['warning', 'critical']),
  current_calls: z.number().int(),
  baseline_calls: z.number().int(),
  baseline_buckets: z.number().int(),
  detected_at: z.string(),
});

export const AnomalyResponse = z.object({
  project_id: z.string(),
  anomalies: z.array(AnomalyObject),
  has_more: z.boolean(),
  groups_scored: z.number().int(),
  current_hours: z.number().int(),
  baseline_hours: z.number().int(),
  z_threshold: z.number(),
  current_start: z.string(),
  baseline_start: z.string(),
  evaluated_at: z.string(),
});

/** Z-score anomalies per server/tool and per agent/model against the baseline before the current window (docs/costs.md). */
export function mountReliability(router: Router, deps: { db: Database; anomalies: AnomalySettings }): void {
  router.get('/api/reliability/anomalies', async (ctx) => {
    const q = parseQuery(ctx, AnomalyQuery);
    const projectId = q.project_id ?? q.projectId ?? DEFAULT_PROJECT;
    const settings: AnomalySettings = {
      ...deps.anomalies,
      currentHours: q.current_hours || deps.anomalies.currentHours,
      baselineHours: q.baseline_hours || deps.anomalies.baselineHours,
      zThreshold: q.z_threshold ?? deps.anomalies.zThreshold,
    };
    const r = await deps.db.withSnapshot((conn) => detectAnomalies(conn, { ...settings, projectId, nowUs: Date.now() * 1000, limit: q.limit, kind: q.kind }));
    ctx.body = {
      project_id: projectId,
      anomalies: r.anomalies,
      has_more: r.hasMore,
      groups_scored: r.groupsScored,
      current_hours: settings.currentHours,
      baseline_hours: settings.baselineHours,
      z_threshold: settings.zThreshold,
      current_start: r.currentStart,
      baseline_start: r.baselineStart,
      evaluated_at: r.evaluatedAt,
    } satisfies z.input<typeof AnomalyResponse>;
  });
}
