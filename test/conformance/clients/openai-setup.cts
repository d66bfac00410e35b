/**
 * Tracing plus one OpenAI instrumentation, chosen by CONFORMANCE_INSTRUMENTATION
 * (`otel` | `openinference` | `traceloop`). Imported before `openai` so the
 * instrumentation's require hook patches the SDK as it loads.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation as OtelOpenAI } from '@opentelemetry/instrumentation-openai';
import { OpenAIInstrumentation as OpenInferenceOpenAI } from '@arizeai/openinference-instrumentation-openai';
import { OpenAIInstrumentation as TraceloopOpenAI } from '@traceloop/instrumentation-openai';
import { startTracing } from './tracing.cjs';

export const which = process.env.CONFORMANCE_INSTRUMENTATION ?? '';
export const tracing = startTracing(`conformance-openai-${which}`);

function instrumentation() {
  if (which === 'otel') return new OtelOpenAI({ captureMessageContent: true });
  if (which === 'openinference') return new OpenInferenceOpenAI();
  if (which === 'traceloop') return new TraceloopOpenAI({ traceContent: true, enrichTokens: false });
  throw new Error(`unknown CONFORMANCE_INSTRUMENTATION "${which}"`);
}

// As an application would: registering also hands over the meter provider, which
// @opentelemetry/instrumentation-openai needs before its first call.
registerInstrumentations({ instrumentations: [instrumentation()], tracerProvider: tracing.provider });
