import { useEffect, useState } from 'preact/hooks';
import type { TraceList } from '../api/types.js';
import { Badge, ErrorBox, FilterBox, SelectField, TextField } from '../components/ui.js';
import { useApi, useTitle } from '../hooks.js';
import { download } from '../lib/download.js';
import { formatCost, formatCount, formatDuration, formatTime } from '../lib/format.js';
import { traceHref, sessionHref } from '../lib/routes.js';
import {
  DEFAULT_LIMIT, EXPORT_FORMATS, exportPlan, listQuery, pageBy, parseTraceFilters, toSearch, TRACE_SORTS, TRACE_STATUSES,
  type ExportFormat, type TraceFilters,
} from '../lib/trace-filters.js';
import { Link, navigate } from '../router.js';
import { ApiError } from '../api/client.js';

const TEXT: Array<[keyof TraceFilters & string, string, string?]> = [
  ['agent', 'Agent'], ['sessionId', 'Session'], ['model', 'Model'], ['service', 'Service'], ['framework', 'Framework'],
  ['server', 'MCP server'], ['tool', 'Tool'], ['userId', 'User'], ['from', 'From', 'ISO time or epoch ms'], ['to', 'To', 'ISO time or epoch ms'],
];

const FORMAT_LABEL: Record<ExportFormat, string> = { csv: 'CSV', json: 'JSON', html: 'HTML report', parquet: 'Parquet' };

/** The trace list: the API's filters in the URL, pages, and the export of exactly the rows shown. */
export function Traces({ search }: { search: string }) {
  useTitle('Traces');
  const filters = parseTraceFilters(search);
  const [draft, setDraft] = useState<TraceFilters>(filters);
  useEffect(() => setDraft(parseTraceFilters(search)), [search]);
  const list = useApi<TraceList>(`/api/traces?${listQuery(filters)}`);
  const [exportNote, setExportNote] = useState<{ text: string; bad?: boolean } | null>(null);
  const rows = list.data?.traces ?? [];

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(`/traces${toSearch({ ...draft, offset: 0 })}`);
  };
  const set = (k: keyof TraceFilters, v: string) => setDraft((d) => ({ ...d, [k]: v || undefined }));

  const plan = (f: ExportFormat) => exportPlan(filters, rows, list.data?.hasMore ?? false, f);
  const exportAs = async (f: ExportFormat) => {
    const p = plan(f);
    if (!p.ok) return;
    setExportNote({ text: `Exporting ${p.expected} traces as ${FORMAT_LABEL[f]}…` });
    try {
      const d = await download(`/api/export/traces?${p.query}`, `lookspan-traces.${f}`);
      const differs = d.count !== null && d.count !== p.expected;
      setExportNote(differs
        ? { text: `${d.filename}: ${d.count} traces, not the ${p.expected} shown: traces starting in the same instant as the first or last row, or changed since the page loaded. Reload the list and export again.`, bad: true }
        : { text: `${d.filename}: ${d.count ?? p.expected} traces, SHA-256 ${d.sha256?.slice(0, 16) ?? '—'}…` });
    } catch (err) {
      setExportNote({ text: `Export failed: ${(err as ApiError).message}`, bad: true });
    }
  };
  const blocked = plan('csv');

  return (
    <>
      <h1 tabIndex={-1}>Traces</h1>
      <FilterBox active={new URLSearchParams(toSearch({ ...filters, offset: 0, limit: DEFAULT_LIMIT })).size}>
      <form class="filters" onSubmit={apply} aria-label="Trace filters">
        <SelectField id="f-status" label="Status" value={draft.status ?? ''} onChange={(v) => set('status', v)}
          options={[['', 'any'], ...TRACE_STATUSES.map((s) => [s, s] as const)]} />
        {TEXT.map(([k, label, ph]) => (
          <TextField key={k} id={`f-${k}`} label={label} value={String(draft[k] ?? '')} placeholder={ph} onInput={(v) => set(k, v)} />
        ))}
        <SelectField id="f-sort" label="Sort by" value={draft.sort ?? 'startedAt'} onChange={(v) => set('sort', v)}
          options={TRACE_SORTS.map((s) => [s, s] as const)} />
        <SelectField id="f-order" label="Order" value={draft.order ?? 'desc'} onChange={(v) => set('order', v)}
          options={[['desc', 'descending'], ['asc', 'ascending']]} />
        <SelectField id="f-limit" label="Per page" value={String(draft.limit)} onChange={(v) => setDraft((d) => ({ ...d, limit: Number(v) }))}
          options={[10, 25, DEFAULT_LIMIT, 100, 250, 1000].map((n) => [String(n), String(n)] as const)} />
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => navigate('/traces')}>Clear</button>
        </div>
      </form>
      </FilterBox>

      <div class="toolbar" role="group" aria-label="Export the traces shown">
        <span>Export what is shown:</span>
        {EXPORT_FORMATS.map((f) => (
          <button key={f} type="button" class="secondary" disabled={!blocked.ok} onClick={() => exportAs(f)}>{FORMAT_LABEL[f]}</button>
        ))}
        {!blocked.ok && rows.length > 0 && <span class="muted">{blocked.reason}</span>}
      </div>
      {exportNote && <p class={`notice${exportNote.bad ? ' error' : ''}`} role="status">{exportNote.text}</p>}

      {list.error && <ErrorBox error={list.error} what="traces" />}
      {!list.error && !list.data && <p class="muted" aria-busy="true">Loading traces…</p>}
      {list.data && (rows.length === 0 ? <p class="muted">No traces match these filters.</p> : (
        <div class="table-wrap">
          <table class="data" aria-label="Traces" data-testid="trace-table">
            <thead>
              <tr>
                <th scope="col">Started</th><th scope="col">Trace</th><th scope="col">Status</th><th scope="col">Agent</th><th scope="col">Session</th>
                <th scope="col" class="num">Duration</th><th scope="col" class="num">Spans</th><th scope="col" class="num">Errors</th>
                <th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost</th><th scope="col">Models</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} data-trace-id={t.id}>
                  <td class="nowrap">{formatTime(t.startedAt)}</td>
                  <td><Link href={traceHref(t.id)}>{t.name ?? t.id}</Link></td>
                  <td><Badge value={t.status} /></td>
                  <td>{t.agentName ?? '—'}</td>
                  <td>{t.sessionId ? <Link href={sessionHref(t.sessionId)}>{t.sessionId}</Link> : '—'}</td>
                  <td class="num">{formatDuration(t.durationMs)}</td>
                  <td class="num">{formatCount(t.spanCount)}</td>
                  <td class="num">{formatCount(t.errorCount)}</td>
                  <td class="num">{formatCount(t.totalUsage.totalTokens)}</td>
                  <td class="num">{formatCost(t.totalUsage.costUsd)}</td>
                  <td>{t.models.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {list.data && (
        <nav class="pager" aria-label="Pages">
          <button type="button" class="secondary" disabled={filters.offset === 0} onClick={() => navigate(`/traces${toSearch(pageBy(filters, -1))}`)}>Previous page</button>
          <span>{rows.length ? `${filters.offset + 1}–${filters.offset + rows.length}` : '0'}{list.data.hasMore ? ' of more' : ''}</span>
          <button type="button" class="secondary" disabled={!list.data.hasMore} onClick={() => navigate(`/traces${toSearch(pageBy(filters, 1))}`)}>Next page</button>
        </nav>
      )}
    </>
  );
}
