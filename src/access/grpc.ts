import * as grpc from '@grpc/grpc-js';
import { publicMessage } from '../errors.js';
import { encodeStatus } from '../receivers/otlp/proto-root.js';
import type { AccessControl } from './index.js';
import type { IngestScope, RequestAccess } from './context.js';
import { decide } from './decide.js';
import { grpcRouteKey } from './route-roles.js';
import { PROJECT_HEADER } from './middleware.js';

const first = (md: grpc.Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return v === undefined ? undefined : String(v);
};

/**
 * Access control for the gRPC server: a server interceptor (so it covers
 * every service, including ones added later) that runs the same decision as
 * HTTP on the call's metadata (`authorization: Bearer <key>` or
 * `x-api-key`, `x-lookspan-project`) before the handler sees the call, and
 * ends refused calls with UNAUTHENTICATED, PERMISSION_DENIED or
 * RESOURCE_EXHAUSTED (with RetryInfo). Handlers read the decision with
 * `scopeOf(call.metadata)`: the metadata object is the key, so nothing a
 * client sends can forge one.
 */
export class GrpcAccess {
  private readonly decided = new WeakMap<grpc.Metadata, RequestAccess>();

  constructor(private readonly ac: AccessControl) {}

  readonly interceptor: grpc.ServerInterceptor = (method, call) => new grpc.ServerInterceptingCall(call, {
    start: (next) => next({
      onReceiveMetadata: (metadata, pass) => {
        const decision = decide(this.ac, {
          routeKeys: [grpcRouteKey(method.path)],
          unsafe: true,
          presented: { authorization: first(metadata, 'authorization'), apiKey: first(metadata, 'x-api-key') },
          requestedProject: first(metadata, PROJECT_HEADER),
          requestedFrom: PROJECT_HEADER,
          peer: call.getConnectionInfo().remoteAddress,
          forwardedFor: undefined,
          crossSite: false,
        });
        if (!decision.ok) {
          const e = decision.error;
          const trailers = new grpc.Metadata();
          const retry = e.details.retryAfterSeconds;
          if (retry) trailers.set('grpc-status-details-bin', encodeStatus(e.grpc, publicMessage(e), retry));
          call.sendStatus({ code: e.grpc, details: publicMessage(e), metadata: trailers });
          return;
        }
        this.decided.set(metadata, decision.access);
        pass(metadata);
      },
    }),
  });

  /** Where the call's spans go; the decision the interceptor made for this call's metadata. */
  scopeOf(metadata: grpc.Metadata): IngestScope {
    const a = this.decided.get(metadata);
    if (!a) throw new Error('gRPC call reached its handler without the access interceptor');
    return { project: a.project, bound: a.bound, explicit: a.requestedProject !== null };
  }
}
