import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { IngestProject, SpanSink } from './sink.js';
import { classify, publicMessage, type LookspanError } from '../errors.js';
import { encodeExportResponse, encodeStatus } from './otlp/proto-root.js';
import { decodeProtobuf, type DecodeLimits } from './otlp/decode.js';
import type { AdmissionTicket } from '../pipeline/admission.js';

export interface OtlpGrpcOptions {
  host: string;
  port: number;
  maxReceiveBytes: number;
  /** How deep an attribute value may nest (limits.maxAttributeDepth). */
  decode: DecodeLimits;
  /** Hears every Export call answered by the handler: its status code name (`OK`, `RESOURCE_EXHAUSTED`, …) and duration in seconds. */
  onExport?: (code: string, seconds: number) => void;
  /**
   * Access control (src/access/grpc.ts): an interceptor that authenticates
   * and authorizes every call before its handler runs, and the project it
   * decided for a call's metadata. Absent: every call is admitted into the default project.
   */
  access?: { interceptor: grpc.ServerInterceptor; scopeOf(metadata: grpc.Metadata): IngestProject };
}

const identity = (b: Buffer) => b;
const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** The status a refused call ends with: its code, message and, when retryable, a RetryInfo. */
function errorStatus(e: LookspanError): Partial<grpc.StatusObject> & { code: grpc.status } {
  const metadata = new grpc.Metadata();
  const retry = e.details.retryAfterSeconds;
  if (retry) metadata.set('grpc-status-details-bin', encodeStatus(e.grpc, publicMessage(e), retry));
  return { code: e.grpc, details: publicMessage(e), metadata };
}

/**
 * TraceService with identity (de)serializers: grpc-js hands over the raw
 * (already gunzipped) message and the pipeline decodes it with the same wire
 * reader as HTTP/protobuf (measured-floors.md: proto-loader's object
 * conversion costs about 4x).
 */
const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/**
 * Services with a grpc.health.v1 status: the server as a whole ('') and the
 * OTLP trace and logs services (the logs one is added by `addExportService`);
 * any other name is NOT_FOUND (Check) / SERVICE_UNKNOWN (Watch).
 */
const HEALTH_SERVICES = ['', 'opentelemetry.proto.collector.trace.v1.TraceService', 'opentelemetry.proto.collector.logs.v1.LogsService'];

/** The OTLP/gRPC receiver plus the standard grpc.health.v1 service. */
export class OtlpGrpcReceiver {
  private server: grpc.Server;
  /** grpc.health.v1 Check, Watch and List (grpc-health-check), per-service statuses. */
  private health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING' as ServingStatus])));
  /** Open Watch streams, ended at stop: grpc-health-check never ends them, and an open stream would hold tryShutdown until the grace runs out. */
  private watchers = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  private serving = false;
  boundPort = 0;
  /** Export method path → its admission (traces here; logs through `addExportService`). */
  private readonly admitters = new Map<string, () => AdmissionTicket>();

  constructor(private readonly pipeline: SpanSink, private readonly opts: OtlpGrpcOptions, private readonly log: Logger) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveBytes,
      'grpc.max_send_message_length': 4 * 1024 * 1024,
      // Access first (an unauthenticated call takes no slot), then admission.
      interceptors: [...(opts.access ? [opts.access.interceptor] : []), this.admission],
    });
    this.server.addService(TRACE_SERVICE, { Export: this.exportTraces });
    this.admitters.set(TRACE_EXPORT_PATH, () => this.pipeline.admit('otlp_grpc', 'otlp_grpc'));
    this.health.addToServer({
      addService: (service, impl) => this.server.addService(service as grpc.ServiceDefinition, {
        ...impl,
        watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
          this.watchers.add(call);
          call.on('cancelled', () => this.watchers.delete(call));
          call.on('close', () => this.watchers.delete(call));
          (impl.watch as (c: typeof call) => void)(call);
        },
      }),
    });
  }

  /**
   * Admission on an Export call's metadata (traces, logs), before grpc-js
   * reads and gunzips its message: a refused call ends at once with
   * RESOURCE_EXHAUSTED / UNAVAILABLE and a RetryInfo; an admitted one holds
   * its slot until its status is sent (or it is cancelled).
   */
  private admission: grpc.ServerInterceptor = (method, call) => {
    const admit = this.admitters.get(method.path);
    if (!admit) return new grpc.ServerInterceptingCall(call);
    let ticket: AdmissionTicket | null = null;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => next({
        onReceiveMetadata: (metadata, pass) => {
          const t0 = performance.now();
          try {
            ticket = admit();
          } catch (err) {
            const status = errorStatus(classify(err));
            call.sendStatus(status as grpc.StatusObject);
            this.opts.onExport?.(grpc.status[status.code], (performance.now() - t0) / 1000);
            return;
          }
          pass(metadata);
        },
        onCancel: () => ticket?.release(),
      }),
      sendStatus: (status, next) => {
        ticket?.release();
        next(status);
      },
    });
  };

  private exportTraces: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const t0 = performance.now();
    (async () => {
      const result = await this.pipeline.submitOtlp(decodeProtobuf(call.request, this.opts.decode), 'otlp_grpc', this.opts.access?.scopeOf(call.metadata));
      callback(null, encodeExportResponse(result.rejected, result.message));
      return grpc.status.OK as number;
    })().catch((err) => {
      const e = classify(err);
      if (e.errorClass === 'internal') this.log.error({ err }, 'gRPC export failed');
      callback(errorStatus(e));
      return e.grpc;
    }).then((code) => this.opts.onExport?.(grpc.status[code] ?? String(code), (performance.now() - t0) / 1000));
  };

  /**
   * Every method path the server serves (`/package.Service/Method`), for the
   * route-role table's test. grpc-js keeps its handlers in a private map and
   * offers no listing; reading it sees services added anywhere.
   */
  methodPaths(): string[] {
    return [...((this.server as unknown as { handlers: Map<string, unknown> }).handlers.keys())].sort();
  }

  /** Flips the health status (readiness) and tells watchers. */
  setServing(serving: boolean): void {
    if (this.serving === serving || (serving && this.stopping)) return;
    this.serving = serving;
    for (const service of HEALTH_SERVICES) this.health.setStatus(service, serving ? 'SERVING' : 'NOT_SERVING');
  }

  /**
   * Serves another OTLP Export service on this server, behind the same
   * interceptors and message size limit (the logs service:
   * otlp-logs-grpc.ts), with its own admission before the message is read
   * when `admit` is given. Call before `start`.
   */
  addExportService(definition: grpc.ServiceDefinition, handler: grpc.handleUnaryCall<Buffer, Buffer>, admit?: () => AdmissionTicket): void {
    this.server.addService(definition, { Export: handler });
    if (admit) this.admitters.set(definition.Export.path, admit);
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${this.opts.host}:${this.opts.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(err);
        this.boundPort = port;
        resolve(port);
      });
    });
  }

  /** Stops accepting calls and waits (up to `graceMs`) for those in flight. Safe to call twice. */
  stop(graceMs: number): Promise<void> {
    if (this.stopping) return this.stopping;
    this.setServing(false);
    for (const w of this.watchers) w.end();
    this.watchers.clear();
    this.stopping = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.stopping;
  }

  private stopping: Promise<void> | null = null;
}
