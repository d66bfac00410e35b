import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { LogSink } from './otlp-logs/sink.js';
import { classify, publicMessage } from '../errors.js';
import { encodeLogsExportResponse, encodeStatus } from './otlp/proto-root.js';

/** The OTLP logs service's name, for grpc.health.v1 and the gRPC metrics. */
export const LOGS_SERVICE_NAME = 'opentelemetry.proto.collector.logs.v1.LogsService';
export const LOGS_EXPORT_METHOD = `${LOGS_SERVICE_NAME}/Export`;

const identity = (b: Buffer) => b;

/**
 * LogsService with identity (de)serializers, as the trace service: grpc-js
 * hands over the raw (already gunzipped) message and the log pipeline
 * decodes it with the wire reader HTTP/protobuf uses too.
 */
export const LOGS_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: `/${LOGS_EXPORT_METHOD}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface LogsGrpcOptions {
  /** Hears every Export call: its status code name and duration in seconds. */
  onExport?: (code: string, seconds: number) => void;
  /** The project access control decided for a call (src/access/grpc.ts); absent: the default project. */
  scopeOf?: (metadata: grpc.Metadata) => { project: string };
}

/**
 * The LogsService/Export handler, served on the OTLP/gRPC receiver's server
 * (same port, interceptors and message size limit as traces): answers
 * ExportLogsServiceResponse with partial_success for refused records, and
 * maps errors to gRPC statuses through src/errors.ts, with a RetryInfo
 * detail when the client should retry later.
 */
export function logsExportHandler(sink: LogSink, log: Logger, opts: LogsGrpcOptions = {}): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    const t0 = performance.now();
    (async () => {
      const result = await sink.submitOtlpLogs(call.request, 'protobuf', 'otlp_grpc', opts.scopeOf?.(call.metadata));
      callback(null, encodeLogsExportResponse(result.rejected, result.message));
      return grpc.status.OK as number;
    })().catch((err) => {
      const e = classify(err);
      if (e.errorClass === 'internal') log.error({ err }, 'gRPC logs export failed');
      const metadata = new grpc.Metadata();
      const retry = e.details.retryAfterSeconds;
      if (retry) metadata.set('grpc-status-details-bin', encodeStatus(e.grpc, publicMessage(e), retry));
      callback({ code: e.grpc, details: publicMessage(e), metadata });
      return e.grpc;
    }).then((code) => opts.onExport?.(grpc.status[code] ?? String(code), (performance.now() - t0) / 1000));
  };
}
