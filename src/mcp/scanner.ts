import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { McpServerConfig } from '../config/schema.js';
import type { McpAlerts, McpMonitor } from './monitor.js';
import { highestSeverity, scanServer, type ScanSubject } from './security/rules.js';
import type { ScanRecord } from './store.js';
import type { ToolInfo } from './types.js';

const subject = (s: McpServerConfig, tools: ToolInfo[] | null): ScanSubject => ({
  name: s.name, transport: s.transport, url: s.url ?? null, authHeaders: Object.keys(s.headersFromEnv), tools,
});

/**
 * POST /api/security/scan: checks each server now (for its live tool list),
 * runs every rule of security/rules.ts over it — comparing with the other
 * servers of its project, checked now or as last stored, for shadowing —
 * stores the findings, and keeps `security_critical` firing while a server
 * has critical findings (resolved by the first scan without).
 */
export class SecurityScanner {
  constructor(private readonly monitor: McpMonitor, private readonly alerts: McpAlerts | null, private readonly log?: Logger) {}

  async scan(projectId: string, names: readonly string[]): Promise<ScanRecord[]> {
    const { registry, store } = this.monitor;
    const results = await this.monitor.checkMany(names, 'scan');
    const scanned = new Map(names.map((n, i) => [n, results[i]]));
    const others = registry.configuredIn(projectId).filter((s) => !scanned.has(s.name));
    const latest = await store.latest(others.map((s) => s.name));
    const subjects: ScanSubject[] = [];
    for (const s of others) {
      const l = latest.get(s.name);
      const tools = l?.schema_hash ? (await store.tools(s.name, [l.schema_hash])).get(l.schema_hash) ?? null : null;
      subjects.push(subject(s, tools));
    }
    for (const n of names) subjects.push(subject(registry.server(n)!, scanned.get(n)!.tools));
    const out: ScanRecord[] = [];
    for (const n of names) {
      const r = scanned.get(n)!;
      const findings = scanServer(subjects.find((s) => s.name === n)!, subjects);
      const rec: ScanRecord = {
        id: `scan-${randomBytes(8).toString('hex')}`, server_name: n, project_id: r.record.project_id, scanned_at: new Date().toISOString(),
        // The transport rules still apply to a server that could not be listed; its tool rules could not run.
        error: r.tools === null ? `tools could not be listed, so only the transport rules ran: ${r.record.error ?? 'unknown error'}` : null,
        schema_hash: r.record.schema_hash, findings,
      };
      await store.recordScan(rec);
      await this.alert(rec);
      out.push(rec);
    }
    return out;
  }

  private async alert(s: ScanRecord): Promise<void> {
    if (!this.alerts) return;
    const critical = s.findings.filter((f) => f.severity === 'critical');
    const base = { projectId: s.project_id, key: `security:${s.project_id}:${s.server_name}`, serverName: s.server_name };
    try {
      if (critical.length > 0) {
        await this.alerts.raise({
          ...base, type: 'security_critical', severity: 'critical', value: critical.length,
          title: `Critical security findings: ${s.server_name}`,
          message: `${critical.length} critical finding(s) (${[...new Set(critical.map((f) => f.rule_id))].join(', ')}): ${critical[0].title}.`,
          details: { scan_id: s.id, rule_ids: critical.map((f) => f.rule_id), highest_severity: highestSeverity(s.findings) },
        });
      } else {
        await this.alerts.resolve({ ...base, type: 'security_critical', severity: 'info', title: `No critical security findings: ${s.server_name}`, message: 'The last security scan found nothing critical.', details: { scan_id: s.id } });
      }
    } catch (err) {
      this.log?.error({ err, server: s.server_name }, 'recording a security alert failed');
    }
  }
}
