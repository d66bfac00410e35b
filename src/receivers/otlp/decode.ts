import type { OtlpSpanInput } from '../../model/otlp-span.js';
import type { AttrValue, Attributes, SpanEventRecord, SpanLinkRecord } from '../../model/span-record.js';
import { invalid } from '../../errors.js';
import { setOwn } from '../../model/attributes.js';
import { SpanProblem, rejectSpan, sharedPart } from './span-problem.js';
/** Decoded spans plus the ones refused individually (OTLP partial_success). */
export interface DecodedExport {
  spans: OtlpSpanInput[];
  rejected: number;
  /** Human-readable reasons for the first few rejections. */
  rejectMessages: string[];
}

export interface DecodeLimits {
  maxAttributeDepth: number;
}

const own = Object.prototype.hasOwnProperty;


const HEX_RE = /^[0-9a-fA-F]*$/;
const DIGITS_RE = /^\d+$/;

/**
 * How OTLP/JSON spells values (hex ids, int64 as strings or numbers, bytes as
 * base64, enums as integers or names). OTLP/protobuf has its own reader in
 * wire.ts.
 */
export const json = {
  id(v: unknown, bytes: number, field: string, optional: boolean): string | null {
    if (v == null || v === '') {
      if (optional) return null;
      throw new SpanProblem(`${field} is missing`);
    }
    if (typeof v !== 'string' || !HEX_RE.test(v)) throw new SpanProblem(`${field} must be a hex string`);
    if (v.length !== bytes * 2) throw new SpanProblem(`${field} must be ${bytes * 2} hex characters, got ${v.length}`);
    if (/^0+$/.test(v)) {
      if (optional) return null;
      throw new SpanProblem(`${field} is all zeroes`);
    }
    return v.toLowerCase();
  },
  micros(v: unknown): number {
    if (v == null) return 0;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v / 1000);
    // Nanosecond strings exceed 2^53; dropping the last three digits is exact.
    if (typeof v === 'string' && DIGITS_RE.test(v)) return v.length <= 3 ? 0 : Number(v.slice(0, -3));
    throw new SpanProblem(`timestamp must be an unsigned integer (number or decimal string), got ${JSON.stringify(v)}`);
  },
  int64(v: unknown): number | string {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && /^-?\d+$/.test(v)) {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    throw new SpanProblem(`intValue must be an integer, got ${JSON.stringify(v)}`);
  },
  bytes(v: unknown): string {
    if (typeof v !== 'string') throw new SpanProblem('bytesValue must be a base64 string');
    return v;
  },
  // JSON text may carry lone surrogates as \ud800 escapes; store well-formed text only.
  str(v: unknown): string {
    if (typeof v !== 'string') return v == null ? '' : String(v);
    return v.isWellFormed() ? v : v.toWellFormed();
  },
  enumValue(v: unknown, names: Record<string, number>): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && own.call(names, v)) return names[v];
    if (v == null) return 0;
    throw new SpanProblem(`unknown enum value ${JSON.stringify(v)}`);
  },
};

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

export function anyValue(v: any, depth: number, max: number, key: string): AttrValue {
  if (v == null || typeof v !== 'object') return null;
  if (own.call(v, 'stringValue')) return json.str(v.stringValue);
  if (own.call(v, 'boolValue')) return v.boolValue === true;
  if (own.call(v, 'intValue')) return json.int64(v.intValue);
  if (own.call(v, 'doubleValue')) {
    const d = typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
    // JSON has no NaN/Infinity; keep them as their names rather than lose the row.
    return Number.isFinite(d) ? d : String(d);
  }
  if (own.call(v, 'bytesValue')) return json.bytes(v.bytesValue);
  if (own.call(v, 'arrayValue') || own.call(v, 'kvlistValue')) {
    if (depth >= max) throw new SpanProblem(`attribute "${key}" is nested deeper than ${max} levels`);
    if (own.call(v, 'arrayValue')) {
      const values = v.arrayValue?.values;
      if (!Array.isArray(values)) return [];
      return values.map((x: unknown) => anyValue(x, depth + 1, max, key));
    }
    return keyValues(v.kvlistValue?.values, depth + 1, max, key);
  }
  return null;
}

/** `topKey` is the attribute a nested kvlist belongs to, so errors name what the sender set. */
export function keyValues(list: unknown, depth: number, max: number, topKey?: string): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list as any[]) {
    if (kv == null || typeof kv.key !== 'string') continue;
    const key = json.str(kv.key);
    setOwn(out, key, anyValue(kv.value, depth, max, topKey ?? key));
  }
  return out;
}

function events(list: unknown, max: number): SpanEventRecord[] {
  if (!Array.isArray(list) || list.length === 0) return [];
  return (list as any[]).map((e) => ({
    time_us: json.micros(e?.timeUnixNano),
    name: json.str(e?.name),
    attributes: keyValues(e?.attributes, 0, max),
  }));
}

function links(list: unknown, max: number): SpanLinkRecord[] {
  if (!Array.isArray(list) || list.length === 0) return [];
  return (list as any[]).map((l) => ({
    trace_id: json.id(l?.traceId, 16, 'link trace_id', false)!,
    span_id: json.id(l?.spanId, 8, 'link span_id', false)!,
    attributes: keyValues(l?.attributes, 0, max),
  }));
}

function walk(request: any, limits: DecodeLimits): DecodedExport {
  const out: DecodedExport = { spans: [], rejected: 0, rejectMessages: [] };
  const max = limits.maxAttributeDepth;
  const resourceSpans = request?.resourceSpans;
  if (resourceSpans == null) return out;
  if (!Array.isArray(resourceSpans)) throw invalid('resourceSpans must be an array');
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    const resource = sharedPart(`resourceSpans[${r}].resource`, () => keyValues(rs?.resource?.attributes, 0, max));
    const scopeSpans = rs?.scopeSpans;
    if (scopeSpans == null) continue;
    if (!Array.isArray(scopeSpans)) throw invalid(`resourceSpans[${r}].scopeSpans must be an array`);
    for (let s = 0; s < scopeSpans.length; s++) {
      const ss = scopeSpans[s];
      const scope: OtlpSpanInput['scope'] = sharedPart(`resourceSpans[${r}].scopeSpans[${s}].scope`, () => ({
        name: json.str(ss?.scope?.name),
        version: json.str(ss?.scope?.version),
        attributes: keyValues(ss?.scope?.attributes, 0, max),
      }));
      const spans = ss?.spans;
      if (spans == null) continue;
      if (!Array.isArray(spans)) throw invalid(`resourceSpans[${r}].scopeSpans[${s}].spans must be an array`);
      for (let i = 0; i < spans.length; i++) {
        const sp = spans[i];
        try {
          if (sp == null || typeof sp !== 'object') throw new SpanProblem('span must be an object');
          const status = sp.status;
          out.spans.push({
            resource,
            scope,
            traceId: json.id(sp.traceId, 16, 'trace_id', false)!,
            spanId: json.id(sp.spanId, 8, 'span_id', false)!,
            parentSpanId: json.id(sp.parentSpanId, 8, 'parent_span_id', true),
            name: json.str(sp.name),
            kind: json.enumValue(sp.kind, SPAN_KINDS),
            startUs: json.micros(sp.startTimeUnixNano),
            endUs: json.micros(sp.endTimeUnixNano),
            attributes: keyValues(sp.attributes, 0, max),
            events: events(sp.events, max),
            links: links(sp.links, max),
            status: {
              code: status ? json.enumValue(status.code, STATUS_CODES) : 0,
              message: status ? json.str(status.message) : '',
            },
          });
        } catch (err) {
          if (!(err instanceof SpanProblem)) throw err;
          rejectSpan(out, `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, err);
        }
      }
    }
  }
  return out;
}

/** Decodes an OTLP/protobuf ExportTraceServiceRequest body (see wire.ts). */
export { decodeProtobufWire as decodeProtobuf } from './wire.js';

/** An OTLP/JSON body parsed as one `messageName` object, or a 400 saying what it is instead (traces and logs). */
export function parseOtlpJsonObject(body: Buffer, messageName: string): object {
  let message: unknown;
  try {
    message = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalid(`malformed OTLP JSON: ${(err as Error).message}`);
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw invalid(`OTLP JSON body must be an ${messageName} object`);
  }
  return message;
}

/** Decodes an OTLP/JSON ExportTraceServiceRequest body. */
export function decodeJson(body: Buffer, limits: DecodeLimits): DecodedExport {
  return walk(parseOtlpJsonObject(body, 'ExportTraceServiceRequest'), limits);
}
