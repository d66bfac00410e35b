import type { ExportTrace } from './selection.js';

/** First bytes of the CSV file: a UTF-8 byte order mark, so Excel on Windows reads accents right. */
export const CSV_BOM = '\uFEFF';
const EOL = '\r\n';

/**
 * A text cell: one a spreadsheet would run as a formula (it begins with
 * =, +, -, @, tab or CR) is prefixed with `'` (CWE-1236), then quoted as
 * RFC 4180 asks when it holds a quote, comma or line break. Only text
 * cells get the prefix: numbers (a negative one included) are written as
 * numbers.
 */
export function csvText(v: string | null): string {
  if (v === null) return '';
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvNumber = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : String(v));

/** The columns: metadata only, never attributes, payloads or user ids. */
const COLUMNS: ReadonlyArray<[string, (t: ExportTrace) => string]> = [
  ['id', (t) => csvText(t.id)],
  ['name', (t) => csvText(t.name)],
  ['framework', (t) => csvText(t.framework)],
  ['agent', (t) => csvText(t.agentName)],
  ['session', (t) => csvText(t.sessionId)],
  ['service', (t) => csvText(t.serviceName)],
  ['startedAt', (t) => csvText(t.startedAt)],
  ['endedAt', (t) => csvText(t.endedAt)],
  ['durationMs', (t) => csvNumber(t.durationMs)],
  ['status', (t) => csvText(t.status)],
  ['spans', (t) => csvNumber(t.spanCount)],
  ['errors', (t) => csvNumber(t.errorCount)],
  ['llmCalls', (t) => csvNumber(t.llmCallCount)],
  ['toolCalls', (t) => csvNumber(t.toolCallCount)],
  ['inputTokens', (t) => csvNumber(t.inputTokens)],
  ['outputTokens', (t) => csvNumber(t.outputTokens)],
  ['totalTokens', (t) => csvNumber(t.inputTokens + t.outputTokens)],
  ['costUsd', (t) => csvNumber(t.costUsd)],
  ['models', (t) => csvText(t.models.length === 0 ? null : t.models.join(' '))],
];

export const CSV_HEADER = CSV_BOM + COLUMNS.map(([name]) => name).join(',') + EOL;

export const csvLine = (t: ExportTrace): string => COLUMNS.map(([, cell]) => cell(t)).join(',') + EOL;
