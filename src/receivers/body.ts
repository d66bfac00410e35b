import type { IncomingMessage } from 'node:http';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { LookspanError, invalid, tooLarge } from '../errors.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface BodyLimits {
  /** Bytes on the wire (compressed). */
  maxBodyBytes: number;
  /** Bytes after decompression. */
  maxDecompressedBytes: number;
}

/**
 * Reads a request body within the wire limit (413 as soon as it is
 * exceeded, without reading the rest), then decompresses it with zlib's
 * maxOutputLength so a gzip bomb stops at the cap instead of expanding in
 * memory.
 */
export async function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
    req.resume();
    throw tooLarge(`request body of ${declared} bytes exceeds the limit of ${limits.maxBodyBytes} bytes`);
  }
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        done = true;
        // Stop buffering; drain the rest so the 413 can still be written on this connection.
        chunks.length = 0;
        req.resume();
        reject(tooLarge(`request body exceeds the limit of ${limits.maxBodyBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(invalid(`could not read request body: ${err.message}`));
      }
    });
    req.on('aborted', () => {
      if (!done) {
        done = true;
        reject(invalid('request body aborted by the client'));
      }
    });
  });
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  return decompress(raw, encoding, limits.maxDecompressedBytes);
}

/** Decompresses `gzip`, `deflate` or `identity` bodies within `max` bytes. */
export async function decompress(raw: Buffer, encoding: string, max: number): Promise<Buffer> {
  if (encoding === '' || encoding === 'identity') {
    if (raw.length > max) throw tooLarge(`request body exceeds the decompressed limit of ${max} bytes`);
    return raw;
  }
  const fn = encoding === 'gzip' || encoding === 'x-gzip' ? gunzipAsync : encoding === 'deflate' ? inflateAsync : null;
  if (!fn) {
    throw new LookspanError('unsupported_media_type', `unsupported Content-Encoding "${encoding}" (use gzip, deflate or identity)`);
  }
  try {
    return await fn(raw, { maxOutputLength: max });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw tooLarge(`decompressed body exceeds the limit of ${max} bytes`);
    }
    throw invalid(`body is not valid ${encoding} data: ${e.message}`);
  }
}
