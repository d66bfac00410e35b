/**
 * The receive-only floors of bench/ingest.ts: a bare `node:http` server
 * (`http`) or a bare grpc-js server (`grpc`) that takes the same requests
 * as Lookspan, gunzips them the way Lookspan does (src/receivers/body.ts;
 * grpc-js's own gunzip), decodes them with Lookspan's wire decoder
 * (src/receivers/otlp/wire.ts) and answers an empty
 * ExportTraceServiceResponse: no conventions, no WAL, no store. Prints
 * `listening <port>` once bound.
 *
 *   tsx bench/ingest-bare.ts http|grpc
 */
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { readBody } from '../src/receivers/body.js';
import { decodeProtobuf } from '../src/receivers/otlp/decode.js';

const LIMITS = { maxBodyBytes: 64 * 1024 * 1024, maxDecompressedBytes: 256 * 1024 * 1024 };
const DECODE = { maxAttributeDepth: 16 };
const identity = (b: Buffer) => b;
let decoded = 0;

const kind = process.argv[2];
if (kind === 'http') {
  const server = http.createServer((req, res) => {
    readBody(req, LIMITS).then((body) => {
      decoded += decodeProtobuf(body, DECODE).spans.length;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      res.end();
    }, (err) => {
      res.writeHead(400);
      res.end(String(err));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as { port: number }).port}`));
} else if (kind === 'grpc') {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 256 * 1024 * 1024 });
  server.addService({
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false,
      requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
    },
  }, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      decoded += decodeProtobuf(call.request, DECODE).spans.length;
      callback(null, Buffer.alloc(0));
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    console.log(`listening ${port}`);
  });
} else {
  console.error('usage: tsx bench/ingest-bare.ts http|grpc');
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
