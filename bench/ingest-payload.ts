/**
 * Pre-encoded realistic OTLP requests whose ids change on every send
 * without re-encoding or re-compressing them.
 *
 * A request is built once with the OTel SDK (bench/spans.ts: 100 traces x
 * agent + 4 chat + 3 tool + 2 MCP spans) and serialized to protobuf. Its
 * gzip form is assembled so that every id field sits uncompressed in a
 * deflate *stored* block: the text between the ids is compressed chunk by
 * chunk with the preceding 32 KiB as the deflate dictionary (so the ratio
 * stays near a plain gzip of the whole body), and a send only overwrites
 * the id bytes in place and rewrites the gzip CRC (zlib.crc32, ~0.4 ms per
 * 1.4 MB). The load generator thus costs a memcpy and a CRC per request,
 * not a 25 ms gzip, and the server sees new trace and span ids every time.
 */
import { constants, crc32, deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { buildSpans } from './spans.js';

export const SPANS_PER_REQUEST = 1000;

/** One id field in the protobuf body: where its bytes start, how long it is. */
interface IdField { offset: number; length: 16 | 8 }

/** A request ready to send many times with new ids. */
export interface RequestTemplate {
  spans: number;
  /** The protobuf ExportTraceServiceRequest. */
  raw: Buffer;
  /** The gzip member whose id bytes sit in stored blocks. */
  gzip: Buffer;
  /** Offsets of trace-id bytes (16 each) in `raw` and, index for index, in `gzip`. */
  traceRaw: number[];
  traceGz: number[];
  /** Offsets of span-id and parent-span-id bytes (8 each). */
  spanRaw: number[];
  spanGz: number[];
  /** Bytes a whole-body gzip (level 6) would take: what a collector would send. */
  plainGzipBytes: number;
}

const WIRE_LEN = 2;

function varint(buf: Buffer, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, pos];
    mul *= 128;
  }
}

/** Calls `fn(field, start, end)` for every length-delimited field of the message in [from, to). */
function eachLen(buf: Buffer, from: number, to: number, fn: (field: number, start: number, end: number) => void): void {
  let pos = from;
  while (pos < to) {
    const [tag, p] = varint(buf, pos);
    pos = p;
    const wire = tag & 7;
    if (wire === WIRE_LEN) {
      const [len, q] = varint(buf, pos);
      fn(tag >>> 3, q, q + len);
      pos = q + len;
    } else if (wire === 0) pos = varint(buf, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
}

/** trace_id (1), span_id (2), parent_span_id (4) of every Span (ResourceSpans 1 → ScopeSpans 2 → Span 2). */
function idFields(raw: Buffer): { trace: IdField[]; span: IdField[]; parent: IdField[] } {
  const trace: IdField[] = [];
  const span: IdField[] = [];
  const parent: IdField[] = [];
  eachLen(raw, 0, raw.length, (f, s, e) => {
    if (f !== 1) return;
    eachLen(raw, s, e, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachLen(raw, s2, e2, (f3, s3, e3) => {
        if (f3 !== 2) return;
        eachLen(raw, s3, e3, (f4, s4, e4) => {
          if (f4 === 1 && e4 - s4 === 16) trace.push({ offset: s4, length: 16 });
          else if (f4 === 2 && e4 - s4 === 8) span.push({ offset: s4, length: 8 });
          else if (f4 === 4 && e4 - s4 === 8) parent.push({ offset: s4, length: 8 });
        });
      });
    });
  });
  return { trace, span, parent };
}

function storedBlock(bytes: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = 0; // BFINAL 0, BTYPE 00; the stream is byte-aligned after a sync flush
  head.writeUInt16LE(bytes.length, 1);
  head.writeUInt16LE(~bytes.length & 0xffff, 3);
  return Buffer.concat([head, bytes]);
}

/** `raw` with every id byte replaced by random bytes (what a decoder's history may hold after a patch). */
function scrambled(raw: Buffer, fields: IdField[]): Buffer {
  const out = Buffer.from(raw);
  for (const f of fields) randomBytes(f.length).copy(out, f.offset);
  return out;
}

/**
 * The gzip member described at the top of the file. A chunk is compressed
 * against the 32 KiB before it with the id bytes masked; if inflating it
 * against two differently scrambled histories does not give the same chunk
 * back (a match reached into id bytes), that chunk is compressed without a
 * dictionary instead, which is always safe.
 */
function patchableGzip(raw: Buffer, fields: IdField[]): { gzip: Buffer; gzOffsetOf: Map<number, number> } {
  const sorted = [...fields].sort((a, b) => a.offset - b.offset);
  // Ids of one span lie a few tag bytes apart: one stored block holds them all.
  const regions: Array<{ start: number; end: number }> = [];
  for (const f of sorted) {
    const last = regions[regions.length - 1];
    if (last && f.offset - last.end <= 8) last.end = f.offset + f.length;
    else regions.push({ start: f.offset, end: f.offset + f.length });
  }
  const masked = Buffer.from(raw);
  for (const f of sorted) masked.fill(0xfe, f.offset, f.offset + f.length);
  const checkA = scrambled(raw, sorted);
  const checkB = scrambled(raw, sorted);
  const parts: Buffer[] = [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])];
  let size = parts[0].length;
  const gzOffsetOf = new Map<number, number>();
  const compress = (start: number, end: number, final: boolean) => {
    if (start === end && !final) return;
    const chunk = raw.subarray(start, end);
    const flush = final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH;
    const from = Math.max(0, start - 32768);
    let out: Buffer;
    if (start === 0) out = deflateRawSync(chunk, { level: 6, finishFlush: flush });
    else {
      out = deflateRawSync(chunk, { level: 6, finishFlush: flush, dictionary: masked.subarray(from, start) });
      const ok = [checkA, checkB].every((h) =>
        inflateRawSync(out, { dictionary: h.subarray(from, start), finishFlush: constants.Z_SYNC_FLUSH }).equals(chunk));
      if (!ok) out = deflateRawSync(chunk, { level: 6, finishFlush: flush });
    }
    parts.push(out);
    size += out.length;
  };
  let pos = 0;
  for (const r of regions) {
    compress(pos, r.start, false);
    const block = storedBlock(raw.subarray(r.start, r.end));
    for (const f of sorted) {
      if (f.offset >= r.start && f.offset < r.end) gzOffsetOf.set(f.offset, size + 5 + (f.offset - r.start));
    }
    parts.push(block);
    size += block.length;
    pos = r.end;
  }
  compress(pos, raw.length, true);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(raw), 0);
  trailer.writeUInt32LE(raw.length >>> 0, 4);
  parts.push(trailer);
  return { gzip: Buffer.concat(parts), gzOffsetOf };
}

/** Builds one request template (seed picks the content: models, tools, message text); `withGzip` false skips the gzip form. */
export function buildTemplate(seed: number, withGzip = true): RequestTemplate {
  const spans = buildSpans(SPANS_PER_REQUEST / 10, seed);
  const raw = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const { trace, span: own, parent } = idFields(raw);
  if (trace.length !== spans.length || own.length !== spans.length) throw new Error(`found ${trace.length} trace ids and ${own.length} span ids for ${spans.length} spans`);
  // A send overwrites the first 8 trace-id bytes and the first 4 span-id bytes; what is left must keep spans apart.
  const seen = new Set<string>();
  for (let i = 0; i < own.length; i++) {
    seen.add(raw.toString('hex', trace[i].offset + 8, trace[i].offset + 16) + raw.toString('hex', own[i].offset + 4, own[i].offset + 8));
  }
  if (seen.size !== own.length) throw new Error(`seed ${seed}: two spans would share an id after patching; use another seed`);
  const span = [...own, ...parent];
  const { gzip, gzOffsetOf } = withGzip ? patchableGzip(raw, [...trace, ...span]) : { gzip: Buffer.alloc(0), gzOffsetOf: new Map<number, number>() };
  return {
    spans: spans.length,
    raw,
    gzip,
    traceRaw: trace.map((f) => f.offset),
    traceGz: trace.map((f) => gzOffsetOf.get(f.offset)!),
    spanRaw: span.map((f) => f.offset),
    spanGz: span.map((f) => gzOffsetOf.get(f.offset)!),
    plainGzipBytes: withGzip ? gzipSync(raw).length : 0,
  };
}

/**
 * A sender's own copy of the templates, patched in place for each send: a
 * copy must not change while its bytes are still being written, so every
 * connection of the load generator owns one.
 */
export class RequestWriter {
  private raw: Buffer;
  private gz: Buffer;
  private next = 0;

  constructor(private readonly templates: readonly RequestTemplate[], private readonly salt: number, offset = 0) {
    this.raw = Buffer.alloc(Math.max(...templates.map((t) => t.raw.length)));
    this.gz = Buffer.alloc(Math.max(1, ...templates.map((t) => t.gzip.length)));
    this.next = offset;
  }

  /**
   * The next request with ids unique to `send` (a process-wide counter): the
   * first 8 trace-id bytes become (salt, send), the first 4 span-id bytes
   * `send`, so parents still match their children. `gzip` true: the gzip
   * body (CRC rewritten), else the protobuf.
   */
  take(send: number, gzip: boolean): { body: Buffer; spans: number } {
    const t = this.templates[this.next++ % this.templates.length];
    const raw = this.raw.subarray(0, t.raw.length);
    t.raw.copy(raw);
    for (const o of t.traceRaw) {
      raw.writeUInt32BE(this.salt, o);
      raw.writeUInt32BE(send >>> 0, o + 4);
    }
    for (const o of t.spanRaw) raw.writeUInt32BE(send >>> 0, o);
    if (!gzip) return { body: raw, spans: t.spans };
    const gz = this.gz.subarray(0, t.gzip.length);
    t.gzip.copy(gz);
    for (const o of t.traceGz) {
      gz.writeUInt32BE(this.salt, o);
      gz.writeUInt32BE(send >>> 0, o + 4);
    }
    for (const o of t.spanGz) gz.writeUInt32BE(send >>> 0, o);
    gz.writeUInt32LE(crc32(raw), gz.length - 8);
    return { body: gz, spans: t.spans };
  }
}

/** A random non-zero salt, so two runs against one data dir never repeat an id. */
export function randomSalt(): number {
  return (randomBytes(4).readUInt32BE(0) | 1) >>> 0;
}
