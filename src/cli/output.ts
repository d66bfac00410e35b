import { DuckDBTypeId, type DuckDBResultReader } from '@duckdb/node-api';

type Row = Record<string, unknown>;
const NUMERIC_AS_STRING = new Set<number>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.DECIMAL]);

/** Rows as JSON-ready objects: 64/128-bit integers become numbers when exactly representable (else stay strings), decimals become numbers. */
export function resultRows(r: DuckDBResultReader): { columns: string[]; rows: Row[] } {
  const columns = r.columnNames();
  const types = r.columnTypes();
  const rows = r.getRowObjectsJson() as Row[];
  const convert = columns.map((_, i) => NUMERIC_AS_STRING.has(types[i].typeId));
  for (const row of rows) {
    columns.forEach((c, i) => {
      const v = row[c];
      if (!convert[i] || typeof v !== 'string') return;
      const n = Number(v);
      if (types[i].typeId === DuckDBTypeId.DECIMAL ? Number.isFinite(n) : Number.isSafeInteger(n)) row[c] = n;
    });
  }
  return { columns, rows };
}

const MAX_CELL = 60;
const cell = (v: unknown): string => {
  if (v === null || v === undefined) return 'NULL';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const flat = s.replace(/[\r\n\t]/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
};

/** A plain-text table, numbers right-aligned, long cells cut at 60 characters, then a row count. */
export function formatTable(columns: string[], rows: Row[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join(' | ').trimEnd();
  const out = [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)];
  out.push(`(${rows.length} row${rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}
