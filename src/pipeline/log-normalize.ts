import { createHash } from 'node:crypto';
import type { LogRecordRow } from '../model/log-record.js';
import type { Attributes } from '../model/span-record.js';
import { countProblem, timestampProblem } from '../model/store-range.js';
import { setOwn } from '../model/attributes.js';
import type { SemconvOptions } from '../semconv/index.js';
import { str } from '../semconv/fields.js';
import { toLogEvent } from '../semconv/log-events/index.js';
import { decodeLogsJson, decodeLogsProtobuf } from '../receivers/otlp-logs/decode.js';
import type { DecodeLimits } from '../receivers/otlp/decode.js';
import type { OtlpEncoding } from '../receivers/sink.js';
import { MAX_REJECT_MESSAGES } from '../receivers/otlp/span-problem.js';
import type { LogIgnoreReason } from '../metrics/logs.js';
import { applyLogLimits, type LogResourceCache } from './log-limits.js';
import { DEFAULT_SPAN_LIMITS, type SpanLimits } from './span-limits.js';
import { wellFormedJson } from './well-formed.js';
import { withoutCapturedPayload } from '../semconv/payload-keys.js';

export interface LogNormalizeContext {
  limits: DecodeLimits;
  semconv: SemconvOptions;
  project: string;
  /** The span limits, applied per record (DEFAULT_SPAN_LIMITS when absent). */
  recordLimits?: SpanLimits;
  /** Store records that are no GenAI or MCP event too (`logs.storeOtherEvents`). */
  storeOtherEvents: boolean;
  /** Microseconds since the epoch when the request arrived (a record with no time of its own is logged then). */
  nowUs: number;
  /** The project's `redact_payloads` setting: its records are stored without message content. */
  redact?: boolean;
}

/** One logs request turned into WAL bytes, with what the response and the metrics need. */
export interface NormalizedLogs {
  /** NDJSON, one line per stored record. */
  wal: Buffer;
  stored: LogRecordRow['kind'][];
  ignored: Partial<Record<LogIgnoreReason, number>>;
  rejected: number;
  rejectMessages: string[];
}

/** Why a row cannot be stored (a value outside what its column holds), naming the field; null when every value fits. */
function logValueProblem(row: LogRecordRow): string | null {
  let p = timestampProblem(row.logged_us);
  if (p) return `time: ${p}`;
  if (row.observed_us !== null) {
    p = timestampProblem(row.observed_us);
    if (p) return `observed time: ${p}`;
  }
  p = countProblem(row.choice_index);
  if (p) return `body.index ${p}`;
  return null;
}

/**
 * The record's identity: a hash of what it stores except its position in
 * the request and a receive-time fallback, so a batch a collector re-sends
 * after a timeout is stored once (the loader drops rows whose (project_id,
 * record_id) it already holds). Two records identical in every field, time
 * included, are one record. The content is serialized once: hashed here,
 * then spliced into the WAL line.
 */
function recordId(resourceJson: string, contentJson: string, timeUs: number): string {
  return createHash('sha256').update(resourceJson).update('\u0000').update(contentJson).update(`\u0000${timeUs}`).digest('hex').slice(0, 32);
}

function withoutKeys(attrs: Attributes, keys: readonly string[] | undefined): Attributes {
  if (!keys || keys.length === 0) return attrs;
  const out: Attributes = {};
  for (const k in attrs) if (!keys.includes(k)) setOwn(out, k, attrs[k]);
  return out;
}

/**
 * Decodes an OTLP logs body, maps each record's GenAI event
 * (semconv/log-events), sets aside what is not to be stored (counted by
 * reason), checks values, applies the limits and serializes WAL lines.
 * Pure apart from the clock in `ctx.nowUs`.
 */
export function normalizeLogs(body: Buffer, encoding: OtlpEncoding, ctx: LogNormalizeContext): NormalizedLogs {
  const decoded = encoding === 'protobuf' ? decodeLogsProtobuf(body, ctx.limits) : decodeLogsJson(body, ctx.limits);
  const out: NormalizedLogs = { wal: Buffer.alloc(0), stored: [], ignored: {}, rejected: decoded.rejected, rejectMessages: decoded.rejectMessages };
  const lines: string[] = [];
  const resourceJson = new Map<object, string>();
  const limited: LogResourceCache = new Map();
  const limits = ctx.recordLimits ?? DEFAULT_SPAN_LIMITS;
  for (const rec of decoded.records) {
    const ev = toLogEvent(rec, ctx.semconv);
    if (ev.kind === 'other' && !ctx.storeOtherEvents) {
      const reason: LogIgnoreReason = ev.event_name === null ? 'not_an_event' : 'other_event';
      out.ignored[reason] = (out.ignored[reason] ?? 0) + 1;
      continue;
    }
    const parts = { attributes: withoutKeys(rec.attributes, ev.capturedAttributes), resource: rec.resource, body: ev.bodyCaptured ? null : rec.body };
    const row: LogRecordRow = {
      project_id: ctx.project,
      record_id: '',
      trace_id: rec.traceId,
      span_id: rec.spanId,
      logged_us: rec.timeUs || rec.observedUs || ctx.nowUs,
      observed_us: rec.observedUs || null,
      position: rec.position,
      severity_number: rec.severityNumber || null,
      severity_text: str(rec.severityText),
      event_name: ev.event_name,
      kind: ev.kind,
      service_name: str(rec.resource['service.name']),
      scope_name: str(rec.scope.name),
      scope_version: str(rec.scope.version),
      input: ev.input ?? null,
      output: ev.output ?? null,
      finish_reason: ev.finish_reason ?? null,
      choice_index: ev.choice_index ?? null,
      evaluation_name: ev.evaluation_name ?? null,
      score_value: ev.score_value ?? null,
      score_label: ev.score_label ?? null,
      explanation: ev.explanation ?? null,
      response_id: ev.response_id ?? null,
      error_type: ev.error_type ?? null,
      body: null,
      attributes: parts.attributes,
      resource: parts.resource,
    };
    const problem = logValueProblem(row);
    if (problem !== null) {
      out.rejected++;
      if (out.rejectMessages.length < MAX_REJECT_MESSAGES) out.rejectMessages.push(`log record ${rec.position} (${ev.event_name ?? 'no event name'}): ${problem}`);
      continue;
    }
    if (ctx.redact) {
      // As for spans: the event and its numbers stay, the prompts and completions go.
      row.input = null;
      row.output = null;
      row.explanation = null;
      parts.body = null;
      parts.attributes = withoutCapturedPayload(parts.attributes, true, true);
    }
    applyLogLimits(parts, limits, limited);
    // Every record of a ResourceLogs shares its (limited) resource object: serialized once per request.
    let rj = resourceJson.get(parts.resource);
    if (rj === undefined) {
      rj = wellFormedJson(JSON.stringify(parts.resource));
      resourceJson.set(parts.resource, rj);
    }
    row.attributes = parts.attributes;
    row.body = parts.body;
    const { project_id: project, record_id: _id, position, logged_us: loggedUs, resource: _resource, ...content } = row;
    const contentJson = wellFormedJson(JSON.stringify(content));
    row.record_id = recordId(rj, contentJson, rec.timeUs);
    lines.push(`{"project_id":${JSON.stringify(project)},"record_id":"${row.record_id}","position":${position},"logged_us":${loggedUs},${contentJson.slice(1, -1)},"resource":${rj}}`);
    out.stored.push(ev.kind);
  }
  if (lines.length > 0) out.wal = Buffer.from(lines.join('\n') + '\n', 'utf8');
  return out;
}
