import {
  ATTR_GEN_AI_EVALUATION_EXPLANATION,
  ATTR_GEN_AI_EVALUATION_NAME,
  ATTR_GEN_AI_EVALUATION_SCORE_LABEL,
  ATTR_GEN_AI_EVALUATION_SCORE_VALUE,
  ATTR_GEN_AI_RESPONSE_ID,
} from '@opentelemetry/semantic-conventions/incubating';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import type { OtlpLogInput } from '../../model/otlp-log.js';
import { float, str } from '../fields.js';
import type { LogEventFields } from './fields.js';

/**
 * `gen_ai.evaluation.result`: an evaluator's verdict on a GenAI response,
 * parented to the evaluated operation's span (or naming its
 * `gen_ai.response.id`). It becomes a score of the trace (name, value,
 * label, explanation; source `otel`). The attributes stay as sent.
 */
export function fromEvaluationResult(rec: OtlpLogInput): LogEventFields {
  const a = rec.attributes;
  return {
    kind: 'evaluation',
    evaluation_name: str(a[ATTR_GEN_AI_EVALUATION_NAME]),
    score_value: float(a[ATTR_GEN_AI_EVALUATION_SCORE_VALUE]),
    score_label: str(a[ATTR_GEN_AI_EVALUATION_SCORE_LABEL]),
    explanation: str(a[ATTR_GEN_AI_EVALUATION_EXPLANATION]),
    response_id: str(a[ATTR_GEN_AI_RESPONSE_ID]),
    error_type: str(a[ATTR_ERROR_TYPE]),
  };
}
