/** Tracing plus `@traceloop/instrumentation-anthropic`, imported before `@anthropic-ai/sdk`. */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AnthropicInstrumentation } from '@traceloop/instrumentation-anthropic';
import { startTracing } from './tracing.cjs';

export const tracing = startTracing('conformance-anthropic-traceloop');
registerInstrumentations({ instrumentations: [new AnthropicInstrumentation({ traceContent: true })], tracerProvider: tracing.provider });
