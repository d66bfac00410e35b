import { setOwn } from '../../model/attributes.js';
import type { OtlpSpanInput } from '../../model/otlp-span.js';
import type { AttrValue, Attributes, SpanEventRecord, SpanLinkRecord } from '../../model/span-record.js';
import { invalid } from '../../errors.js';
import type { DecodedExport, DecodeLimits } from './decode.js';
import { SpanProblem, rejectSpan, sharedPart } from './span-problem.js';

/**
 * OTLP/protobuf ExportTraceServiceRequest decoded straight from the wire
 * into OtlpSpanInput, field numbers as in proto/opentelemetry/proto. Going
 * through protobufjs message objects first (KeyValue, AnyValue, Long) and
 * then copying them cost most of the decode time on LLM spans; this reader
 * allocates only what it returns. A malformed message is a 400; a span that
 * is individually invalid (id length, attribute nesting) is skipped by its
 * length and reported through partial success.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const SPAN_KINDS_MAX = 5;

/** A cursor over one protobuf message (shared with the logs reader, src/receivers/otlp-logs/wire.ts). */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  fail(what: string): never {
    throw invalid(`malformed OTLP protobuf: ${what} at byte ${this.pos}`);
  }

  /** Unsigned varint up to 2^53 (all lengths, tags, enums and counts used here). */
  uint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) this.fail('truncated varint');
      const b = buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** int64 varint (two's complement): a number when safe, else its decimal string. */
  int64(): number | string {
    const buf = this.buf;
    let lo = 0n;
    let shift = 0n;
    let fast = 0;
    let mul = 1;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) this.fail('truncated varint');
      const b = buf[this.pos++];
      if (i < 7) fast += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) {
        if (i < 7) return fast; // < 2^49: exact as a double
        break;
      }
    }
    // Rare: large or negative values need 64-bit arithmetic.
    this.pos = start;
    for (let i = 0; i < 10; i++) {
      const b = BigInt(buf[this.pos++]);
      lo |= (b & 0x7fn) << shift;
      shift += 7n;
      if (b < 0x80n) break;
    }
    const signed = BigInt.asIntN(64, lo);
    const n = Number(signed);
    return Number.isSafeInteger(n) ? n : signed.toString();
  }

  /** fixed64 nanoseconds as microseconds, exact: 2^32 = 4294967 * 1000 + 296. */
  micros(): number {
    if (this.pos + 8 > this.buf.length) this.fail('truncated fixed64');
    const low = this.buf.readUInt32LE(this.pos);
    const high = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return high * 4294967 + Math.floor((high * 296 + low) / 1000);
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) this.fail('truncated double');
    const d = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return d;
  }

  /** End offset of a length-delimited field starting here. */
  lenEnd(limit: number): number {
    const len = this.uint();
    const end = this.pos + len;
    if (end > limit) this.fail('length past the end of its message');
    return end;
  }

  // Node's utf8Slice replaces invalid UTF-8 with U+FFFD, so stored text is always well formed.
  string(end: number): string {
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  skip(wire: number, limit: number): void {
    switch (wire) {
      case WIRE_VARINT: this.uint(); return;
      case WIRE_I64: this.pos += 8; break;
      case WIRE_LEN: this.pos = this.lenEnd(limit); return;
      case WIRE_I32: this.pos += 4; break;
      default: this.fail(`unsupported wire type ${wire}`);
    }
    if (this.pos > limit) this.fail('field past the end of its message');
  }
}

export function expectWire(r: Reader, wire: number, want: number, field: string): void {
  if (wire !== want) r.fail(`field ${field} has wire type ${wire}, expected ${want}`);
}

export function hexId(r: Reader, end: number, bytes: number, field: string, optional: boolean): string | null {
  const len = end - r.pos;
  if (len === 0) {
    if (optional) return null;
    throw new SpanProblem(`${field} is missing`);
  }
  if (len !== bytes) {
    r.pos = end;
    throw new SpanProblem(`${field} must be ${bytes} bytes, got ${len}`);
  }
  let zero = true;
  for (let i = r.pos; i < end; i++) if (r.buf[i] !== 0) { zero = false; break; }
  const hex = r.buf.toString('hex', r.pos, end);
  r.pos = end;
  if (zero) {
    if (optional) return null;
    throw new SpanProblem(`${field} is all zeroes`);
  }
  return hex;
}

export interface Depth {
  max: number;
}

export function anyValue(r: Reader, end: number, depth: number, d: Depth, key: string): AttrValue {
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint();
    const field = tag >>> 3;
    const wire = tag & 7;
    switch (field) {
      case 1: expectWire(r, wire, WIRE_LEN, 'AnyValue.string_value'); value = r.string(r.lenEnd(end)); break;
      case 2: expectWire(r, wire, WIRE_VARINT, 'AnyValue.bool_value'); value = r.uint() !== 0; break;
      case 3: expectWire(r, wire, WIRE_VARINT, 'AnyValue.int_value'); value = r.int64(); break;
      case 4: {
        expectWire(r, wire, WIRE_I64, 'AnyValue.double_value');
        const v = r.double();
        // JSON has no NaN/Infinity; keep them as their names rather than lose the row.
        value = Number.isFinite(v) ? v : String(v);
        break;
      }
      case 5:
      case 6: {
        expectWire(r, wire, WIRE_LEN, 'AnyValue.array_value/kvlist_value');
        const inner = r.lenEnd(end);
        if (depth >= d.max) {
          r.pos = inner;
          throw new SpanProblem(`attribute "${key}" is nested deeper than ${d.max} levels`);
        }
        value = field === 5 ? arrayValue(r, inner, depth + 1, d, key) : keyValueList(r, inner, depth + 1, d, key);
        break;
      }
      case 7: {
        expectWire(r, wire, WIRE_LEN, 'AnyValue.bytes_value');
        const e = r.lenEnd(end);
        value = r.buf.toString('base64', r.pos, e);
        r.pos = e;
        break;
      }
      default: r.skip(wire, end);
    }
  }
  return value;
}

function arrayValue(r: Reader, end: number, depth: number, d: Depth, key: string): AttrValue[] {
  const out: AttrValue[] = [];
  while (r.pos < end) {
    const tag = r.uint();
    if (tag >>> 3 === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ArrayValue.values');
      const e = r.lenEnd(end);
      out.push(anyValue(r, e, depth, d, key));
    } else r.skip(tag & 7, end);
  }
  return out;
}

/** KeyValueList / repeated KeyValue body; `topKey` names the attribute in depth errors. */
function keyValueList(r: Reader, end: number, depth: number, d: Depth, topKey: string): Attributes {
  const out: Attributes = {};
  while (r.pos < end) {
    const tag = r.uint();
    if (tag >>> 3 === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'KeyValueList.values');
      keyValue(r, r.lenEnd(end), out, depth, d, topKey);
    } else r.skip(tag & 7, end);
  }
  return out;
}

function keyValue(r: Reader, end: number, into: Attributes, depth: number, d: Depth, topKey: string | null): void {
  let key = '';
  let value: AttrValue = null;
  let valueStart = -1;
  let valueEnd = -1;
  while (r.pos < end) {
    const tag = r.uint();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'KeyValue.key');
      key = r.string(r.lenEnd(end));
    } else if (field === 2) {
      expectWire(r, tag & 7, WIRE_LEN, 'KeyValue.value');
      // The key may follow the value on the wire; decode the value once the key is known.
      valueEnd = r.lenEnd(end);
      valueStart = r.pos;
      r.pos = valueEnd;
    } else r.skip(tag & 7, end);
  }
  if (valueStart >= 0) {
    r.pos = valueStart;
    value = anyValue(r, valueEnd, depth, d, topKey ?? key);
    r.pos = end;
  }
  setOwn(into, key, value);
}

/** A repeated KeyValue field element appended to `into` (top-level attributes). */
export function attribute(r: Reader, wire: number, end: number, into: Attributes, d: Depth, what: string): void {
  expectWire(r, wire, WIRE_LEN, what);
  keyValue(r, r.lenEnd(end), into, 0, d, null);
}

/**
 * A Resource message (`opentelemetry.proto.resource.v1.Resource`): its
 * attributes into `into`. Shared by the trace and log decoders; a problem
 * in it rejects every item that shares it (`sharedPart`).
 */
export function resourceMessage(r: Reader, end: number, into: Attributes, d: Depth, path: string): void {
  sharedPart(`${path}.resource`, () => {
    while (r.pos < end) {
      const t = r.uint();
      if (t >>> 3 === 1) attribute(r, t & 7, end, into, d, 'Resource.attributes');
      else r.skip(t & 7, end);
    }
  });
}

/** An InstrumentationScope message into `scope` (shared by the trace and log decoders, like the Resource). */
export function instrumentationScope(r: Reader, end: number, scope: { name: string; version: string; attributes: Attributes }, d: Depth, path: string): void {
  sharedPart(`${path}.scope`, () => {
    while (r.pos < end) {
      const t = r.uint();
      switch (t >>> 3) {
        case 1: expectWire(r, t & 7, WIRE_LEN, 'InstrumentationScope.name'); scope.name = r.string(r.lenEnd(end)); break;
        case 2: expectWire(r, t & 7, WIRE_LEN, 'InstrumentationScope.version'); scope.version = r.string(r.lenEnd(end)); break;
        case 3: attribute(r, t & 7, end, scope.attributes, d, 'InstrumentationScope.attributes'); break;
        default: r.skip(t & 7, end);
      }
    }
  });
}

function event(r: Reader, end: number, d: Depth): SpanEventRecord {
  const ev: SpanEventRecord = { time_us: 0, name: '', attributes: {} };
  while (r.pos < end) {
    const tag = r.uint();
    switch (tag >>> 3) {
      case 1: expectWire(r, tag & 7, WIRE_I64, 'Event.time_unix_nano'); ev.time_us = r.micros(); break;
      case 2: expectWire(r, tag & 7, WIRE_LEN, 'Event.name'); ev.name = r.string(r.lenEnd(end)); break;
      case 3: attribute(r, tag & 7, end, ev.attributes, d, 'Event.attributes'); break;
      default: r.skip(tag & 7, end);
    }
  }
  return ev;
}

function link(r: Reader, end: number, d: Depth): SpanLinkRecord {
  let traceId: string | null = null;
  let spanId: string | null = null;
  const attributes: Attributes = {};
  while (r.pos < end) {
    const tag = r.uint();
    switch (tag >>> 3) {
      case 1: expectWire(r, tag & 7, WIRE_LEN, 'Link.trace_id'); traceId = hexId(r, r.lenEnd(end), 16, 'link trace_id', false); break;
      case 2: expectWire(r, tag & 7, WIRE_LEN, 'Link.span_id'); spanId = hexId(r, r.lenEnd(end), 8, 'link span_id', false); break;
      case 4: attribute(r, tag & 7, end, attributes, d, 'Link.attributes'); break;
      default: r.skip(tag & 7, end);
    }
  }
  if (traceId === null) throw new SpanProblem('link trace_id is missing');
  if (spanId === null) throw new SpanProblem('link span_id is missing');
  return { trace_id: traceId, span_id: spanId, attributes };
}

function status(r: Reader, end: number, into: OtlpSpanInput['status']): void {
  while (r.pos < end) {
    const tag = r.uint();
    switch (tag >>> 3) {
      case 2: expectWire(r, tag & 7, WIRE_LEN, 'Status.message'); into.message = r.string(r.lenEnd(end)); break;
      case 3: expectWire(r, tag & 7, WIRE_VARINT, 'Status.code'); into.code = r.uint(); break;
      default: r.skip(tag & 7, end);
    }
  }
}

function span(r: Reader, end: number, resource: Attributes, scope: OtlpSpanInput['scope'], d: Depth): OtlpSpanInput {
  let traceId: string | null = null;
  let spanId: string | null = null;
  const s: OtlpSpanInput = {
    resource, scope, traceId: '', spanId: '', parentSpanId: null, name: '', kind: 0, startUs: 0, endUs: 0,
    attributes: {}, events: [], links: [], status: { code: 0, message: '' },
  };
  while (r.pos < end) {
    const tag = r.uint();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: expectWire(r, wire, WIRE_LEN, 'Span.trace_id'); traceId = hexId(r, r.lenEnd(end), 16, 'trace_id', false); break;
      case 2: expectWire(r, wire, WIRE_LEN, 'Span.span_id'); spanId = hexId(r, r.lenEnd(end), 8, 'span_id', false); break;
      case 4: expectWire(r, wire, WIRE_LEN, 'Span.parent_span_id'); s.parentSpanId = hexId(r, r.lenEnd(end), 8, 'parent_span_id', true); break;
      case 5: expectWire(r, wire, WIRE_LEN, 'Span.name'); s.name = r.string(r.lenEnd(end)); break;
      case 6: {
        expectWire(r, wire, WIRE_VARINT, 'Span.kind');
        const k = r.uint();
        s.kind = k <= SPAN_KINDS_MAX ? k : 0;
        break;
      }
      case 7: expectWire(r, wire, WIRE_I64, 'Span.start_time_unix_nano'); s.startUs = r.micros(); break;
      case 8: expectWire(r, wire, WIRE_I64, 'Span.end_time_unix_nano'); s.endUs = r.micros(); break;
      case 9: attribute(r, wire, end, s.attributes, d, 'Span.attributes'); break;
      case 11: expectWire(r, wire, WIRE_LEN, 'Span.events'); s.events.push(event(r, r.lenEnd(end), d)); break;
      case 13: expectWire(r, wire, WIRE_LEN, 'Span.links'); s.links.push(link(r, r.lenEnd(end), d)); break;
      case 15: expectWire(r, wire, WIRE_LEN, 'Span.status'); status(r, r.lenEnd(end), s.status); break;
      default: r.skip(wire, end);
    }
  }
  if (traceId === null) throw new SpanProblem('trace_id is missing');
  if (spanId === null) throw new SpanProblem('span_id is missing');
  s.traceId = traceId;
  s.spanId = spanId;
  return s;
}

function scopeSpans(r: Reader, end: number, resource: Attributes, out: DecodedExport, d: Depth, path: string): void {
  // The scope may follow its spans on the wire: spans share this object, filled when it is read.
  const scope: OtlpSpanInput['scope'] = { name: '', version: '', attributes: {} };
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ScopeSpans.scope');
      instrumentationScope(r, r.lenEnd(end), scope, d, path);
    } else if (field === 2) {
      expectWire(r, tag & 7, WIRE_LEN, 'ScopeSpans.spans');
      const e = r.lenEnd(end);
      const i = index++;
      try {
        out.spans.push(span(r, e, resource, scope, d));
      } catch (err) {
        if (!(err instanceof SpanProblem)) throw err;
        r.pos = e;
        rejectSpan(out, `${path}.spans[${i}]`, err);
      }
    } else r.skip(tag & 7, end);
  }
}

function resourceSpans(r: Reader, end: number, out: DecodedExport, d: Depth, path: string): void {
  const resource: Attributes = {};
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ResourceSpans.resource');
      resourceMessage(r, r.lenEnd(end), resource, d, path);
    } else if (field === 2) {
      expectWire(r, tag & 7, WIRE_LEN, 'ResourceSpans.scope_spans');
      scopeSpans(r, r.lenEnd(end), resource, out, d, `${path}.scopeSpans[${index++}]`);
    } else r.skip(tag & 7, end);
  }
}

/** Decodes an OTLP/protobuf ExportTraceServiceRequest body. */
export function decodeProtobufWire(body: Uint8Array, limits: DecodeLimits): DecodedExport {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  const r = new Reader(buf);
  const out: DecodedExport = { spans: [], rejected: 0, rejectMessages: [] };
  const d: Depth = { max: limits.maxAttributeDepth };
  let index = 0;
  while (r.pos < buf.length) {
    const tag = r.uint();
    if (tag === 0) r.fail('field number 0');
    if (tag >>> 3 === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ExportTraceServiceRequest.resource_spans');
      resourceSpans(r, r.lenEnd(buf.length), out, d, `resourceSpans[${index++}]`);
    } else r.skip(tag & 7, buf.length);
  }
  return out;
}
