import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
} from '@opentelemetry/semantic-conventions/incubating';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { OtlpLogInput } from '../../model/otlp-log.js';
import { first, jsonText, str } from '../fields.js';
import { withSystem } from '../otel-genai.js';
import { arrayOf, objectOf, type LogEventFields } from './fields.js';

const CAPTURED_IN = [ATTR_GEN_AI_SYSTEM_INSTRUCTIONS, ATTR_GEN_AI_INPUT_MESSAGES] as const;
const CAPTURED_OUT = [ATTR_GEN_AI_OUTPUT_MESSAGES] as const;

/**
 * `gen_ai.client.inference.operation.details` (current GenAI conventions):
 * the call's messages as attributes, the same keys the span would carry
 * (`gen_ai.system_instructions`, `gen_ai.input.messages`,
 * `gen_ai.output.messages`), structured AnyValues or JSON text. The
 * official OpenAI instrumentation sends the input and the output as two
 * records (one per output item when streaming).
 */
export function fromOperationDetails(rec: OtlpLogInput): LogEventFields {
  const a = rec.attributes;
  const input = withSystem(a[ATTR_GEN_AI_SYSTEM_INSTRUCTIONS], a[ATTR_GEN_AI_INPUT_MESSAGES]);
  const outputValue = a[ATTR_GEN_AI_OUTPUT_MESSAGES];
  const output = jsonText(outputValue);
  const captured: string[] = [];
  if (input !== null) captured.push(...CAPTURED_IN.filter((k) => a[k] !== undefined));
  if (output !== null) captured.push(...CAPTURED_OUT);
  return {
    kind: 'operation_details',
    input,
    output,
    finish_reason: first(a[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]) ?? firstFinishReason(outputValue),
    response_id: str(a[ATTR_GEN_AI_RESPONSE_ID]),
    error_type: str(a[ATTR_ERROR_TYPE]),
    capturedAttributes: captured,
  };
}

/** The first output message's `finish_reason` (each output message carries its own in the current conventions). */
function firstFinishReason(v: OtlpLogInput['attributes'][string] | undefined): string | null {
  const list = arrayOf(v);
  if (list === null || list.length === 0) return null;
  return str(objectOf(list[0])?.['finish_reason']);
}
