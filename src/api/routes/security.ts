import type Router from '@koa/router';
import { z } from 'zod';
import type { McpHealth, ScanRecord } from '../../mcp/index.js';
import { RULES, SEVERITIES } from '../../mcp/index.js';
import { highestSeverity } from '../../mcp/security/rules.js';
import { readJson } from '../json-body.js';
import { parseQuery, textParam } from '../params.js';
import { checkable, McpProjectQuery, mcpProject } from './mcp-health.js';

/** POST /api/security/scan: one server, or every configured server of the project when absent. */
export const SecurityScanBody = z.strictObject({ server_name: z.string().min(1).max(256).optional() });

export const SecurityScansQuery = McpProjectQuery.extend({ server_name: textParam('only this server') });

export const SecurityFinding = z.object({
  rule_id: z.string().describe('docs/mcp.md "Security scan" lists the rules'),
  severity: z.enum(SEVERITIES),
  category: z.string(),
  title: z.string(),
  description: z.string(),
  remediation: z.string(),
  tool_name: z.string().nullable(),
  evidence: z.string().describe('what in the server\'s answer or configuration shows it (field, code points, the matching words)'),
  cve_id: z.null(),
});

/** langsight's SecurityScanResponse, with the rule id and evidence of each finding. */
export const SecurityScanResponse = z.object({
  scan_id: z.string(),
  server_name: z.string(),
  project_id: z.string(),
  scanned_at: z.string(),
  error: z.string().nullable().describe('set when the tools could not be listed (only the transport rules ran)'),
  schema_hash: z.string().nullable(),
  findings_count: z.number().int(),
  critical_count: z.number().int(),
  high_count: z.number().int(),
  highest_severity: z.enum(SEVERITIES).nullable(),
  findings: z.array(SecurityFinding).describe('most severe first'),
});

export const SecurityScanList = z.array(SecurityScanResponse);

export const SecurityRuleList = z.array(z.object({
  id: z.string(), category: z.string(), severity: z.enum(SEVERITIES), title: z.string(), remediation: z.string(),
}));

export function scanView(s: ScanRecord): z.input<typeof SecurityScanResponse> {
  return {
    scan_id: s.id, server_name: s.server_name, project_id: s.project_id, scanned_at: s.scanned_at, error: s.error, schema_hash: s.schema_hash,
    findings_count: s.findings.length,
    critical_count: s.findings.filter((f) => f.severity === 'critical').length,
    high_count: s.findings.filter((f) => f.severity === 'high').length,
    highest_severity: highestSeverity(s.findings),
    findings: s.findings,
  };
}

/**
 * POST /api/security/scan (langsight-api.txt): checks and scans the
 * project's servers now and answers with the findings; the stored results
 * are read back with GET /api/security/scans, the rules with
 * GET /api/security/rules.
 */
export function mountSecurity(router: Router, mcp: McpHealth): void {
  router.post('/api/security/scan', async (ctx) => {
    const projectId = mcpProject(ctx);
    const body = await readJson(ctx, SecurityScanBody, 'security scan request');
    const names = await checkable(mcp, projectId, body.server_name);
    ctx.body = (await mcp.scanner.scan(projectId, names)).map(scanView) satisfies z.input<typeof SecurityScanList>;
  });

  router.get('/api/security/scans', async (ctx) => {
    const projectId = mcpProject(ctx);
    const q = parseQuery(ctx, SecurityScansQuery);
    const names = mcp.registry.configuredIn(projectId).map((s) => s.name).filter((n) => q.server_name === undefined || n === q.server_name);
    ctx.body = (await mcp.store.latestScans(names)).map(scanView) satisfies z.input<typeof SecurityScanList>;
  });

  router.get('/api/security/rules', (ctx) => {
    ctx.body = RULES.map((r) => ({ id: r.id, category: r.category, severity: r.severity, title: r.title, remediation: r.remediation })) satisfies z.input<typeof SecurityRuleList>;
  });
}
