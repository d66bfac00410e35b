import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SpanSink } from './sink.js';
import { classify, publicMessage } from '../errors.js';
import { encodeExportResponse, encodeStatus, HealthCheckRequest, HealthCheckResponse } from './otlp/proto-root.js';

export interface OtlpGrpcOptions {
  host: string;
  port: number;
  maxReceiveBytes: number;
  /** Hears every Export call answered by the handler: its status code name (`OK`, `RESOURCE_EXHAUSTED`, …) and duration in seconds. */
  onExport?: (code: string, seconds: number) => void;
}

const identity = (b: Buffer) => b;

/**
 * TraceService with identity (de)serializers: grpc-js hands over the raw
 * (already gunzipped) message and the pipeline decodes it with the same wire
 * reader as HTTP/protobuf (measured-floors.md: proto-loader's object
 * conversion costs about 4x).
 */
const TRACE_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

const HEALTH_SERVICE: grpc.ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: object) => Buffer.from(HealthCheckRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) => HealthCheckRequest.toObject(HealthCheckRequest.decode(b), { defaults: true }),
    responseSerialize: (m: object) => Buffer.from(HealthCheckResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer) => HealthCheckResponse.toObject(HealthCheckResponse.decode(b), { defaults: true }),
  },
  Watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: (m: object) => Buffer.from(HealthCheckRequest.encode(m).finish()),
    requestDeserialize: (b: Buffer) => HealthCheckRequest.toObject(HealthCheckRequest.decode(b), { defaults: true }),
    responseSerialize: (m: object) => Buffer.from(HealthCheckResponse.encode(m).finish()),
    responseDeserialize: (b: Buffer) => HealthCheckResponse.toObject(HealthCheckResponse.decode(b), { defaults: true }),
  },
};

const SERVING = 1;
const NOT_SERVING = 2;
const SERVICE_UNKNOWN = 3;
const KNOWN_SERVICES = new Set(['', 'opentelemetry.proto.collector.trace.v1.TraceService']);

/** The OTLP/gRPC receiver plus the standard grpc.health.v1 service. */
export class OtlpGrpcReceiver {
  private server: grpc.Server;
  private watchers = new Set<grpc.ServerWritableStream<any, any>>();
  private serving = false;
  boundPort = 0;

  constructor(private readonly pipeline: SpanSink, private readonly opts: OtlpGrpcOptions, private readonly log: Logger) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxReceiveBytes,
      'grpc.max_send_message_length': 4 * 1024 * 1024,
    });
    this.server.addService(TRACE_SERVICE, { Export: this.exportTraces });
    this.server.addService(HEALTH_SERVICE, { Check: this.check, Watch: this.watch });
  }

  private exportTraces: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const t0 = performance.now();
    (async () => {
      const result = await this.pipeline.submitOtlp(call.request, 'protobuf', 'otlp_grpc');
      callback(null, encodeExportResponse(result.rejected, result.message));
      return grpc.status.OK as number;
    })().catch((err) => {
      const e = classify(err);
      if (e.errorClass === 'internal') this.log.error({ err }, 'gRPC export failed');
      const metadata = new grpc.Metadata();
      const retry = e.details.retryAfterSeconds;
      if (retry) metadata.set('grpc-status-details-bin', encodeStatus(e.grpc, publicMessage(e), retry));
      callback({ code: e.grpc, details: publicMessage(e), metadata });
      return e.grpc;
    }).then((code) => this.opts.onExport?.(grpc.status[code] ?? String(code), (performance.now() - t0) / 1000));
  };

  private status(service: string): number {
    if (!KNOWN_SERVICES.has(service)) return SERVICE_UNKNOWN;
    return this.serving ? SERVING : NOT_SERVING;
  }

  private check: grpc.handleUnaryCall<{ service: string }, object> = (call, callback) => {
    const status = this.status(call.request.service);
    if (status === SERVICE_UNKNOWN) {
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
      return;
    }
    callback(null, { status });
  };

  private watch: grpc.handleServerStreamingCall<{ service: string }, object> = (call) => {
    call.write({ status: this.status(call.request.service) });
    this.watchers.add(call);
    call.on('cancelled', () => this.watchers.delete(call));
    call.on('close', () => this.watchers.delete(call));
  };

  /** Flips the health status (readiness) and tells watchers. */
  setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
    for (const w of this.watchers) w.write({ status: this.status(w.request.service) });
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
