import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer) => b;

/** A TraceService client that sends pre-encoded ExportTraceServiceRequest bytes as they are. */
export function rawTraceClient(address: string, options: grpc.ChannelOptions = {}) {
  const Client = grpc.makeGenericClientConstructor({
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    },
  }, 'TraceService');
  const client = new Client(address, grpc.credentials.createInsecure(), options);
  return {
    /** Resolves with the error (null on success) and the response bytes. */
    export(body: Buffer): Promise<{ err: grpc.ServiceError | null; response: Buffer | null }> {
      return new Promise((resolve) => (client as any).Export(body, (err: grpc.ServiceError | null, response: Buffer | null) => resolve({ err, response })));
    },
    close: () => client.close(),
  };
}
