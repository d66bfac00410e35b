import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';

/** Where the mirror writes: an S3 bucket (AWS or any S3-compatible store) and a key prefix. */
export interface S3Target {
  bucket: string;
  /** Key prefix without leading or trailing `/` ('' puts the layout at the bucket's root). */
  prefix: string;
  /** An S3-compatible endpoint URL; '' uses AWS's endpoint for `region`. */
  endpoint: string;
  region: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (most S3-compatible servers want it). */
  forcePathStyle: boolean;
}

/**
 * Files larger than this go up as a multipart upload of parts this large,
 * so no more than one part per upload is ever in memory. S3 requires parts
 * of at least 5 MiB (except the last) and a single PUT of at most 5 GB.
 */
export const PART_BYTES = 16 * 1024 * 1024;

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('base64');

/**
 * One bucket, through `@aws-sdk/client-s3`. Credentials come from the SDK's
 * default chain only (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
 * web identity, instance or pod roles); Lookspan's configuration never holds
 * them, so nothing Lookspan logs can contain them. Each request is retried
 * by the SDK's standard strategy (3 attempts, exponential backoff); the
 * mirror re-queues a file whose upload still fails.
 */
export class S3Bucket {
  private readonly client: S3Client;

  constructor(readonly target: S3Target, private readonly partBytes = PART_BYTES) {
    this.client = new S3Client({
      region: target.region,
      ...(target.endpoint ? { endpoint: target.endpoint } : {}),
      forcePathStyle: target.forcePathStyle,
      maxAttempts: 3,
      // The SDK's default CRC32 checksums (since 3.729) are refused by several S3-compatible
      // servers; every body here carries Content-MD5 instead, which S3 verifies on receipt.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    });
  }

  /** Names the bucket and prefix (and the endpoint): uploads are recorded per target, so a new target gets every file again. */
  get id(): string {
    const t = this.target;
    return `${t.endpoint || `aws:${t.region}`} s3://${t.bucket}/${t.prefix}`;
  }

  /** The object key of a lake file (`<prefix>/<kind>/project_id=…/date=…/<name>.parquet`). */
  key(lakePath: string): string {
    return this.target.prefix ? `${this.target.prefix}/${lakePath}` : lakePath;
  }

  /** Uploads `file` as `key`; resolves with the object's ETag once the bucket holds all of it. */
  async put(key: string, file: string, signal: AbortSignal): Promise<{ etag: string | null; bytes: number }> {
    const fh = await open(file, 'r');
    try {
      const bytes = (await fh.stat()).size;
      if (bytes <= this.partBytes) {
        const body = new Uint8Array(bytes);
        await readFully(fh, body, 0);
        const r = await this.client.send(new PutObjectCommand({
          Bucket: this.target.bucket, Key: key, Body: body, ContentMD5: md5(body), ContentType: 'application/vnd.apache.parquet',
        }), { abortSignal: signal });
        return { etag: r.ETag ?? null, bytes };
      }
      return { etag: await this.putMultipart(key, fh, bytes, signal), bytes };
    } finally {
      await fh.close();
    }
  }

  private async putMultipart(key: string, fh: FileHandle, bytes: number, signal: AbortSignal): Promise<string | null> {
    const { bucket } = this.target;
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({
      Bucket: bucket, Key: key, ContentType: 'application/vnd.apache.parquet',
    }), { abortSignal: signal });
    if (!UploadId) throw new Error(`the bucket returned no upload id for ${key}`);
    try {
      const parts: Array<{ ETag: string; PartNumber: number }> = [];
      const buf = new Uint8Array(this.partBytes);
      for (let offset = 0, n = 1; offset < bytes; offset += this.partBytes, n++) {
        const part = buf.subarray(0, Math.min(this.partBytes, bytes - offset));
        await readFully(fh, part, offset);
        const r = await this.client.send(new UploadPartCommand({
          Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: part, ContentMD5: md5(part),
        }), { abortSignal: signal });
        if (!r.ETag) throw new Error(`the bucket returned no ETag for part ${n} of ${key}`);
        parts.push({ ETag: r.ETag, PartNumber: n });
      }
      const done = await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts },
      }), { abortSignal: signal });
      return done.ETag ?? null;
    } catch (err) {
      // Parts of an upload never completed are billed until aborted.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => {});
      throw err;
    }
  }

  /** Deletes `key` (S3 answers success for a key that is already gone). */
  async delete(key: string, signal: AbortSignal): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: key }), { abortSignal: signal });
  }

  close(): void {
    this.client.destroy();
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('the file ended before its size (it changed while being uploaded)');
    done += bytesRead;
  }
}
