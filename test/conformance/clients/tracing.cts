/**
 * Tracing for a conformance client process: a tracer provider exporting
 * OTLP (HTTP/protobuf or gRPC) to the Lookspan under test, async context,
 * W3C propagation, and a recorder that tells which traces each step made.
 *
 * Clients are CommonJS (.cts, run with `node --import tsx`) because the
 * instrumentations patch SDKs through `require` hooks; a client imports its
 * instrumentation set-up before the SDK so the hook is in place first.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** What one step of a client produced, printed for the test to read back. */
export interface StepResult {
  traceIds: string[];
  spans: Array<{ name: string; traceId: string; spanId: string; parentSpanId: string | null; scope: string }>;
  /** The error the step threw, when it was expected to throw. */
  error?: { name: string; status?: number };
}

/** Remembers ended spans so each step can report what it produced. */
class StepRecorder implements SpanProcessor {
  private ended: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  get count(): number {
    return this.ended.length;
  }
  take(): ReadableSpan[] {
    const out = this.ended;
    this.ended = [];
    return out;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Counts failed exports so the client exits non-zero instead of losing spans quietly. */
class CheckedExporter implements SpanExporter {
  failures: string[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      if (r.code !== ExportResultCode.SUCCESS) this.failures.push(String(r.error?.message ?? 'export failed'));
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

export interface Tracing {
  provider: BasicTracerProvider;
  /**
   * Runs one step, waits for the spans it should end (`spans`, default 1;
   * instrumentations end stream spans from a tee'd copy after the caller has
   * read the stream), flushes them to Lookspan and records their traces.
   */
  step(name: string, fn: () => Promise<unknown>, opts?: { expectError?: boolean; spans?: number }): Promise<void>;
  /** Flushes, shuts down and prints every step's result as one JSON line on stdout. */
  finish(extra?: Record<string, unknown>): Promise<void>;
}

const required = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

/** Starts tracing for this process; the service name tells the test's spans apart. */
export function startTracing(serviceName: string): Tracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const inner = process.env.LOOKSPAN_EXPORTER === 'grpc'
    ? new GrpcExporter({ url: `http://${required('LOOKSPAN_GRPC')}` })
    : new ProtoExporter({ url: `${required('LOOKSPAN_URL')}/v1/traces` });
  const exporter = new CheckedExporter(inner);
  const recorder = new StepRecorder();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [recorder, new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 })],
  });
  trace.setGlobalTracerProvider(provider);

  const steps: Record<string, StepResult> = {};
  return {
    provider,
    async step(name, fn, opts = {}) {
      let error: StepResult['error'];
      try {
        await fn();
      } catch (err) {
        if (!opts.expectError) throw err;
        const e = err as { name?: string; constructor?: { name?: string }; status?: number };
        error = { name: e.constructor?.name ?? e.name ?? 'Error', ...(typeof e.status === 'number' ? { status: e.status } : {}) };
      }
      if (opts.expectError && error === undefined) throw new Error(`step ${name} was expected to fail`);
      const want = opts.spans ?? 1;
      for (let waited = 0; recorder.count < want && waited < 10_000; waited += 10) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await provider.forceFlush();
      const spans = recorder.take().map((s) => ({
        name: s.name,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId ?? null,
        scope: s.instrumentationScope.name,
      }));
      steps[name] = { traceIds: [...new Set(spans.map((s) => s.traceId))], spans, ...(error ? { error } : {}) };
    },
    async finish(extra = {}) {
      await provider.forceFlush();
      // Spans that ended after their step was recorded would be silently misattributed.
      const late = recorder.take();
      if (late.length > 0) throw new Error(`spans ended after their step: ${late.map((s) => s.name).join(', ')}`);
      await provider.shutdown();
      if (exporter.failures.length > 0) throw new Error(`OTLP export failed: ${exporter.failures.join('; ')}`);
      process.stdout.write(`${JSON.stringify({ steps, ...extra })}\n`);
    },
  };
}

/** Runs a client's main function; any failure exits 1 with the error on stderr. */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
