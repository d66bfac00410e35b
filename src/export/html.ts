import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows } from '../analysis/rows.js';
import { barChart, columnChart, escapeHtml, type Bar } from './charts.js';
import type { ExportProvenance } from './provenance.js';
import { SELECTION, selectionColumns, toExportTrace, type ExportTrace } from './selection.js';
import { streamRows, type TextSink } from './sink.js';

const FRAMEWORK_BARS = 10;
/** Bars of the traces-over-time chart at most: days while they fit, else months, else years. */
const TIME_BARS = 62;

const usd = (v: number) => `$${v < 0.01 && v > 0 ? v.toPrecision(2) : v.toFixed(2)}`;
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const text = (v: string | null) => (v === null ? '' : escapeHtml(v));

interface Summary {
  count: number; errors: number; cancelled: number; costUsd: number; inputTokens: number; outputTokens: number; days: number; years: number; months: number;
}

async function summary(conn: DuckDBConnection): Promise<Summary> {
  const r = (await queryRows(conn, `
    SELECT count(*) AS count, count(*) FILTER (WHERE status = 'error') AS errors, count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
      coalesce(fsum(cost_usd), 0) AS cost, coalesce(sum(input_tokens), 0)::BIGINT AS input, coalesce(sum(output_tokens), 0)::BIGINT AS output,
      coalesce(date_diff('day', min(started_at)::DATE, max(started_at)::DATE) + 1, 0) AS days,
      coalesce(date_diff('month', date_trunc('month', min(started_at)), date_trunc('month', max(started_at))) + 1, 0) AS months,
      coalesce(date_diff('year', date_trunc('year', min(started_at)), date_trunc('year', max(started_at))) + 1, 0) AS years
    FROM ${SELECTION}`))[0];
  return {
    count: Number(r.count), errors: Number(r.errors), cancelled: Number(r.cancelled), costUsd: Number(r.cost),
    inputTokens: Number(r.input), outputTokens: Number(r.output), days: Number(r.days), months: Number(r.months), years: Number(r.years),
  };
}

async function charts(conn: DuckDBConnection, s: Summary): Promise<string[]> {
  const [unit, fmt] = s.days <= TIME_BARS ? ['day', '%Y-%m-%d'] : s.months <= TIME_BARS ? ['month', '%Y-%m'] : ['year', '%Y'];
  const perTime = (await queryRows(conn, `SELECT strftime(started_at, '${fmt}') AS k, count(*) AS n FROM ${SELECTION} GROUP BY k ORDER BY k`))
    .map((r): Bar => ({ label: String(r.k), value: Number(r.n) }));
  const frameworks = (await queryRows(conn, `
    SELECT coalesce(framework, '(none)') AS k, coalesce(fsum(cost_usd), 0) AS c FROM ${SELECTION} GROUP BY k ORDER BY c DESC, k`))
    .map((r): Bar => ({ label: String(r.k), value: Number(r.c) }));
  const shown = frameworks.slice(0, FRAMEWORK_BARS);
  if (frameworks.length > FRAMEWORK_BARS) {
    shown.push({ label: `${frameworks.length - FRAMEWORK_BARS} more`, value: frameworks.slice(FRAMEWORK_BARS).reduce((a, b) => a + b.value, 0) });
  }
  const statuses = (await queryRows(conn, `SELECT status AS k, count(*) AS n FROM ${SELECTION} GROUP BY k ORDER BY n DESC, k`))
    .map((r): Bar => ({ label: String(r.k), value: Number(r.n) }));
  return [
    columnChart(`Traces per ${unit}`, perTime, int),
    barChart('Cost per framework', shown, usd, '#2f9e6b'),
    barChart('Status', statuses, int, '#c2553a'),
    barChart('Tokens', [{ label: 'input', value: s.inputTokens }, { label: 'output', value: s.outputTokens }], int, '#7a5cc9'),
  ];
}

const STYLE = `
  body{font-family:system-ui,sans-serif;margin:24px;color:#1d2330}
  h1{font-size:22px;margin:0 0 8px}
  .prov{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px;margin:0 0 16px}
  .prov dt{color:#5a6270}.prov dd{margin:0;word-break:break-all}
  .banner{background:#fff3cd;border:1px solid #e0b300;padding:10px 14px;margin:0 0 16px;font-weight:600}
  .cards{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 16px}
  .card{border:1px solid #d8dce3;border-radius:6px;padding:10px 14px;min-width:130px}
  .card b{display:block;font-size:20px}.card span{color:#5a6270;font-size:12px}
  .charts{display:flex;flex-wrap:wrap;gap:16px;margin:0 0 16px}
  table{border-collapse:collapse;font-size:12px;width:100%}
  th,td{border-bottom:1px solid #e3e6eb;padding:4px 6px;text-align:left;vertical-align:top}
  td.n{text-align:right;font-variant-numeric:tabular-nums}
  tr.error td{background:#fdecea}
  footer{margin-top:16px;font-size:12px;color:#5a6270;word-break:break-all}
  @media print{body{margin:8mm}.charts svg{page-break-inside:avoid}thead{display:table-header-group}}`;

function header(p: ExportProvenance, s: Summary): string {
  const filters = Object.entries(p.filters).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${String(v)}`).join(', ');
  const prov: Array<[string, string]> = [
    ['Exported at', p.exportedAt], ['Tool', `${p.tool} ${p.version}`], ['Filters', filters],
    ['Traces', `${p.count} of ${p.totalAvailable} matching`], ['SHA-256 (CSV)', p.sha256],
  ];
  const banner = p.truncated
    ? `<div class="banner" role="alert">Truncated: this report holds ${p.count} of the ${p.totalAvailable} traces matching the filters (limit ${p.filters.limit}, the oldest first). Narrow the filters or raise ?limit= (at most 10000).</div>`
    : '';
  const rate = s.count === 0 ? 0 : (s.errors + s.cancelled) / s.count;
  const cards: Array<[string, string]> = [
    [int(s.count), 'traces'], [pct(rate), 'error / cancelled rate'], [usd(s.costUsd), 'total cost'],
    [int(s.inputTokens), 'tokens in'], [int(s.outputTokens), 'tokens out'],
  ];
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`
    + `<title>Lookspan trace export ${escapeHtml(p.exportedAt)}</title><style>${STYLE}</style></head><body>`
    + `<header><h1>Lookspan trace export</h1><dl class="prov">${prov.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></header>`
    + banner
    + `<section class="cards">${cards.map(([v, k]) => `<div class="card"><b>${escapeHtml(v)}</b><span>${escapeHtml(k)}</span></div>`).join('')}</section>`;
}

const COLUMNS = ['#', 'Started', 'Name', 'Framework', 'Agent', 'Session', 'Status', 'Duration ms', 'Spans', 'Errors', 'Tokens in', 'Tokens out', 'Cost USD', 'Trace id'];

function row(t: ExportTrace): string {
  const n = (v: number | null) => `<td class="n">${v === null ? '' : escapeHtml(String(v))}</td>`;
  return `<tr${t.status === 'error' ? ' class="error"' : ''}>${n(t.ord)}<td>${text(t.startedAt)}</td><td>${text(t.name)}</td><td>${text(t.framework)}</td>`
    + `<td>${text(t.agentName)}</td><td>${text(t.sessionId)}</td><td>${text(t.status)}</td>${n(Math.round(t.durationMs * 1000) / 1000)}`
    + `${n(t.spanCount)}${n(t.errorCount)}${n(t.inputTokens)}${n(t.outputTokens)}${n(t.costUsd)}<td>${text(t.id)}</td></tr>\n`;
}

/**
 * The HTML report: one self-contained file (inline CSS and SVG, no script,
 * no external resource) with the provenance header, a truncation banner,
 * summary cards, four charts, the full trace table (streamed row by row)
 * and the SHA-256 in the footer. Every stored value is HTML-escaped.
 */
export async function writeHtml(conn: DuckDBConnection, sink: TextSink, p: ExportProvenance): Promise<void> {
  const s = await summary(conn);
  await sink.write(header(p, s));
  await sink.write(`<section class="charts">${(await charts(conn, s)).join('')}</section>`);
  await sink.write(`<table><thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>\n`);
  for await (const r of streamRows(conn, `SELECT ${selectionColumns()} FROM ${SELECTION} ORDER BY ord`)) await sink.write(row(toExportTrace(r)));
  await sink.write(`</tbody></table><footer>SHA-256 of the CSV export of these ${p.count} traces (the canonical artefact; `
    + `X-Lookspan-Export-Sha256): <code>${escapeHtml(p.sha256)}</code>. Generated by ${escapeHtml(`${p.tool} ${p.version}`)} at ${escapeHtml(p.exportedAt)}.</footer></body></html>\n`);
}
