import path from 'node:path';
import protobuf from 'protobufjs';
import { packagePath } from '../../package-root.js';

/** The package's `proto/` folder: the OTLP v1 definitions shared by gRPC and HTTP/protobuf. */
export const PROTO_DIR = packagePath('proto');

const TRACE_SERVICE = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
const LOGS_SERVICE = 'opentelemetry/proto/collector/logs/v1/logs_service.proto';
const HEALTH = 'grpc/health/v1/health.proto';
const STATUS = 'google/rpc/status.proto';

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
  root.loadSync([TRACE_SERVICE, LOGS_SERVICE, HEALTH, STATUS], { keepCase: false });
  root.resolveAll();
  return root;
}

const root = loadRoot();

/**
 * Decoders built once. protobufjs 7 `Type.decode` straight into plain
 * messages is the fast path (measured-floors.md: proto-loader's toObject
 * costs about 4x); ids stay Buffers and fixed64 times stay Long.
 */
export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const ExportLogsServiceRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const HealthCheckRequest = root.lookupType('grpc.health.v1.HealthCheckRequest');
export const HealthCheckResponse = root.lookupType('grpc.health.v1.HealthCheckResponse');

const Status = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

const AnyMessage = root.lookupType('google.protobuf.Any');

// protobufjs serves google/protobuf/any.proto from its bundled definition,
// whose field keeps the snake_case name `type_url`; fromObject/toObject also
// apply a JSON wrapper to Any, so create/encode/decode are used directly.

/** Encodes a google.rpc.Status, with a RetryInfo detail when a retry delay is given. */
export function encodeStatus(code: number, message: string, retryAfterSeconds?: number): Buffer {
  const details = retryAfterSeconds
    ? [AnyMessage.create({
        type_url: 'type.googleapis.com/google.rpc.RetryInfo',
        value: RetryInfo.encode(RetryInfo.create({ retryDelay: { seconds: retryAfterSeconds, nanos: 0 } })).finish(),
      })]
    : [];
  return Buffer.from(Status.encode(Status.create({ code, message, details })).finish());
}

/** Decodes a google.rpc.Status (tests and clients). */
export function decodeStatus(buf: Uint8Array): { code: number; message: string; details: Array<{ typeUrl: string; value: Uint8Array }> } {
  const m = Status.decode(buf) as unknown as { code?: number; message?: string; details?: Array<{ type_url?: string; value?: Uint8Array }> };
  return {
    code: m.code ?? 0,
    message: m.message ?? '',
    details: (m.details ?? []).map((d) => ({ typeUrl: d.type_url ?? '', value: d.value ?? new Uint8Array() })),
  };
}

/** Encodes ExportTraceServiceResponse with an optional partial_success. */
export function encodeExportResponse(rejectedSpans: number, errorMessage: string): Buffer {
  const msg = rejectedSpans > 0 || errorMessage
    ? { partialSuccess: { rejectedSpans, errorMessage } }
    : {};
  return Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(msg)).finish());
}

/** Encodes ExportLogsServiceResponse with an optional partial_success. */
export function encodeLogsExportResponse(rejectedLogRecords: number, errorMessage: string): Buffer {
  const msg = rejectedLogRecords > 0 || errorMessage
    ? { partialSuccess: { rejectedLogRecords, errorMessage } }
    : {};
  return Buffer.from(ExportLogsServiceResponse.encode(ExportLogsServiceResponse.fromObject(msg)).finish());
}
