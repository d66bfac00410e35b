import {
  ATTR_EVENT_NAME,
  EVENT_GEN_AI_CHOICE,
  EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS,
  EVENT_GEN_AI_EVALUATION_RESULT,
} from '@opentelemetry/semantic-conventions/incubating';
import type { OtlpLogInput } from '../../model/otlp-log.js';
import type { LogEventKind } from '../../model/log-record.js';
import { str } from '../fields.js';
import { capPayload } from '../payload.js';
import type { SemconvOptions } from '../index.js';
import { fromEvaluationResult } from './evaluation.js';
import type { LogEventFields } from './fields.js';
import { MESSAGE_EVENT_ROLES, fromChoiceEvent, fromMessageEvent } from './message-events.js';
import { fromOperationDetails } from './operation-details.js';

export type { LogEventFields } from './fields.js';

/**
 * The event a log record reports: the `event_name` field (OTLP 1.5+), else
 * the `event.name` attribute that older SDKs and the deprecated GenAI
 * events use; null for a plain log line.
 */
export function eventNameOf(rec: OtlpLogInput): string | null {
  return str(rec.eventName) ?? str(rec.attributes[ATTR_EVENT_NAME]);
}

/** Which family an event name belongs to; only `gen_ai.*` and `mcp.*` events are stored by default. */
export function eventFamily(eventName: string | null): 'genai' | 'mcp' | null {
  if (eventName === null) return null;
  if (eventName.startsWith('gen_ai.')) return 'genai';
  if (eventName.startsWith('mcp.')) return 'mcp';
  return null;
}

/**
 * Maps one log record to its event fields, one pure module per event
 * (operation-details.ts, message-events.ts, evaluation.ts); payloads capped
 * at `payloadMaxBytes` like span payloads. Records that are no GenAI event
 * the modules know get only their kind: `genai` (another `gen_ai.*` event),
 * `mcp` or `other`.
 */
export function toLogEvent(rec: OtlpLogInput, opts: SemconvOptions): LogEventFields & { event_name: string | null } {
  const name = eventNameOf(rec);
  let f: LogEventFields;
  if (name === EVENT_GEN_AI_CLIENT_INFERENCE_OPERATION_DETAILS) f = fromOperationDetails(rec);
  else if (name !== null && MESSAGE_EVENT_ROLES[name] !== undefined) f = fromMessageEvent(rec, name);
  else if (name === EVENT_GEN_AI_CHOICE) f = fromChoiceEvent(rec);
  else if (name === EVENT_GEN_AI_EVALUATION_RESULT) f = fromEvaluationResult(rec);
  else f = { kind: (eventFamily(name) ?? 'other') satisfies LogEventKind };
  if (f.input != null) f.input = capPayload(f.input, opts.payloadMaxBytes);
  if (f.output != null) f.output = capPayload(f.output, opts.payloadMaxBytes);
  return { ...f, event_name: name };
}
