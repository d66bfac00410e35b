/**
 * Turns request models (arbitraries.ts) into bytes on the wire, with ids made
 * unique per case, and records what was sent: one entry per span, with the
 * key it must be found under once acknowledged.
 *
 * Protobuf goes through the repo's own proto definitions (protobufjs, see
 * src/receivers/otlp/proto-root.ts) or through the hand encoder below when
 * the model holds bytes protobufjs cannot write (invalid UTF-8) or nesting it
 * would recurse on; a property in ingest.fuzz.test.ts proves that both agree.
 */
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { ExportTraceServiceRequest } from '../../src/receivers/otlp/proto-root.js';
import type {
  AV, Attrs, CaseM, Field, FieldV, IdSpec, IngestReqM, JV, KV, NId, OtlpReqM, OtlpSpanM, ReqM, SpanEntryM, Str, Tok, ToolReqM,
} from './arbitraries.js';

export type Route = 'otlp-http-protobuf' | 'otlp-http-json' | 'otlp-grpc' | 'native-ingest' | 'native-tool-spans';

/** Where an acknowledged span must be found. */
export interface SpanKey {
  project: string;
  traceId: string;
  spanId: string;
}
/** A ToolCallSpan sent without span_id (and maybe without trace_id): the server derives its ids from its content. */
export interface DerivedKey {
  project: string;
  traceId: string | null;
  spanId: string | null;
  serverName: string;
  /** started_at as sent: spans without a trace_id are looked up by their start time. */
  startedAt: unknown;
  /** What the derived id depends on: two entries with the same identity are one span. */
  identity: string;
}
export interface SentEntry {
  /** `resourceSpans[0].scopeSpans[0].spans[2]` (OTLP, as the server names rejected spans) or `spans[2]` (native). */
  where: string;
  key: SpanKey | null;
  derived?: DerivedKey;
}

export interface BuiltRequest {
  route: Route;
  path: string;
  headers: Record<string, string>;
  /** As sent (gzipped when `gzip`). */
  body: Buffer;
  /** Before gzip (for repro output). */
  plain: Buffer;
  gzip: boolean;
  entries: SentEntry[];
  /** The body was broken on purpose: a 400 is expected, a 200 cannot be checked span by span. */
  malformed: boolean;
  /** Native: the JSON value the server will parse (null when it is not JSON). */
  parsed?: unknown;
  /** Protobuf: which encoder produced the body. */
  encoder?: 'protobufjs' | 'hand';
}

// ------------------------------------------------------------------ strings

export function strValue(s: Str): string {
  if (s.k === 's') return s.v;
  if (s.k === 'big') return s.ch.repeat(s.n);
  return s.pre + Buffer.from(s.bytes).toString('utf8') + s.post;
}
function strBytes(s: Str): Buffer {
  if (s.k === 's') return Buffer.from(s.v, 'utf8');
  if (s.k === 'big') return Buffer.from(s.ch.repeat(s.n), 'utf8');
  return Buffer.concat([Buffer.from(s.pre, 'utf8'), Buffer.from(s.bytes), Buffer.from(s.post, 'utf8')]);
}
const hasRaw = (s: Str | null | undefined) => s?.k === 'raw';

/** Text that can sit in a URL or be compared with what the server returns (lone surrogates become U+FFFD). */
export const wellFormed = (s: string) => s.toWellFormed();

/** JSON text written in parts so that raw (non-UTF-8) bytes can sit inside strings. */
class JsonOut {
  private parts: Buffer[] = [];
  private cur = '';
  /** A disabled writer ignores everything (when only the protobuf body is wanted). */
  constructor(private readonly enabled = true) {}
  raw(text: string): this {
    if (this.enabled) this.cur += text;
    return this;
  }
  str(s: Str): this {
    if (!this.enabled) return this;
    if (s.k === 's') return this.raw(JSON.stringify(s.v));
    if (s.k === 'big') return this.raw(`"${JSON.stringify(s.ch).slice(1, -1).repeat(s.n)}"`);
    this.raw(JSON.stringify(s.pre).slice(0, -1));
    this.flush();
    this.parts.push(Buffer.from(s.bytes));
    return this.raw(JSON.stringify(s.post).slice(1));
  }
  tok(t: Tok): this {
    return this.raw(t.quoted ? JSON.stringify(t.text) : t.text);
  }
  private flush(): void {
    if (this.cur) this.parts.push(Buffer.from(this.cur, 'utf8'));
    this.cur = '';
  }
  buffer(): Buffer {
    this.flush();
    return Buffer.concat(this.parts);
  }
}

// ------------------------------------------------------------- case state

/** Per-case id material: a nonce makes ids unique across cases, `pairs` lets later spans reuse earlier ids. */
export class CaseCtx {
  readonly pairs: Array<{ traceId: string; spanId: string; hex: boolean }> = [];
  private spanCounter = 0;
  constructor(readonly nonce: number) {}
  traceHex(slot: number): string {
    return `f0e1${this.nonce.toString(16).padStart(12, '0')}${(slot + 1).toString(16).padStart(16, '0')}`;
  }
  nextSpanHex(): string {
    return `${this.nonce.toString(16).padStart(8, '0')}${(++this.spanCounter).toString(16).padStart(8, '0')}`;
  }
  unknownSpanHex(): string {
    return `${this.nonce.toString(16).padStart(8, '0')}ffff${(++this.spanCounter).toString(16).padStart(4, '0')}`;
  }
  nativeId(id: NId, kind: string): string | null {
    if (id.k === 'exact') return id.v;
    if (id.k === 'json') return null;
    const base = `fz${this.nonce}-${kind}${id.slot}`;
    return base + id.suffix.slice(0, Math.max(0, 128 - base.length));
  }
}

// ------------------------------------------------------------ OTLP ids

type IdOut = { json: Tok | 'omit' | 'null'; pb: Buffer | null; hex: string | null };

function otlpId(spec: IdSpec, bytes: number, fresh: () => string): IdOut {
  const n = bytes * 2;
  if (spec.k === 'fresh') {
    const h = fresh();
    return { json: { text: h, quoted: true }, pb: Buffer.from(h, 'hex'), hex: h };
  }
  switch (spec.v) {
    case 'missing': return { json: 'omit', pb: null, hex: null };
    case 'empty': return { json: { text: '', quoted: true }, pb: Buffer.alloc(0), hex: null };
    case 'zeros': return { json: { text: '0'.repeat(n), quoted: true }, pb: Buffer.alloc(bytes), hex: null };
    case 'short': return { json: { text: 'ab'.repeat(bytes - 1), quoted: true }, pb: Buffer.alloc(bytes - 1, 0xab), hex: null };
    case 'long': return { json: { text: 'ab'.repeat(bytes + 1), quoted: true }, pb: Buffer.alloc(bytes + 1, 0xab), hex: null };
    case 'nonhex': return { json: { text: 'zz'.repeat(bytes), quoted: true }, pb: Buffer.alloc(3, 0x7a), hex: null };
    case 'upper': {
      const h = fresh();
      return { json: { text: h.toUpperCase(), quoted: true }, pb: Buffer.from(h, 'hex'), hex: h };
    }
    case 'number': return { json: { text: '12345', quoted: false }, pb: null, hex: null };
    case 'null': return { json: 'null', pb: null, hex: null };
  }
}

interface SpanIds {
  trace: IdOut;
  span: IdOut;
  parent: IdOut;
}

function spanIds(m: OtlpSpanM, ctx: CaseCtx, prevSpanHex: string | null): SpanIds {
  let trace: IdOut;
  let span: IdOut;
  const hexPairs = ctx.pairs.filter((p) => p.hex);
  if (m.dupOf !== null && hexPairs.length > 0) {
    const p = hexPairs[m.dupOf % hexPairs.length];
    trace = { json: { text: p.traceId, quoted: true }, pb: Buffer.from(p.traceId, 'hex'), hex: p.traceId };
    span = { json: { text: p.spanId, quoted: true }, pb: Buffer.from(p.spanId, 'hex'), hex: p.spanId };
  } else {
    trace = otlpId(m.trace, 16, () => ctx.traceHex(m.trace.k === 'fresh' ? m.trace.slot : 0));
    span = otlpId(m.span, 8, () => ctx.nextSpanHex());
  }
  let parent: IdOut;
  if (m.parent === 'root') parent = { json: 'omit', pb: null, hex: null };
  else if (m.parent === 'prev') {
    parent = prevSpanHex ? { json: { text: prevSpanHex, quoted: true }, pb: Buffer.from(prevSpanHex, 'hex'), hex: prevSpanHex } : { json: 'omit', pb: null, hex: null };
  } else parent = otlpId(m.parent, 8, () => ctx.unknownSpanHex());
  return { trace, span, parent };
}

/** A rough upper bound of a model's encoded size (huge strings, filler attributes and deep nesting dominate). */
function estimateBytes(m: unknown): number {
  let total = 200;
  const stack: unknown[] = [m];
  while (stack.length > 0) {
    const x = stack.pop() as any;
    if (!x || typeof x !== 'object') continue;
    if (x.k === 'big' && typeof x.ch === 'string') total += x.n * 6 * Buffer.byteLength(x.ch);
    else if (x.k === 'deep' && typeof x.depth === 'number') total += x.depth * 40;
    if (typeof x.many === 'number') total += x.many * 60;
    for (const v of Object.values(x)) if (v && typeof v === 'object') stack.push(v);
  }
  return total;
}

// ---------------------------------------------------------- OTLP / JSON

function jsonAnyValue(o: JsonOut, v: AV): void {
  switch (v.k) {
    case 'str': o.raw('{"stringValue":').str(v.s).raw('}'); return;
    case 'bool': o.raw(`{"boolValue":${v.v}}`); return;
    case 'int': o.raw('{"intValue":').tok(v.t).raw('}'); return;
    case 'dbl': o.raw('{"doubleValue":').tok(v.t).raw('}'); return;
    case 'bytes': o.raw(`{"bytesValue":${JSON.stringify(Buffer.from(v.b).toString('base64'))}}`); return;
    case 'arr':
      o.raw('{"arrayValue":{"values":[');
      v.items.forEach((x, i) => {
        if (i) o.raw(',');
        jsonAnyValue(o, x);
      });
      o.raw(']}}');
      return;
    case 'kvl':
      o.raw('{"kvlistValue":{"values":');
      jsonKeyValues(o, v.items);
      o.raw('}}');
      return;
    case 'deep': {
      const open = v.via === 'arr' ? '{"arrayValue":{"values":[' : '{"kvlistValue":{"values":[{"key":"k","value":';
      const close = v.via === 'arr' ? ']}}' : '}]}}';
      o.raw(open.repeat(v.depth));
      jsonAnyValue(o, v.leaf);
      o.raw(close.repeat(v.depth));
      return;
    }
    case 'empty': o.raw('{}'); return;
    case 'odd': o.raw(v.json); return;
  }
}

function jsonKeyValues(o: JsonOut, list: KV[], many = 0): void {
  o.raw('[');
  let first = true;
  for (const kv of list) {
    if (!first) o.raw(',');
    first = false;
    o.raw('{"key":').str(kv.key);
    if (kv.value) {
      o.raw(',"value":');
      jsonAnyValue(o, kv.value);
    }
    o.raw('}');
  }
  for (let i = 0; i < many; i++) {
    if (!first) o.raw(',');
    first = false;
    o.raw(`{"key":"fz.attr.${i}","value":{"intValue":"${i}"}}`);
  }
  o.raw(']');
}
const jsonAttrs = (o: JsonOut, a: Attrs) => jsonKeyValues(o, a.list, a.many);

function jsonField(o: JsonOut, first: { v: boolean }, name: string, write: () => void): void {
  o.raw(first.v ? '' : ',').raw(JSON.stringify(name)).raw(':');
  first.v = false;
  write();
}
function jsonId(o: JsonOut, first: { v: boolean }, name: string, id: IdOut): void {
  if (id.json === 'omit') return;
  const j = id.json;
  jsonField(o, first, name, () => (j === 'null' ? o.raw('null') : o.tok(j)));
}

function jsonSpan(o: JsonOut, m: OtlpSpanM, ids: SpanIds): void {
  const f = { v: true };
  o.raw('{');
  jsonId(o, f, 'traceId', ids.trace);
  jsonId(o, f, 'spanId', ids.span);
  jsonId(o, f, 'parentSpanId', ids.parent);
  if (m.name) jsonField(o, f, 'name', () => o.str(m.name!));
  if (m.kind) jsonField(o, f, 'kind', () => o.tok(m.kind!));
  if (m.start) jsonField(o, f, 'startTimeUnixNano', () => o.tok(m.start!));
  if (m.end) jsonField(o, f, 'endTimeUnixNano', () => o.tok(m.end!));
  jsonField(o, f, 'attributes', () => jsonAttrs(o, m.attrs));
  if (m.events.length) {
    jsonField(o, f, 'events', () => {
      o.raw('[');
      m.events.forEach((e, i) => {
        o.raw(i ? ',{' : '{');
        const g = { v: true };
        if (e.time) jsonField(o, g, 'timeUnixNano', () => o.tok(e.time!));
        if (e.name) jsonField(o, g, 'name', () => o.str(e.name!));
        jsonField(o, g, 'attributes', () => jsonAttrs(o, e.attrs));
        o.raw('}');
      });
      o.raw(']');
    });
  }
  if (m.links.length) {
    jsonField(o, f, 'links', () => {
      o.raw('[');
      m.links.forEach((l, i) => {
        o.raw(i ? ',{' : '{');
        const g = { v: true };
        jsonId(o, g, 'traceId', linkIds(l.trace, 16));
        jsonId(o, g, 'spanId', linkIds(l.span, 8));
        jsonField(o, g, 'attributes', () => jsonAttrs(o, l.attrs));
        o.raw('}');
      });
      o.raw(']');
    });
  }
  if (m.status) {
    const st = m.status;
    jsonField(o, f, 'status', () => {
      o.raw('{');
      const g = { v: true };
      if (st.code) jsonField(o, g, 'code', () => o.tok(st.code!));
      if (st.message) jsonField(o, g, 'message', () => o.str(st.message!));
      o.raw('}');
    });
  }
  if (m.unknownFields) {
    jsonField(o, f, 'traceState', () => o.raw('"weird=1,,=="'));
    jsonField(o, f, 'droppedAttributesCount', () => o.raw('4294967295'));
    jsonField(o, f, 'flags', () => o.raw('4294967295'));
    jsonField(o, f, 'fuzzUnknown', () => o.raw('{"a":[1,{"b":null}]}'));
  }
  o.raw('}');
}

/** Link ids are never shared with spans: a fixed valid pattern or the odd value. */
function linkIds(spec: IdSpec, bytes: number): IdOut {
  return otlpId(spec, bytes, () => (bytes === 16 ? 'abcdef0123456789abcdef0123456789' : '0123456789abcdef'));
}

// ------------------------------------------------------- OTLP / protobuf

function varint(v: bigint): Buffer {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x > 0x7fn) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return Buffer.from(out);
}
const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));
const ld = (field: number, payload: Buffer) => Buffer.concat([tag(field, 2), varint(BigInt(payload.length)), payload]);
function fixed64(field: number, v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return Buffer.concat([tag(field, 1), b]);
}
function double(field: number, d: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return Buffer.concat([tag(field, 1), b]);
}

/** int64 two's complement bits of a token (out-of-range decimal texts wrap, like a C cast). */
export function tokInt64(t: Tok): bigint {
  if (/^-?\d+$/.test(t.text)) return BigInt.asIntN(64, BigInt(t.text));
  const n = Number(t.text);
  return Number.isFinite(n) ? BigInt.asIntN(64, BigInt(Math.trunc(n))) : 0n;
}
/** fixed64 nanoseconds of a timestamp token (negative and huge texts wrap to 64 bits). */
export function tokU64(t: Tok): bigint {
  if (/^-?\d+$/.test(t.text)) return BigInt.asUintN(64, BigInt(t.text));
  const n = Number(t.text);
  return Number.isFinite(n) ? BigInt.asUintN(64, BigInt(Math.trunc(n))) : 0n;
}
const tokDouble = (t: Tok) => Number(t.text);
const KIND_NAMES: Record<string, number> = { SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 };
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
function tokEnum(t: Tok, names: Record<string, number>): number {
  if (t.quoted) return Object.prototype.hasOwnProperty.call(names, t.text) ? names[t.text] : 0;
  const n = Number(t.text);
  return Number.isFinite(n) ? Math.trunc(n) | 0 : 0;
}

function pbAnyValue(v: AV): Buffer {
  switch (v.k) {
    case 'str': return ld(1, strBytes(v.s));
    case 'bool': return Buffer.concat([tag(2, 0), varint(v.v ? 1n : 0n)]);
    case 'int': return Buffer.concat([tag(3, 0), varint(tokInt64(v.t))]);
    case 'dbl': return double(4, tokDouble(v.t));
    case 'bytes': return ld(7, Buffer.from(v.b));
    case 'arr': return ld(5, Buffer.concat(v.items.map((x) => ld(1, pbAnyValue(x)))));
    case 'kvl': return ld(6, Buffer.concat(v.items.map((kv) => ld(1, pbKeyValue(kv)))));
    case 'deep': return pbDeep(v.depth, v.via, pbAnyValue(v.leaf));
    case 'empty':
    case 'odd':
      return Buffer.alloc(0);
  }
}

/** `depth` AnyValue wrappers around `leaf`, without recursion and with one copy (100000 levels is ~1 MB). */
function pbDeep(depth: number, via: 'arr' | 'kvl', leaf: Buffer): Buffer {
  const prefixes: Buffer[] = [];
  let len = leaf.length;
  const key = ld(1, Buffer.from('k'));
  for (let i = 0; i < depth; i++) {
    let p: Buffer;
    if (via === 'arr') {
      const arr = Buffer.concat([tag(1, 2), varint(BigInt(len))]); // ArrayValue.values
      p = Buffer.concat([tag(5, 2), varint(BigInt(len + arr.length)), arr]);
    } else {
      const kvValue = Buffer.concat([key, tag(2, 2), varint(BigInt(len))]); // KeyValue{key, value}
      const list = Buffer.concat([tag(1, 2), varint(BigInt(len + kvValue.length))]); // KeyValueList.values
      p = Buffer.concat([tag(6, 2), varint(BigInt(len + kvValue.length + list.length)), list, kvValue]);
    }
    len += p.length;
    prefixes.push(p);
  }
  prefixes.reverse();
  prefixes.push(leaf);
  return Buffer.concat(prefixes, len);
}

function pbKeyValue(kv: KV): Buffer {
  return Buffer.concat([ld(1, strBytes(kv.key)), kv.value ? ld(2, pbAnyValue(kv.value)) : Buffer.alloc(0)]);
}
function pbAttrs(field: number, a: Attrs): Buffer {
  const parts = a.list.map((kv) => ld(field, pbKeyValue(kv)));
  for (let i = 0; i < a.many; i++) {
    parts.push(ld(field, Buffer.concat([ld(1, Buffer.from(`fz.attr.${i}`)), ld(2, Buffer.concat([tag(3, 0), varint(BigInt(i))]))])));
  }
  return Buffer.concat(parts);
}

function pbSpan(m: OtlpSpanM, ids: SpanIds): Buffer {
  const parts: Buffer[] = [];
  if (ids.trace.pb) parts.push(ld(1, ids.trace.pb));
  if (ids.span.pb) parts.push(ld(2, ids.span.pb));
  if (m.unknownFields) parts.push(ld(3, Buffer.from('weird=1,,==')));
  if (ids.parent.pb) parts.push(ld(4, ids.parent.pb));
  if (m.name) parts.push(ld(5, strBytes(m.name)));
  if (m.kind) parts.push(tag(6, 0), varint(BigInt(tokEnum(m.kind, KIND_NAMES))));
  if (m.start) parts.push(fixed64(7, tokU64(m.start)));
  if (m.end) parts.push(fixed64(8, tokU64(m.end)));
  parts.push(pbAttrs(9, m.attrs));
  if (m.unknownFields) parts.push(tag(10, 0), varint(4294967295n));
  for (const e of m.events) {
    parts.push(ld(11, Buffer.concat([e.time ? fixed64(1, tokU64(e.time)) : Buffer.alloc(0), e.name ? ld(2, strBytes(e.name)) : Buffer.alloc(0), pbAttrs(3, e.attrs)])));
  }
  for (const l of m.links) {
    const t = linkIds(l.trace, 16).pb;
    const s = linkIds(l.span, 8).pb;
    parts.push(ld(13, Buffer.concat([t ? ld(1, t) : Buffer.alloc(0), s ? ld(2, s) : Buffer.alloc(0), pbAttrs(4, l.attrs)])));
  }
  if (m.status) {
    const st = m.status;
    parts.push(ld(15, Buffer.concat([st.message ? ld(2, strBytes(st.message)) : Buffer.alloc(0), st.code ? Buffer.concat([tag(3, 0), varint(BigInt(tokEnum(st.code, STATUS_NAMES)))]) : Buffer.alloc(0)])));
  }
  if (m.unknownFields) {
    const f = Buffer.alloc(4);
    f.writeUInt32LE(0xffffffff);
    parts.push(tag(16, 5), f, tag(99, 0), varint(1n), ld(100, Buffer.from('unknown')));
  }
  return Buffer.concat(parts);
}

// protobufjs: the same model as plain objects for ExportTraceServiceRequest.fromObject.
const Long = protobuf.util.Long as unknown as { fromString(s: string, unsigned?: boolean): unknown };

function pjsAnyValue(v: AV): Record<string, unknown> {
  switch (v.k) {
    case 'str': return { stringValue: strValue(v.s) };
    case 'bool': return { boolValue: v.v };
    case 'int': return { intValue: Long.fromString(String(tokInt64(v.t)), false) };
    case 'dbl': return { doubleValue: tokDouble(v.t) };
    case 'bytes': return { bytesValue: Buffer.from(v.b) };
    case 'arr': return { arrayValue: { values: v.items.map(pjsAnyValue) } };
    case 'kvl': return { kvlistValue: { values: v.items.map(pjsKeyValue) } };
    case 'deep': {
      let inner = pjsAnyValue(v.leaf);
      for (let i = 0; i < v.depth; i++) {
        inner = v.via === 'arr' ? { arrayValue: { values: [inner] } } : { kvlistValue: { values: [{ key: 'k', value: inner }] } };
      }
      return inner;
    }
    case 'empty':
    case 'odd':
      return {};
  }
}
function pjsKeyValue(kv: KV): Record<string, unknown> {
  return kv.value ? { key: strValue(kv.key), value: pjsAnyValue(kv.value) } : { key: strValue(kv.key) };
}
function pjsAttrs(a: Attrs): unknown[] {
  const out = a.list.map(pjsKeyValue);
  for (let i = 0; i < a.many; i++) out.push({ key: `fz.attr.${i}`, value: { intValue: Long.fromString(String(i)) } });
  return out;
}
const u64 = (t: Tok) => Long.fromString(String(tokU64(t)), true);

function pjsSpan(m: OtlpSpanM, ids: SpanIds): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (ids.trace.pb) o.traceId = ids.trace.pb;
  if (ids.span.pb) o.spanId = ids.span.pb;
  if (m.unknownFields) o.traceState = 'weird=1,,==';
  if (ids.parent.pb) o.parentSpanId = ids.parent.pb;
  if (m.name) o.name = strValue(m.name);
  if (m.kind) o.kind = tokEnum(m.kind, KIND_NAMES);
  if (m.start) o.startTimeUnixNano = u64(m.start);
  if (m.end) o.endTimeUnixNano = u64(m.end);
  o.attributes = pjsAttrs(m.attrs);
  if (m.unknownFields) o.droppedAttributesCount = 4294967295;
  o.events = m.events.map((e) => ({
    ...(e.time ? { timeUnixNano: u64(e.time) } : {}),
    ...(e.name ? { name: strValue(e.name) } : {}),
    attributes: pjsAttrs(e.attrs),
  }));
  o.links = m.links.map((l) => {
    const t = linkIds(l.trace, 16).pb;
    const s = linkIds(l.span, 8).pb;
    return { ...(t ? { traceId: t } : {}), ...(s ? { spanId: s } : {}), attributes: pjsAttrs(l.attrs) };
  });
  if (m.status) {
    o.status = {
      ...(m.status.message ? { message: strValue(m.status.message) } : {}),
      ...(m.status.code ? { code: tokEnum(m.status.code, STATUS_NAMES) } : {}),
    };
  }
  if (m.unknownFields) o.flags = 0xffffffff;
  return o;
}

/** protobufjs can carry neither invalid UTF-8 nor deep nesting (fromObject/decode stop at 100 nested messages). */
export function protobufjsCanEncode(req: OtlpReqM): boolean {
  let ok = true;
  const avOk = (v: AV | null): boolean => {
    if (!v) return true;
    if (v.k === 'str') return !hasRaw(v.s);
    if (v.k === 'arr') return v.items.every(avOk);
    if (v.k === 'kvl') return v.items.every(kvOk);
    if (v.k === 'deep') return v.depth <= 40 && avOk(v.leaf); // protobufjs recursionLimit 100 (messages), two per level
    return true;
  };
  const kvOk = (kv: KV) => !hasRaw(kv.key) && avOk(kv.value);
  const attrsOk = (a: Attrs) => a.list.every(kvOk);
  for (const r of req.resources) {
    ok &&= attrsOk(r.attrs);
    for (const s of r.scopes) {
      ok &&= !hasRaw(s.name) && !hasRaw(s.version) && attrsOk(s.attrs);
      for (const sp of s.spans) {
        if (sp.k !== 'span') continue;
        ok &&= !hasRaw(sp.name) && attrsOk(sp.attrs) && !hasRaw(sp.status?.message) && sp.events.every((e) => !hasRaw(e.name) && attrsOk(e.attrs)) && sp.links.every((l) => attrsOk(l.attrs));
      }
    }
  }
  return ok;
}

/** The OTLP request as protobuf (either encoder) and as JSON, plus what was sent; ids are drawn from `ctx`. */
export function encodeOtlp(
  req: OtlpReqM,
  ctx: CaseCtx,
  forceEncoder?: 'protobufjs' | 'hand',
  want: 'json' | 'protobuf' | 'both' = 'both',
): { pb: Buffer; json: Buffer; entries: SentEntry[]; encoder: 'protobufjs' | 'hand' } {
  const encoder = forceEncoder ?? (req.encoder === 'protobufjs' && protobufjsCanEncode(req) ? 'protobufjs' : 'hand');
  const P = want !== 'json';
  const hand = P && encoder === 'hand';
  const pjs = P && encoder === 'protobufjs';
  const entries: SentEntry[] = [];
  const json = new JsonOut(want !== 'protobuf');
  const pbResources: Buffer[] = [];
  const pjsResources: unknown[] = [];
  json.raw('{"resourceSpans":[');
  req.resources.forEach((res, r) => {
    json.raw(r ? ',{' : '{').raw('"resource":{"attributes":');
    jsonAttrs(json, res.attrs);
    json.raw('},"scopeSpans":[');
    const pbScopes: Buffer[] = [];
    const pjsScopes: unknown[] = [];
    res.scopes.forEach((sc, s) => {
      json.raw(s ? ',{' : '{').raw('"scope":{');
      const f = { v: true };
      if (sc.name) jsonField(json, f, 'name', () => json.str(sc.name!));
      if (sc.version) jsonField(json, f, 'version', () => json.str(sc.version!));
      jsonField(json, f, 'attributes', () => jsonAttrs(json, sc.attrs));
      json.raw('},"spans":[');
      const pbSpans: Buffer[] = [];
      const pjsSpans: unknown[] = [];
      let prev: string | null = null;
      const flat: SpanEntryM[] = sc.spans.flatMap((e): SpanEntryM[] => {
        if (e.k !== 'span' || !e.copies) return [e];
        const tokens = e.copies.tokens;
        const attrs = tokens === null ? e.attrs : {
          ...e.attrs,
          list: [{ key: { k: 's', v: 'gen_ai.operation.name' }, value: { k: 'str', s: { k: 's', v: 'chat' } } }, { key: { k: 's', v: 'gen_ai.usage.input_tokens' }, value: { k: 'int', t: { text: tokens, quoted: true } } }, ...e.attrs.list] as KV[],
        };
        // Keep the request well under the 16 MiB body limit however heavy the copied span is.
        const n = Math.max(1, Math.min(e.copies.n, Math.floor(4_000_000 / estimateBytes(e))));
        return Array.from({ length: n }, (_, c) => ({ ...e, attrs, copies: null, dupOf: c === 0 ? e.dupOf : null, parent: c === 0 ? e.parent : 'prev' as const }));
      });
      flat.forEach((entry: SpanEntryM, i) => {
        const where = `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
        if (i) json.raw(',');
        if (entry.k === 'notSpan') {
          json.raw(entry.json);
          if (hand) pbSpans.push(ld(2, Buffer.alloc(0)));
          if (pjs) pjsSpans.push({});
          entries.push({ where, key: null });
          return;
        }
        const ids = spanIds(entry, ctx, prev);
        jsonSpan(json, entry, ids);
        if (hand) pbSpans.push(ld(2, pbSpan(entry, ids)));
        if (pjs) pjsSpans.push(pjsSpan(entry, ids));
        const key = ids.trace.hex && ids.span.hex ? { project: 'default', traceId: ids.trace.hex, spanId: ids.span.hex } : null;
        entries.push({ where, key });
        if (key) {
          ctx.pairs.push({ traceId: key.traceId, spanId: key.spanId, hex: true });
          prev = key.spanId;
        }
      });
      json.raw(']}');
      if (hand) {
        const scope = Buffer.concat([sc.name ? ld(1, strBytes(sc.name)) : Buffer.alloc(0), sc.version ? ld(2, strBytes(sc.version)) : Buffer.alloc(0), pbAttrs(3, sc.attrs)]);
        pbScopes.push(ld(2, Buffer.concat([ld(1, scope), ...pbSpans])));
      }
      if (pjs) {
        pjsScopes.push({
          scope: { ...(sc.name ? { name: strValue(sc.name) } : {}), ...(sc.version ? { version: strValue(sc.version) } : {}), attributes: pjsAttrs(sc.attrs) },
          spans: pjsSpans,
        });
      }
    });
    json.raw(']}');
    if (hand) pbResources.push(ld(1, Buffer.concat([ld(1, pbAttrs(1, res.attrs)), ...pbScopes])));
    if (pjs) pjsResources.push({ resource: { attributes: pjsAttrs(res.attrs) }, scopeSpans: pjsScopes });
  });
  json.raw(']}');
  const pb = pjs
    ? Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({ resourceSpans: pjsResources })).finish())
    : Buffer.concat(pbResources);
  return { pb, json: json.buffer(), entries, encoder };
}

// --------------------------------------------------------------- native

function jsonValue(o: JsonOut, v: JV): void {
  switch (v.k) {
    case 'str': o.str(v.s); return;
    case 'num': o.raw(v.text); return;
    case 'bool': o.raw(String(v.v)); return;
    case 'null': o.raw('null'); return;
    case 'arr':
      o.raw('[');
      v.items.forEach((x, i) => {
        if (i) o.raw(',');
        jsonValue(o, x);
      });
      o.raw(']');
      return;
    case 'obj':
      o.raw('{');
      v.entries.forEach(([k, x], i) => {
        if (i) o.raw(',');
        o.str(k).raw(':');
        jsonValue(o, x);
      });
      o.raw('}');
      return;
    case 'deep':
      o.raw((v.via === 'arr' ? '[' : '{"d":').repeat(v.depth));
      jsonValue(o, v.leaf);
      o.raw((v.via === 'arr' ? ']' : '}').repeat(v.depth));
      return;
  }
}

function fieldValue(o: JsonOut, v: FieldV, ctx: CaseCtx, idKind: string): void {
  switch (v.k) {
    case 'tok': o.tok(v.t); return;
    case 'str': o.str(v.s); return;
    case 'id': {
      const s = ctx.nativeId(v.id, idKind);
      if (s === null) o.raw((v.id as { json: string }).json);
      else o.raw(JSON.stringify(s));
      return;
    }
    case 'jv': jsonValue(o, v.v); return;
    case 'obj': jsonObject(o, v.fields, ctx); return;
    case 'raw': o.raw(v.json); return;
  }
}

const ID_KIND: Record<string, string> = { traceId: 't', trace_id: 't', spanId: 's', span_id: 's', parentSpanId: 's', parent_span_id: 's', projectId: 'p', project_id: 'p' };

function jsonObject(o: JsonOut, fields: Field[], ctx: CaseCtx, override?: Record<string, string>): void {
  o.raw('{');
  let first = true;
  const done = new Set<string>();
  for (const [name, v] of fields) {
    o.raw(first ? '' : ',').raw(JSON.stringify(name)).raw(':');
    first = false;
    if (override && Object.prototype.hasOwnProperty.call(override, name) && !done.has(name)) {
      o.raw(JSON.stringify(override[name]));
      done.add(name);
    } else fieldValue(o, v, ctx, ID_KIND[name] ?? 'x');
  }
  if (override) {
    for (const [name, value] of Object.entries(override)) {
      if (done.has(name)) continue;
      o.raw(first ? '' : ',').raw(JSON.stringify(name)).raw(':').raw(JSON.stringify(value));
      first = false;
    }
  }
  o.raw('}');
}

/** ids of an earlier span, for a native span that repeats one (`dupOf`). */
function dupOverride(dupOf: number | null, ctx: CaseCtx, names: [string, string]): Record<string, string> | undefined {
  if (dupOf === null || ctx.pairs.length === 0) return undefined;
  const p = ctx.pairs[dupOf % ctx.pairs.length];
  return { [names[0]]: p.traceId, [names[1]]: p.spanId };
}

function parseLikeServer(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function encodeIngest(req: IngestReqM, ctx: CaseCtx): { body: Buffer; entries: SentEntry[]; parsed: unknown; malformed: boolean } {
  const o = new JsonOut();
  if (req.junk !== null) o.raw(req.junk);
  else {
    o.raw('{"spans":[');
    req.spans.forEach((s, i) => {
      if (i) o.raw(',');
      jsonObject(o, s.fields, ctx, dupOverride(s.dupOf, ctx, ['traceId', 'spanId']));
    });
    o.raw(']');
    if (req.projectId) {
      o.raw(',"projectId":');
      fieldValue(o, req.projectId, ctx, 'p');
    }
    o.raw('}');
  }
  const body = o.buffer();
  const parsed = parseLikeServer(body);
  const entries: SentEntry[] = [];
  const p = parsed as { spans?: unknown; projectId?: unknown } | null | undefined;
  if (p && typeof p === 'object' && Array.isArray(p.spans)) {
    const project = nonEmptyString(p.projectId) ? p.projectId : 'default';
    p.spans.forEach((s: any, i: number) => {
      const ok = s && typeof s === 'object' && typeof s.traceId === 'string' && typeof s.spanId === 'string';
      entries.push({ where: `spans[${i}]`, key: ok ? { project, traceId: s.traceId, spanId: s.spanId } : null });
      if (ok) ctx.pairs.push({ traceId: s.traceId, spanId: s.spanId, hex: /^[0-9a-f]{32}$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId) });
    });
  }
  return { body, entries, parsed, malformed: parsed === undefined };
}

function encodeTool(req: ToolReqM, ctx: CaseCtx): { body: Buffer; entries: SentEntry[]; parsed: unknown; malformed: boolean } {
  const o = new JsonOut();
  if (req.junk !== null) o.raw(req.junk);
  else {
    o.raw(req.wrapped ? '{"spans":[' : '[');
    req.spans.forEach((s, i) => {
      if (i) o.raw(',');
      jsonObject(o, s.fields, ctx, dupOverride(s.dupOf, ctx, ['trace_id', 'span_id']));
    });
    o.raw(req.wrapped ? ']}' : ']');
  }
  const body = o.buffer();
  const parsed = parseLikeServer(body);
  const list = Array.isArray(parsed) ? parsed : parsed && typeof parsed === 'object' && Array.isArray((parsed as any).spans) ? (parsed as any).spans : null;
  const entries: SentEntry[] = [];
  if (list) {
    list.forEach((s: any, i: number) => {
      const where = Array.isArray(parsed) ? `[${i}]` : `spans[${i}]`;
      if (!s || typeof s !== 'object') return entries.push({ where, key: null });
      const project = nonEmptyString(s.project_id) ? s.project_id : 'default';
      const traceId = typeof s.trace_id === 'string' ? s.trace_id : null;
      const spanId = typeof s.span_id === 'string' ? s.span_id : null;
      if (traceId !== null && spanId !== null) {
        ctx.pairs.push({ traceId, spanId, hex: /^[0-9a-f]{32}$/.test(traceId) && /^[0-9a-f]{16}$/.test(spanId) });
        return entries.push({ where, key: { project, traceId, spanId } });
      }
      if (typeof s.server_name !== 'string') return entries.push({ where, key: null });
      // span_id derived from (trace, server, tool, started_at); trace_id, when absent, from (session, agent, server, tool, started_at).
      const identity = JSON.stringify(traceId !== null
        ? [traceId, spanId, s.server_name, s.tool_name, s.started_at]
        : [s.session_id ?? null, s.agent_name ?? null, spanId, s.server_name, s.tool_name, s.started_at]);
      return entries.push({ where, key: null, derived: { project, traceId, spanId, serverName: s.server_name, startedAt: s.started_at, identity } });
    });
  }
  return { body, entries, parsed, malformed: parsed === undefined };
}

// ----------------------------------------------------------- a whole case

const ROUTE_OF: Record<OtlpReqM['transport'], Route> = { 'http-protobuf': 'otlp-http-protobuf', 'http-json': 'otlp-http-json', grpc: 'otlp-grpc' };

function malform(body: Buffer, how: OtlpReqM['malform']): Buffer {
  if (how === 'truncate') return body.subarray(0, Math.floor(body.length * 0.7));
  if (how === 'trailing') return Buffer.concat([body, Buffer.from([0x7d, 0xff, 0x0a, 0x05, 0xff])]);
  return body;
}

export function buildRequest(req: ReqM, ctx: CaseCtx): BuiltRequest {
  const gz = (b: Buffer) => (req.gzip ? gzipSync(b) : b);
  const enc: Record<string, string> = req.gzip ? { 'content-encoding': 'gzip' } : {};
  if (req.k === 'otlp') {
    const isJson = req.transport === 'http-json';
    const { pb, json, entries, encoder } = encodeOtlp(req, ctx, undefined, isJson ? 'json' : 'protobuf');
    const route = ROUTE_OF[req.transport];
    const plain = malform(isJson ? json : pb, req.malform);
    return {
      route,
      path: req.transport === 'grpc' ? '/opentelemetry.proto.collector.trace.v1.TraceService/Export' : req.path,
      headers: { 'content-type': isJson ? 'application/json' : 'application/x-protobuf', ...enc },
      body: req.transport === 'grpc' ? plain : gz(plain),
      plain,
      gzip: req.gzip,
      entries,
      malformed: req.malform !== null,
      encoder: isJson ? undefined : encoder,
    };
  }
  const built = req.k === 'ingest' ? encodeIngest(req, ctx) : encodeTool(req, ctx);
  return {
    route: req.k === 'ingest' ? 'native-ingest' : 'native-tool-spans',
    path: req.k === 'ingest' ? '/api/ingest' : '/api/traces/spans',
    headers: { 'content-type': 'application/json', ...enc },
    body: gz(built.body),
    plain: built.body,
    gzip: req.gzip,
    entries: built.entries,
    malformed: built.malformed,
    parsed: built.parsed,
  };
}

export function buildCase(c: CaseM, nonce: number): BuiltRequest[] {
  const ctx = new CaseCtx(nonce);
  return c.reqs.map((r) => buildRequest(r, ctx));
}

// ------------------------------------------------------------- printing

/** A model as compact JSON: long strings cut, huge repeats and raw bytes spelled out. */
export function describe(v: unknown, max = 2000): string {
  const seen = JSON.stringify(v, (_k, x: any) => {
    if (typeof x === 'string' && x.length > 60) return `${x.slice(0, 40)}…(${x.length} chars)`;
    if (x && typeof x === 'object' && x.k === 'big' && typeof x.ch === 'string') return `<${JSON.stringify(x.ch)} x ${x.n}>`;
    if (x && typeof x === 'object' && x.k === 'raw' && Array.isArray(x.bytes)) return `<raw ${JSON.stringify(x.pre)}+${Buffer.from(x.bytes).toString('hex')}+${JSON.stringify(x.post)}>`;
    // Generated filler attributes: a count, not a thousand entries.
    if (Array.isArray(x) && x.length > 20) return [...x.slice(0, 8), `…(${x.length} items)`];
    return x;
  });
  return seen.length > max ? `${seen.slice(0, max)}…(${seen.length} chars)` : seen;
}

/** The first bytes of a body, printable (JSON as text, protobuf as hex). */
export function bodyPreview(b: BuiltRequest, max = 600): string {
  const isText = b.route !== 'otlp-http-protobuf' && b.route !== 'otlp-grpc';
  const s = isText ? b.plain.subarray(0, max * 2).toString('utf8') : b.plain.subarray(0, max / 2).toString('hex');
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return `${cut}${b.plain.length > max ? ` (${b.plain.length} bytes)` : ''}`;
}
