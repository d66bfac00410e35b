import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer) => b;

/** A TraceService client that sends pre-encoded ExportTraceServiceRequest bytes as they are. */
export function rawTraceClient(address: string, options: grpc.ChannelOptions = {}) {
  return rawExportClient(address, 'opentelemetry.proto.collector.trace.v1.TraceService', options);
}

/** A client of an OTLP `<service>/Export` method (traces, logs) that sends pre-encoded request bytes as they are. */
export function rawExportClient(address: string, service: string, options: grpc.ChannelOptions = {}) {
  const Client = grpc.makeGenericClientConstructor({
    Export: {
      path: `/${service}/Export`, requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    },
  }, service.split('.').pop()!);
  const client = new Client(address, grpc.credentials.createInsecure(), options);
  return {
    /** Resolves with the error (null on success) and the response bytes. */
    export(body: Buffer): Promise<{ err: grpc.ServiceError | null; response: Buffer | null }> {
      return new Promise((resolve) => (client as any).Export(body, (err: grpc.ServiceError | null, response: Buffer | null) => resolve({ err, response })));
    },
    close: () => client.close(),
  };
}
