/**
 * A minimal OTLP/gRPC unary client over node:http2 that sends an already
 * gzipped ExportTraceServiceRequest as it is (gRPC message flag 1,
 * `grpc-encoding: gzip`). grpc-js's own client gzips every message itself
 * (~25 ms per 1.2 MB request here), which on two shared cores would take the
 * server's CPU; a collector pays that cost on its own machine.
 */
import http2 from 'node:http2';

const PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** What one Export call came to: the gRPC status (0 OK) and its message. */
export interface GrpcAnswer { code: number; message: string }

/** One HTTP/2 connection to a TraceService. */
export class RawGrpcConnection {
  private session: http2.ClientHttp2Session;

  constructor(address: string) {
    this.session = http2.connect(`http://${address}`, {
      // Large requests: let the server's window, not ours, decide the pace.
      settings: { initialWindowSize: 16 * 1024 * 1024 },
    });
    this.session.on('error', () => {});
  }

  /** Sends one gzipped message; resolves with the status from the trailers (or a trailers-only answer). */
  export(gzipped: Buffer): Promise<GrpcAnswer> {
    return new Promise((resolve) => {
      const stream = this.session.request({
        ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers',
        'grpc-encoding': 'gzip', 'grpc-accept-encoding': 'identity',
      });
      let done = false;
      const finish = (code: number, message: string) => {
        if (done) return;
        done = true;
        resolve({ code, message });
      };
      const fromHeaders = (h: http2.IncomingHttpHeaders) => {
        const status = h['grpc-status'];
        if (status !== undefined) finish(Number(status), decodeURIComponent(String(h['grpc-message'] ?? '')));
      };
      stream.on('response', fromHeaders);
      stream.on('trailers', fromHeaders);
      stream.on('data', () => {});
      stream.on('error', (err) => finish(14, err.message));
      stream.on('close', () => finish(14, `stream closed (${stream.rstCode})`));
      const prefix = Buffer.alloc(5);
      prefix[0] = 1;
      prefix.writeUInt32BE(gzipped.length, 1);
      stream.write(prefix);
      stream.end(gzipped);
    });
  }

  close(): void {
    this.session.close();
  }
}
