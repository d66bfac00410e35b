/**
 * The trace list's filters ↔ the page URL (so a filtered list is a link to
 * share) ↔ the query of GET /api/traces, and the export of exactly the rows
 * on screen through GET /api/export/traces.
 */

export const TRACE_STATUSES = ['ok', 'error', 'cancelled', 'unset'] as const;
export const TRACE_SORTS = ['startedAt', 'durationMs', 'costUsd', 'totalTokens', 'spanCount', 'errorCount'] as const;
export const EXPORT_FORMATS = ['csv', 'json', 'html', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Text filters of GET /api/traces, in the order the URL writes them. */
export const TEXT_FILTERS = ['framework', 'service', 'model', 'agent', 'userId', 'server', 'tool', 'sessionId', 'from', 'to'] as const;
type TextFilter = (typeof TEXT_FILTERS)[number];

/** The filters GET /api/export/traces takes too (docs/export.md); the others cannot be exported as they are. */
const EXPORTABLE: ReadonlySet<string> = new Set(['framework', 'service', 'model', 'sessionId', 'from', 'to', 'status']);

export const DEFAULT_LIMIT = 50;
export const MAX_EXPORT = 10_000;

export type TraceFilters = Partial<Record<TextFilter, string>> & {
  status?: (typeof TRACE_STATUSES)[number];
  sort?: (typeof TRACE_SORTS)[number];
  order?: 'asc' | 'desc';
  limit: number;
  offset: number;
};

const oneOf = <T extends string>(list: readonly T[], v: string | null): T | undefined =>
  v !== null && (list as readonly string[]).includes(v) ? (v as T) : undefined;

function intIn(v: string | null, min: number, max: number, dflt: number): number {
  if (v === null || !/^\d+$/.test(v)) return dflt;
  const n = Number(v);
  return n >= min && n <= max ? n : dflt;
}

/** Filters from a URL query string; values the API would refuse are dropped, not sent. */
export function parseTraceFilters(search: string): TraceFilters {
  const q = new URLSearchParams(search);
  const f: TraceFilters = { limit: intIn(q.get('limit'), 1, 1000, DEFAULT_LIMIT), offset: intIn(q.get('offset'), 0, 10_000_000, 0) };
  for (const k of TEXT_FILTERS) {
    const v = q.get(k)?.trim();
    if (v) f[k] = v;
  }
  const status = oneOf(TRACE_STATUSES, q.get('status'));
  if (status) f.status = status;
  const sort = oneOf(TRACE_SORTS, q.get('sort'));
  if (sort) f.sort = sort;
  const order = oneOf(['asc', 'desc'] as const, q.get('order'));
  if (order) f.order = order;
  return f;
}

/** The filters as URL parameters, in a fixed order, defaults left out (the page URL and the API query share it). */
export function filterParams(f: TraceFilters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.status) q.set('status', f.status);
  for (const k of TEXT_FILTERS) if (f[k]) q.set(k, f[k]!);
  if (f.sort && f.sort !== 'startedAt') q.set('sort', f.sort);
  if (f.order && f.order !== 'desc') q.set('order', f.order);
  if (f.limit !== DEFAULT_LIMIT) q.set('limit', String(f.limit));
  if (f.offset !== 0) q.set('offset', String(f.offset));
  return q;
}

/** `?status=error&agent=…` for the page URL (empty string without filters). */
export function toSearch(f: TraceFilters): string {
  const s = filterParams(f).toString();
  return s ? `?${s}` : '';
}

/** The GET /api/traces query for these filters (the API's defaults are the page's). */
export function listQuery(f: TraceFilters): string {
  const q = filterParams(f);
  q.set('limit', String(f.limit));
  return q.toString();
}

/** The filters with one page moved (`delta` pages of `limit`). */
export const pageBy = (f: TraceFilters, delta: number): TraceFilters => ({ ...f, offset: Math.max(0, f.offset + delta * f.limit) });

export interface ShownTrace {
  id: string;
  startedAt: string;
}

export type ExportPlan = { ok: true; query: URLSearchParams; expected: number } | { ok: false; reason: string };

/**
 * The export query that selects exactly the traces on screen. The export
 * takes the list's filters but not agent, user, server or tool, and has no
 * offset (it writes the oldest first), so the page's own time span bounds
 * it: the rows of a list ordered by start time are the matches that start
 * between the first and the last row shown. The upper bound is set even on
 * a complete list, so traces that arrived after the page was drawn stay out.
 */
export function exportPlan(f: TraceFilters, shown: readonly ShownTrace[], hasMore: boolean, format: ExportFormat): ExportPlan {
  if (shown.length === 0) return { ok: false, reason: 'No traces on screen to export.' };
  const unsupported = [...TEXT_FILTERS].filter((k) => f[k] && !EXPORTABLE.has(k));
  if (unsupported.length) return { ok: false, reason: `The export cannot filter by ${unsupported.join(', ')}: clear ${unsupported.length > 1 ? 'them' : 'it'} to export.` };
  if ((hasMore || f.offset > 0) && f.sort && f.sort !== 'startedAt') {
    return { ok: false, reason: 'A page sorted by something other than start time cannot be exported as shown: sort by start time or show every match on one page.' };
  }
  const q = new URLSearchParams({ format });
  if (f.status) q.set('status', f.status);
  for (const k of ['framework', 'service', 'model', 'sessionId'] as const) if (f[k]) q.set(k, f[k]!);
  const starts = shown.map((t) => t.startedAt).sort();
  q.set('from', starts[0]);
  q.set('to', starts[starts.length - 1]);
  // Not the row count: a trace of another page starting in the same microsecond as an edge row would then
  // displace a row silently; with room to spare it shows up in X-Lookspan-Export-Count instead.
  q.set('limit', String(MAX_EXPORT));
  return { ok: true, query: q, expected: shown.length };
}
