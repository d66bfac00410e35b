import type { OtlpLogInput } from '../../model/otlp-log.js';
import type { AttrValue, Attributes } from '../../model/span-record.js';
import type { DecodeLimits } from '../otlp/decode.js';
import { Reader, WIRE_I64, WIRE_LEN, WIRE_VARINT, anyValue, attribute, expectWire, hexId, instrumentationScope, resourceMessage, type Depth } from '../otlp/wire.js';
import { SpanProblem } from '../otlp/span-problem.js';
import { MAX_SEVERITY, rejectRecord, type DecodedLogs } from './decode.js';

/**
 * OTLP/protobuf ExportLogsServiceRequest decoded straight from the wire,
 * field numbers as in proto/opentelemetry/proto/logs/v1/logs.proto (copied
 * from open-telemetry/opentelemetry-proto), with the trace reader's cursor
 * and AnyValue decoding. A malformed message is a 400; a record that is
 * individually invalid (id length, attribute nesting) is skipped by its
 * length and reported through partial success.
 */

function logRecord(r: Reader, end: number, resource: Attributes, scope: OtlpLogInput['scope'], d: Depth, position: number): OtlpLogInput {
  const rec: OtlpLogInput = {
    resource, scope, timeUs: 0, observedUs: 0, severityNumber: 0, severityText: '', body: null,
    attributes: {}, traceId: null, spanId: null, eventName: '', position,
  };
  let body: { start: number; end: number } | null = null;
  while (r.pos < end) {
    const tag = r.uint();
    const wire = tag & 7;
    switch (tag >>> 3) {
      case 1: expectWire(r, wire, WIRE_I64, 'LogRecord.time_unix_nano'); rec.timeUs = r.micros(); break;
      case 2: {
        expectWire(r, wire, WIRE_VARINT, 'LogRecord.severity_number');
        const n = r.uint();
        rec.severityNumber = n <= MAX_SEVERITY ? n : 0;
        break;
      }
      case 3: expectWire(r, wire, WIRE_LEN, 'LogRecord.severity_text'); rec.severityText = r.string(r.lenEnd(end)); break;
      case 5: {
        expectWire(r, wire, WIRE_LEN, 'LogRecord.body');
        const e = r.lenEnd(end);
        body = { start: r.pos, end: e };
        r.pos = e;
        break;
      }
      case 6: attribute(r, wire, end, rec.attributes, d, 'LogRecord.attributes'); break;
      case 9: expectWire(r, wire, WIRE_LEN, 'LogRecord.trace_id'); rec.traceId = hexId(r, r.lenEnd(end), 16, 'trace_id', true); break;
      case 10: expectWire(r, wire, WIRE_LEN, 'LogRecord.span_id'); rec.spanId = hexId(r, r.lenEnd(end), 8, 'span_id', true); break;
      case 11: expectWire(r, wire, WIRE_I64, 'LogRecord.observed_time_unix_nano'); rec.observedUs = r.micros(); break;
      case 12: expectWire(r, wire, WIRE_LEN, 'LogRecord.event_name'); rec.eventName = r.string(r.lenEnd(end)); break;
      // 7 dropped_attributes_count and 8 flags have no column.
      default: r.skip(wire, end);
    }
  }
  if (body !== null) {
    // Decoded last so a depth error is thrown after every other field was read to the record's end.
    r.pos = body.start;
    const value: AttrValue = anyValue(r, body.end, 0, d, 'body');
    rec.body = value;
    r.pos = end;
  }
  return rec;
}

function scopeLogs(r: Reader, end: number, resource: Attributes, out: DecodedLogs, d: Depth, path: string, pos: { n: number }): void {
  // The scope may follow its records on the wire: records share this object, filled when it is read.
  const scope: OtlpLogInput['scope'] = { name: '', version: '', attributes: {} };
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ScopeLogs.scope');
      instrumentationScope(r, r.lenEnd(end), scope, d, path);
    } else if (field === 2) {
      expectWire(r, tag & 7, WIRE_LEN, 'ScopeLogs.log_records');
      const e = r.lenEnd(end);
      const i = index++;
      try {
        out.records.push(logRecord(r, e, resource, scope, d, pos.n++));
      } catch (err) {
        if (!(err instanceof SpanProblem)) throw err;
        r.pos = e;
        rejectRecord(out, `${path}.logRecords[${i}]`, err);
      }
    } else r.skip(tag & 7, end);
  }
}

function resourceLogs(r: Reader, end: number, out: DecodedLogs, d: Depth, path: string, pos: { n: number }): void {
  const resource: Attributes = {};
  let index = 0;
  while (r.pos < end) {
    const tag = r.uint();
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ResourceLogs.resource');
      resourceMessage(r, r.lenEnd(end), resource, d, path);
    } else if (field === 2) {
      expectWire(r, tag & 7, WIRE_LEN, 'ResourceLogs.scope_logs');
      scopeLogs(r, r.lenEnd(end), resource, out, d, `${path}.scopeLogs[${index++}]`, pos);
    } else r.skip(tag & 7, end);
  }
}

/** Decodes an OTLP/protobuf ExportLogsServiceRequest body. */
export function decodeLogsProtobuf(body: Uint8Array, limits: DecodeLimits): DecodedLogs {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  const r = new Reader(buf);
  const out: DecodedLogs = { records: [], rejected: 0, rejectMessages: [] };
  const d: Depth = { max: limits.maxAttributeDepth };
  const pos = { n: 0 };
  let index = 0;
  while (r.pos < buf.length) {
    const tag = r.uint();
    if (tag === 0) r.fail('field number 0');
    if (tag >>> 3 === 1) {
      expectWire(r, tag & 7, WIRE_LEN, 'ExportLogsServiceRequest.resource_logs');
      resourceLogs(r, r.lenEnd(buf.length), out, d, `resourceLogs[${index++}]`, pos);
    } else r.skip(tag & 7, buf.length);
  }
  return out;
}
