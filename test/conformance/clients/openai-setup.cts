/**
 * Tracing plus one OpenAI instrumentation, chosen by CONFORMANCE_INSTRUMENTATION
 * (`otel` | `openinference` | `traceloop`). Imported before `openai` so the
 * instrumentation's require hook patches the SDK as it loads.
 */
import { OpenAIInstrumentation as OtelOpenAI } from '@opentelemetry/instrumentation-openai';
import { OpenAIInstrumentation as OpenInferenceOpenAI } from '@arizeai/openinference-instrumentation-openai';
import { OpenAIInstrumentation as TraceloopOpenAI } from '@traceloop/instrumentation-openai';
import { startTracing } from './tracing.cjs';

export const which = process.env.CONFORMANCE_INSTRUMENTATION ?? '';
export const tracing = startTracing(`conformance-openai-${which}`);

// Each constructor enables its instrumentation, which installs the require hook.
if (which === 'otel') new OtelOpenAI({ captureMessageContent: true });
else if (which === 'openinference') new OpenInferenceOpenAI();
else if (which === 'traceloop') new TraceloopOpenAI({ traceContent: true, enrichTokens: false });
else throw new Error(`unknown CONFORMANCE_INSTRUMENTATION "${which}"`);
