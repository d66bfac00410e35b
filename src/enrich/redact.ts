import type { Attributes, SpanEventRecord } from '../model/span-record.js';
import { withoutCapturedPayload } from '../semconv/payload-keys.js';

/** Attributes of GenAI message events (`gen_ai.user.message`, `gen_ai.choice`, …) that hold message text. */
const EVENT_PAYLOAD_KEYS = ['content', 'message', 'tool_calls', 'arguments', 'body'];

/** The fields redaction touches; a SpanRecord has them all. */
export interface RedactableSpan {
  input: string | null;
  output: string | null;
  attributes: Attributes;
  events: SpanEventRecord[];
}

/**
 * Strips the payloads of a span before it is stored (the project's
 * `redact_payloads` setting): the input and output columns, every attribute
 * any convention carries prompts or completions in (payload-keys.ts, both
 * sides), and the text of GenAI message events. Token counts, models,
 * costs and timings stay, so the span still counts in every view.
 */
export function redactPayloads(span: RedactableSpan): void {
  span.input = null;
  span.output = null;
  span.attributes = withoutCapturedPayload(span.attributes, true, true);
  if (span.events.length > 0) {
    span.events = span.events.map((e) => {
      let attrs = withoutCapturedPayload(e.attributes, true, true);
      if (e.name.startsWith('gen_ai.') && EVENT_PAYLOAD_KEYS.some((k) => k in attrs)) {
        attrs = { ...attrs };
        for (const k of EVENT_PAYLOAD_KEYS) delete attrs[k];
      }
      return attrs === e.attributes ? e : { ...e, attributes: attrs };
    });
  }
}
