import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../store/index.js';
import { CSV_HEADER, csvLine } from './csv.js';
import { writeHtml } from './html.js';
import { writeJson } from './json.js';
import { writeParquet } from './parquet.js';
import { provenance, type ExportFormat, type ExportProvenance } from './provenance.js';
import { SELECTION, selectTraces, selectionColumns, toExportTrace, type ExportFilter } from './selection.js';
import { streamRows, TextSink } from './sink.js';

export interface ExportRequest {
  filter: ExportFilter;
  format: ExportFormat;
  raw: boolean;
  version: string;
  nowMs: number;
}

/** A finished export waiting in a temporary file to be sent; `remove` deletes it. */
export interface ExportFile {
  file: string;
  bytes: number;
  contentType: string;
  fileName: string;
  provenance: ExportProvenance;
  remove(): Promise<void>;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

/** `lookspan-traces-20260602T100000Z.csv`: a timestamp with no character a file system refuses. */
export const exportFileName = (nowMs: number, format: ExportFormat) =>
  `lookspan-traces-${new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')}.${format}`;

/**
 * Runs an export inside one snapshot and leaves it in a file under `dir`.
 * The SHA-256 header must be known before the body's first byte, and it is
 * the hash of the CSV body, so the CSV is always produced first (for the
 * CSV format it is the file itself; otherwise only hashed), then the
 * requested format is written beside it from the same selection. The
 * snapshot is released before the caller streams the file, so a slow
 * client never holds a DuckDB transaction open. Memory holds a chunk of
 * rows and one write buffer, whatever the size of the export.
 */
export async function exportTraces(db: Database, dir: string, req: ExportRequest): Promise<ExportFile> {
  const file = path.join(dir, `export-${randomBytes(8).toString('hex')}.${req.format}`);
  const remove = () => rm(file, { force: true });
  try {
    const prov = await db.withSnapshot(async (conn) => {
      try {
        const { count, totalAvailable } = await selectTraces(conn, req.filter);
        const csv = new TextSink({ file: req.format === 'csv' ? file : undefined, hash: true });
        try {
          await csv.write(CSV_HEADER);
          for await (const r of streamRows(conn, `SELECT ${selectionColumns()} FROM ${SELECTION} ORDER BY ord`)) await csv.write(csvLine(toExportTrace(r)));
        } catch (err) {
          csv.destroy();
          throw err;
        }
        const { sha256 } = await csv.end();
        const p = provenance({ version: req.version, exportedAtMs: req.nowMs, format: req.format, filter: req.filter, count, totalAvailable, raw: req.raw, sha256: sha256! });
        if (req.format === 'parquet') {
          await writeParquet(conn, file, p);
        } else if (req.format !== 'csv') {
          const out = new TextSink({ file });
          try {
            if (req.format === 'json') await writeJson(conn, out, p);
            else await writeHtml(conn, out, p);
          } catch (err) {
            out.destroy();
            throw err;
          }
          await out.end();
        }
        return p;
      } finally {
        await conn.run(`DROP TABLE IF EXISTS ${SELECTION}`).catch(() => {});
      }
    });
    const { size } = await stat(file);
    return { file, bytes: size, contentType: CONTENT_TYPES[req.format], fileName: exportFileName(req.nowMs, req.format), provenance: prov, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
