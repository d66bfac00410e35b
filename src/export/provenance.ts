import { isoUs } from '../analysis/window.js';
import type { ExportFilter } from './selection.js';

export type ExportFormat = 'csv' | 'json' | 'html' | 'parquet';
export const EXPORT_FORMATS: readonly [ExportFormat, ...ExportFormat[]] = ['csv', 'json', 'html', 'parquet'];

/** The tamper-evidence block of every export (lookspan-http-api.txt, "Provenance & integrity"). */
export interface ExportProvenance {
  tool: 'lookspan';
  version: string;
  /** ISO 8601 UTC. */
  exportedAt: string;
  format: ExportFormat;
  /** The filters applied (null: not set). */
  filters: {
    projectId: string;
    framework: string | null;
    status: string | null;
    sessionId: string | null;
    service: string | null;
    model: string | null;
    from: string | null;
    to: string | null;
    limit: number;
  };
  /** Traces in the file. */
  count: number;
  /** Traces matching the filters, ignoring the limit. */
  totalAvailable: number;
  /** True when the limit dropped matching traces. */
  truncated: boolean;
  /** True when attributes and payloads are included (?raw=1, JSON only). */
  raw: boolean;
  /** SHA-256 (hex) of the CSV export of these traces, the canonical artefact, whatever the format. */
  sha256: string;
}

const iso = (us: number | undefined) => (us === undefined ? null : isoUs(us));

export function provenance(o: {
  version: string; exportedAtMs: number; format: ExportFormat; filter: ExportFilter; count: number; totalAvailable: number; raw: boolean; sha256: string;
}): ExportProvenance {
  const f = o.filter;
  return {
    tool: 'lookspan',
    version: o.version,
    exportedAt: new Date(o.exportedAtMs).toISOString(),
    format: o.format,
    filters: {
      projectId: f.projectId, framework: f.framework ?? null, status: f.status ?? null, sessionId: f.sessionId ?? null,
      service: f.service ?? null, model: f.model ?? null, from: iso(f.fromUs), to: iso(f.toUs), limit: f.limit,
    },
    count: o.count,
    totalAvailable: o.totalAvailable,
    truncated: o.totalAvailable > o.count,
    raw: o.raw,
    sha256: o.sha256,
  };
}
