/**
 * Tracing and logging for the official OTel OpenAI instrumentation with
 * content capture on: spans go to Lookspan over OTLP (tracing.cts), the
 * message content the instrumentation emits as log records goes through an
 * SDK LoggerProvider and the official OTLP logs exporter chosen by
 * LOOKSPAN_LOGS_EXPORTER (`grpc` | `http-json` | `http-proto`; compression
 * from the standard OTEL_EXPORTER_OTLP_LOGS_COMPRESSION). Imported
 * before `openai`, so the instrumentation's require hook patches the SDK.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { startTracing } from './tracing.cjs';

export const logsExporter = process.env.LOOKSPAN_LOGS_EXPORTER ?? 'http-proto';
const service = `conformance-openai-logs-${logsExporter}`;
export const tracing = startTracing(service);

/** Counts failed log exports so the client exits non-zero instead of losing records quietly. */
class CheckedLogExporter implements LogRecordExporter {
  failures: string[] = [];
  exported = 0;
  constructor(private readonly inner: LogRecordExporter) {}
  export(records: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.inner.export(records, (r) => {
      if (r.code !== ExportResultCode.SUCCESS) this.failures.push(String(r.error?.message ?? 'export failed'));
      else this.exported += records.length;
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function innerExporter(): LogRecordExporter {
  const http = `${process.env.LOOKSPAN_URL}/v1/logs`;
  if (logsExporter === 'grpc') return new GrpcLogExporter({ url: `http://${process.env.LOOKSPAN_GRPC}` });
  if (logsExporter === 'http-json') return new HttpJsonLogExporter({ url: http });
  if (logsExporter === 'http-proto') return new HttpProtoLogExporter({ url: http });
  throw new Error(`unknown LOOKSPAN_LOGS_EXPORTER "${logsExporter}"`);
}

export const logExporter = new CheckedLogExporter(innerExporter());
export const loggerProvider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': service }),
  processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 50 })],
});

registerInstrumentations({
  instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
  tracerProvider: tracing.provider,
  loggerProvider,
});
