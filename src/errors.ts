/**
 * Errors are values with a class, decided once where they arise and mapped
 * to HTTP and gRPC in the one table below (as the OTel Collector's receivers
 * do: permanent → 400 / INVALID_ARGUMENT, retryable → 429|503 /
 * RESOURCE_EXHAUSTED|UNAVAILABLE).
 */
export type ErrorClass =
  | 'invalid' | 'too_large' | 'unsupported_media_type' | 'overloaded' | 'unavailable'
  | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'internal';

/** gRPC status codes used here (from grpc/status.proto). */
export const GrpcCode = {
  OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16,
} as const;

export const ERROR_TABLE: Readonly<Record<ErrorClass, { http: number; grpc: number; retryable: boolean }>> = {
  invalid: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT, retryable: false },
  too_large: { http: 413, grpc: GrpcCode.RESOURCE_EXHAUSTED, retryable: false },
  unsupported_media_type: { http: 415, grpc: GrpcCode.INVALID_ARGUMENT, retryable: false },
  overloaded: { http: 429, grpc: GrpcCode.RESOURCE_EXHAUSTED, retryable: true },
  unavailable: { http: 503, grpc: GrpcCode.UNAVAILABLE, retryable: true },
  unauthorized: { http: 401, grpc: GrpcCode.UNAUTHENTICATED, retryable: false },
  forbidden: { http: 403, grpc: GrpcCode.PERMISSION_DENIED, retryable: false },
  not_found: { http: 404, grpc: GrpcCode.NOT_FOUND, retryable: false },
  conflict: { http: 409, grpc: GrpcCode.ALREADY_EXISTS, retryable: false },
  internal: { http: 500, grpc: GrpcCode.INTERNAL, retryable: false },
};

export interface FieldProblem {
  /** JSON path of the offending field, e.g. `spans[3].startedAt`. */
  path: string;
  message: string;
}

export class LookspanError extends Error {
  override name = 'LookspanError';
  constructor(
    readonly errorClass: ErrorClass,
    message: string,
    readonly details: { retryAfterSeconds?: number; problems?: FieldProblem[] } = {},
  ) {
    super(message);
  }
  get http(): number {
    return ERROR_TABLE[this.errorClass].http;
  }
  get grpc(): number {
    return ERROR_TABLE[this.errorClass].grpc;
  }
}

export const invalid = (message: string, problems?: FieldProblem[]) =>
  new LookspanError('invalid', message, problems ? { problems } : {});
export const tooLarge = (message: string) => new LookspanError('too_large', message);
export const overloaded = (message: string, retryAfterSeconds: number) =>
  new LookspanError('overloaded', message, { retryAfterSeconds });
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new LookspanError('unavailable', message, { retryAfterSeconds });
export const notFound = (message: string) => new LookspanError('not_found', message);
export const conflict = (message: string) => new LookspanError('conflict', message);

/** Any thrown value as a LookspanError; unknown errors become `internal`. */
export function classify(err: unknown): LookspanError {
  if (err instanceof LookspanError) return err;
  return new LookspanError('internal', err instanceof Error ? err.message : String(err));
}

/** The message a client may see: internal errors are not described to the outside. */
export function publicMessage(e: LookspanError): string {
  return e.errorClass === 'internal' ? 'internal error' : e.message;
}

/** The stable JSON error shape of every HTTP route: `{ error: { code, message, problems? } }`. */
export function errorBody(e: LookspanError): { error: { code: string; message: string; problems?: FieldProblem[] } } {
  return {
    error: {
      code: e.errorClass,
      message: publicMessage(e),
      ...(e.details.problems ? { problems: e.details.problems } : {}),
    },
  };
}
