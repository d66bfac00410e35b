import type { OtlpLogInput } from '../../model/otlp-log.js';
import { invalid } from '../../errors.js';
import type { DecodeLimits } from '../otlp/decode.js';
import { anyValue, json, keyValues, parseOtlpJsonObject } from '../otlp/decode.js';
import { MAX_REJECT_MESSAGES, SpanProblem, sharedPart } from '../otlp/span-problem.js';

/** Decoded log records plus the ones refused individually (OTLP partial_success). */
export interface DecodedLogs {
  records: OtlpLogInput[];
  rejected: number;
  /** Human-readable reasons for the first few rejections, each naming the record and the field. */
  rejectMessages: string[];
}

/** Counts a rejected record and keeps the first few reasons for partial_success.error_message. */
export function rejectRecord(out: DecodedLogs, where: string, problem: SpanProblem): void {
  out.rejected++;
  if (out.rejectMessages.length < MAX_REJECT_MESSAGES) out.rejectMessages.push(`${where}: ${problem.message}`);
}

/** SeverityNumber names of the OTLP/JSON enum encoding. */
const SEVERITY_NUMBERS: Record<string, number> = Object.fromEntries([
  'UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4',
  'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4',
].map((n, i) => [`SEVERITY_NUMBER_${n}`, i]));

/** The highest SeverityNumber (FATAL4); larger values are stored as 0 (unspecified), as span kinds beyond 5 are. */
export const MAX_SEVERITY = 24;

function record(lr: any, resource: OtlpLogInput['resource'], scope: OtlpLogInput['scope'], position: number, max: number): OtlpLogInput {
  if (lr == null || typeof lr !== 'object' || Array.isArray(lr)) throw new SpanProblem('log record must be an object');
  const severity = json.enumValue(lr.severityNumber, SEVERITY_NUMBERS);
  if (!Number.isInteger(severity)) throw new SpanProblem(`severity_number must be an integer, got ${JSON.stringify(lr.severityNumber)}`);
  return {
    resource,
    scope,
    timeUs: json.micros(lr.timeUnixNano),
    observedUs: json.micros(lr.observedTimeUnixNano),
    severityNumber: severity >= 0 && severity <= MAX_SEVERITY ? severity : 0,
    severityText: json.str(lr.severityText),
    body: lr.body == null ? null : anyValue(lr.body, 0, max, 'body'),
    attributes: keyValues(lr.attributes, 0, max),
    // Both are optional in the logs signal: a record outside any span has neither.
    traceId: json.id(lr.traceId, 16, 'trace_id', true),
    spanId: json.id(lr.spanId, 8, 'span_id', true),
    eventName: json.str(lr.eventName),
    position,
  };
}

/** Walks an ExportLogsServiceRequest object (OTLP/JSON). */
function walk(request: any, limits: DecodeLimits): DecodedLogs {
  const out: DecodedLogs = { records: [], rejected: 0, rejectMessages: [] };
  const max = limits.maxAttributeDepth;
  const resourceLogs = request?.resourceLogs;
  if (resourceLogs == null) return out;
  if (!Array.isArray(resourceLogs)) throw invalid('resourceLogs must be an array');
  let position = 0;
  for (let r = 0; r < resourceLogs.length; r++) {
    const rl = resourceLogs[r];
    const resource = sharedPart(`resourceLogs[${r}].resource`, () => keyValues(rl?.resource?.attributes, 0, max));
    const scopeLogs = rl?.scopeLogs;
    if (scopeLogs == null) continue;
    if (!Array.isArray(scopeLogs)) throw invalid(`resourceLogs[${r}].scopeLogs must be an array`);
    for (let s = 0; s < scopeLogs.length; s++) {
      const sl = scopeLogs[s];
      const scope: OtlpLogInput['scope'] = sharedPart(`resourceLogs[${r}].scopeLogs[${s}].scope`, () => ({
        name: json.str(sl?.scope?.name),
        version: json.str(sl?.scope?.version),
        attributes: keyValues(sl?.scope?.attributes, 0, max),
      }));
      const records = sl?.logRecords;
      if (records == null) continue;
      if (!Array.isArray(records)) throw invalid(`resourceLogs[${r}].scopeLogs[${s}].logRecords must be an array`);
      for (let i = 0; i < records.length; i++) {
        try {
          out.records.push(record(records[i], resource, scope, position++, max));
        } catch (err) {
          if (!(err instanceof SpanProblem)) throw err;
          rejectRecord(out, `resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`, err);
        }
      }
    }
  }
  return out;
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest body. */
export function decodeLogsJson(body: Buffer, limits: DecodeLimits): DecodedLogs {
  return walk(parseOtlpJsonObject(body, 'ExportLogsServiceRequest'), limits);
}

export { decodeLogsProtobuf } from './wire.js';
