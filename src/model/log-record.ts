import type { Attributes, AttrValue } from './span-record.js';

/**
 * The normalized log record: one row per stored OTLP log record (GenAI and
 * MCP events; others only when `logs.storeOtherEvents` is on). Field names
 * are the column names, as for SpanRecord, so a record serializes straight
 * into a WAL line.
 */

/** What the record is, as semconv/log-events decided. */
export type LogEventKind =
  /** `gen_ai.client.inference.operation.details`: input/output messages and system instructions of one call. */
  | 'operation_details'
  /** Deprecated `gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`, `gen_ai.tool.message`: one input message. */
  | 'message'
  /** Deprecated `gen_ai.choice`: one output choice. */
  | 'choice'
  /** `gen_ai.evaluation.result`: a score of the span's output. */
  | 'evaluation'
  /** Any other `gen_ai.*` event (e.g. `gen_ai.client.operation.exception`): stored, not mapped onto a span. */
  | 'genai'
  /** An `mcp.*` event: stored, not mapped onto a span. */
  | 'mcp'
  /** Anything else (a plain log line, another domain's event): stored only when configured. */
  | 'other';

export const LOG_EVENT_KINDS: readonly LogEventKind[] = ['operation_details', 'message', 'choice', 'evaluation', 'genai', 'mcp', 'other'];

export interface LogRecordRow {
  project_id: string;
  /** Identity with project_id: a hash of everything else the record says except its position (a re-sent record gets the same id). */
  record_id: string;
  trace_id: string | null;
  span_id: string | null;
  /** Microseconds since the Unix epoch: the record's time, else its observed time, else when Lookspan received it. */
  logged_us: number;
  observed_us: number | null;
  /** Position in its export request (orders records that share a timestamp, as the deprecated message events of one call do). */
  position: number;
  severity_number: number | null;
  severity_text: string | null;
  event_name: string | null;
  kind: LogEventKind;
  service_name: string | null;
  scope_name: string | null;
  scope_version: string | null;
  /** JSON text: the input messages (operation details: a list; a message event: one message object). */
  input: string | null;
  /** JSON text: the output messages (operation details: a list; a choice: one message object). */
  output: string | null;
  finish_reason: string | null;
  /** `gen_ai.choice` body `index`. */
  choice_index: number | null;
  evaluation_name: string | null;
  score_value: number | null;
  score_label: string | null;
  explanation: string | null;
  /** `gen_ai.response.id`: which response an evaluation (or details event) is about. */
  response_id: string | null;
  error_type: string | null;
  /** The body AnyValue; null once its content was captured into input/output. */
  body: AttrValue;
  attributes: Attributes;
  resource: Attributes;
}
