import type { OtlpLogInput } from '../../model/otlp-log.js';
import type { AttrValue } from '../../model/span-record.js';
import type { LogEventKind } from '../../model/log-record.js';

/**
 * What one GenAI event module recognized on a log record; absent or null
 * means "no opinion". Payloads are JSON text before the size cap.
 */
export interface LogEventFields {
  kind: LogEventKind;
  input?: string | null;
  output?: string | null;
  finish_reason?: string | null;
  choice_index?: number | null;
  evaluation_name?: string | null;
  score_value?: number | null;
  score_label?: string | null;
  explanation?: string | null;
  response_id?: string | null;
  error_type?: string | null;
  /** The body was captured whole into input/output, so it is not stored a second time. */
  bodyCaptured?: boolean;
  /** Attribute keys captured into input/output, not stored a second time (as payload-keys.ts does for spans). */
  capturedAttributes?: readonly string[];
}

/** An event module: pure, given the record and its resolved event name. */
export type LogEventConvention = (rec: OtlpLogInput) => LogEventFields;

/** An AnyValue that should be a map: a kvlist, or (from some bridges) JSON text of an object. */
export function objectOf(v: AttrValue | undefined): Record<string, AttrValue> | null {
  if (v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v)) return v;
  if (typeof v === 'string' && v.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, AttrValue>;
    } catch {
      return null;
    }
  }
  return null;
}

/** An AnyValue that should be a list: an array, or JSON text of one. */
export function arrayOf(v: AttrValue | undefined): AttrValue[] | null {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(v);
      if (Array.isArray(parsed)) return parsed as AttrValue[];
    } catch {
      return null;
    }
  }
  return null;
}
