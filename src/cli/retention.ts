import type { LookspanConfig } from '../config/index.js';
import { retentionConfigured, type RetentionResult } from '../store/lake/retention.js';
import { formatTable } from './output.js';
import { openOffline, withProgress } from './offline-store.js';
import { UsageError } from './errors.js';

export interface RetentionReport extends RetentionResult {
  dataDir: string;
}

/**
 * `lookspan retention [--dry-run]`: what `POST /api/storage/retention` does,
 * on a stopped server's data dir, with the configured horizons
 * (`storage.retentionDays`, `storage.retentionByProject`; `days` overrides
 * the global days). Dropped files are deleted before the command returns.
 */
export async function runRetention(
  config: LookspanConfig, opts: { dryRun: boolean; days?: string; progress?: (line: string) => void },
): Promise<RetentionReport> {
  let days = config.storage.retentionDays;
  if (opts.days !== undefined) {
    if (!/^\d+$/.test(opts.days.trim())) throw new UsageError(`--days must be a whole number of days, 0 or more (got ${JSON.stringify(opts.days)})`);
    days = Number(opts.days.trim());
  }
  const route = `/api/storage/retention${opts.dryRun ? '?dryRun=1' : ''}`;
  const store = await openOffline(config, route);
  try {
    const conn = store.db.writer;
    const configured = retentionConfigured({ days, byProject: config.storage.retentionByProject });
    if (configured) opts.progress?.(opts.dryRun ? 'finding what retention would drop' : 'dropping data past the retention horizons');
    const r = await withProgress(conn, () => 'retention', configured ? opts.progress : undefined, () => store.lake.retention(conn, opts.dryRun, days));
    if (!opts.dryRun && r.files > 0) opts.progress?.(`deleting ${r.files} dropped file${r.files === 1 ? '' : 's'}`);
    return { ...r, dataDir: store.lake.opts.dataDir };
  } finally {
    await store.close();
  }
}

export function formatRetention(r: RetentionReport): string {
  if (r.projects.length === 0 && r.retentionDays === 0 && Object.values(r.retentionByProject).every((d) => d === 0)) {
    return 'Retention is off: storage.retentionDays is 0 and no storage.retentionByProject entry is above 0, so everything is kept (--days N to preview a horizon).\n';
  }
  const verb = r.dryRun ? 'Would drop' : 'Dropped';
  const hot = r.hot.spans + r.hot.traces;
  const out = [
    `${verb} ${r.partitions.length} lake partition${r.partitions.length === 1 ? '' : 's'} (${r.files} file${r.files === 1 ? '' : 's'}) and ${r.hot.spans} hot span${r.hot.spans === 1 ? '' : 's'} ` +
    `in ${r.hot.traces} hot trace summar${r.hot.traces === 1 ? 'y' : 'ies'}. Default horizon: ${r.horizon ?? 'none (storage.retentionDays 0 keeps projects without an override)'}.` +
    (r.dryRun ? ' Nothing was changed (dry run).' : ''),
    '',
    formatTable(
      ['project_id', 'retention_days', 'horizon', 'partitions', 'files', 'bytes', 'span_rows', 'hot_spans', 'hot_traces'],
      r.projects.map((p) => ({
        project_id: p.projectId, retention_days: p.retentionDays, horizon: p.horizon ?? 'kept forever', partitions: p.lake.partitions, files: p.lake.files,
        bytes: p.lake.bytes, span_rows: p.lake.spans, hot_spans: p.hot.spans, hot_traces: p.hot.traces,
      })),
    ),
  ];
  if (r.partitions.length > 0) {
    out.push(formatTable(['kind', 'project_id', 'date', 'files', 'rows', 'bytes'], r.partitions.map((p) => ({
      kind: p.kind, project_id: p.projectId, date: p.date, files: p.files, rows: p.rows, bytes: p.bytes,
    }))));
  }
  if (!r.dryRun && hot === 0 && r.files === 0) out.push('Nothing was older than its horizon.');
  return out.join('\n') + (out[out.length - 1].endsWith('\n') ? '' : '\n');
}
