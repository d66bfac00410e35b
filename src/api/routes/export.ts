import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import type Router from '@koa/router';
import { z } from 'zod';
import { overloaded } from '../../errors.js';
import { EXPORT_FORMATS } from '../../export/provenance.js';
import { EXPORT_DEFAULT_LIMIT, EXPORT_MAX_LIMIT } from '../../export/selection.js';
import { exportTraces } from '../../export/traces-export.js';
import type { Database } from '../../store/index.js';
import { VERSION } from '../../version.js';
import { enumParam, flagParam, intParam, parseQuery, textParam, timeParam } from '../params.js';
import { DEFAULT_PROJECT } from './traces.js';

/** Exports running at once: each holds a DuckDB snapshot and writes a file; more wait for a 429's Retry-After. */
const MAX_CONCURRENT_EXPORTS = 2;

/** GET /api/export/traces (lookspan-http-api.txt, "Exporting traces"). */
export const ExportQuery = z.object({
  format: enumParam(EXPORT_FORMATS, 'csv (default), json, html or parquet'),
  raw: flagParam('JSON only: include attributes, payloads, resource and user ids (may hold personal data)'),
  projectId: textParam('project (default: default)'),
  project_id: textParam('alias of projectId'),
  framework: textParam('traces of this framework'),
  status: enumParam(['ok', 'error', 'cancelled', 'unset'], 'traces with this status'),
  sessionId: textParam('traces of this session'),
  session_id: textParam('alias of sessionId'),
  service: textParam('traces of this service.name'),
  model: textParam('traces that called this model'),
  from: timeParam('traces started at or after'),
  to: timeParam('traces started at or before'),
  limit: intParam(1, EXPORT_MAX_LIMIT, EXPORT_DEFAULT_LIMIT, 'traces in the file, the oldest first'),
});

/** Response headers of every format (the body is the file itself). */
export const ExportHeaders = z.object({
  'content-type': z.string(),
  'content-disposition': z.string().describe('attachment; filename="lookspan-traces-<UTC timestamp>.<format>"'),
  'x-lookspan-export-sha256': z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the CSV export of these traces (the canonical artefact)'),
  'x-lookspan-export-count': z.string().regex(/^\d+$/).describe('traces in the file'),
  'x-lookspan-export-truncated': z.enum(['true', 'false']).describe('true when the limit dropped matching traces'),
  'x-lookspan-export-total-available': z.string().regex(/^\d+$/).describe('traces matching the filters, ignoring the limit'),
});

/** The exports' temporary files live under `dir` (in the data dir: /tmp may be a small emptyDir); leftovers of a crash are removed at start. */
export function mountExport(router: Router, deps: { db: Database; dir: string }): void {
  rmSync(deps.dir, { recursive: true, force: true });
  mkdirSync(deps.dir, { recursive: true });
  let running = 0;

  router.get('/api/export/traces', async (ctx) => {
    const q = parseQuery(ctx, ExportQuery);
    if (running >= MAX_CONCURRENT_EXPORTS) throw overloaded(`${MAX_CONCURRENT_EXPORTS} exports are running; retry shortly`, 2);
    running++;
    let done: (() => Promise<void>) | null = null;
    try {
      const format = q.format ?? 'csv';
      const out = await exportTraces(deps.db, deps.dir, {
        filter: {
          projectId: q.projectId ?? q.project_id ?? DEFAULT_PROJECT,
          framework: q.framework, status: q.status, sessionId: q.sessionId ?? q.session_id, service: q.service, model: q.model,
          fromUs: q.from, toUs: q.to, limit: q.limit,
        },
        format,
        // The CSV, HTML and Parquet files are metadata only; raw applies to JSON.
        raw: format === 'json' && q.raw,
        version: VERSION,
        nowMs: Date.now(),
      });
      done = out.remove;
      const p = out.provenance;
      ctx.set({
        'Content-Type': out.contentType,
        'Content-Disposition': `attachment; filename="${out.fileName}"`,
        'Content-Length': String(out.bytes),
        'Cache-Control': 'no-store',
        'X-Lookspan-Export-Sha256': p.sha256,
        'X-Lookspan-Export-Count': String(p.count),
        'X-Lookspan-Export-Truncated': String(p.truncated),
        'X-Lookspan-Export-Total-Available': String(p.totalAvailable),
      });
      const body = createReadStream(out.file);
      body.once('close', () => { void out.remove(); });
      done = null;
      ctx.body = body;
    } finally {
      running--;
      await done?.();
    }
  });
}
