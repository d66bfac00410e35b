import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { plainRows } from '../analysis/rows.js';

/** Text written is encoded and handed on in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Where an export's text goes: a file (with the stream's backpressure
 * awaited, so memory holds one chunk whatever the size of the export),
 * a SHA-256 of the exact bytes, or both.
 */
export class TextSink {
  private parts: string[] = [];
  private chars = 0;
  private bytesWritten = 0;
  private readonly hash: Hash | null;
  private readonly out: WriteStream | null;

  constructor(opts: { file?: string; hash?: boolean }) {
    this.out = opts.file === undefined ? null : createWriteStream(opts.file, { flags: 'wx' });
    this.hash = opts.hash ? createHash('sha256') : null;
  }

  async write(s: string): Promise<void> {
    this.parts.push(s);
    this.chars += s.length;
    if (this.chars >= CHUNK_CHARS) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    // Joined before encoding, so a surrogate pair never straddles two chunks.
    const chunk = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.chars = 0;
    this.bytesWritten += chunk.length;
    this.hash?.update(chunk);
    if (this.out && !this.out.write(chunk)) await once(this.out, 'drain');
  }

  /** Flushes and closes; the byte count and the hex SHA-256 (when hashing). */
  async end(): Promise<{ bytes: number; sha256: string | null }> {
    await this.flush();
    if (this.out) {
      const closed = once(this.out, 'close');
      this.out.end();
      await closed;
    }
    return { bytes: this.bytesWritten, sha256: this.hash ? this.hash.digest('hex') : null };
  }

  /** Closes without caring for the content (a failed export). */
  destroy(): void {
    this.out?.destroy();
  }
}

/**
 * A streamed query's rows with plain JS values, one at a time: each is
 * read out of DuckDB's chunk (2048 rows, kept in native memory) only when
 * it is wanted, so the JS heap holds one row's values, not a chunk's (2048
 * spans with 64 KB payloads would be a quarter of a gigabyte).
 */
export async function* streamRows(conn: DuckDBConnection, sql: string, params: DuckDBValue[] = []): AsyncGenerator<Record<string, unknown>> {
  const result = await conn.stream(sql, params);
  const names = result.columnNames();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) return;
    for (let i = 0; i < chunk.rowCount; i++) {
      const values = chunk.getRowValues(i);
      const row: Record<string, DuckDBValue> = {};
      for (let c = 0; c < names.length; c++) row[names[c]] = values[c];
      yield plainRows([row])[0];
    }
  }
}
