import { z } from 'zod';

/**
 * Trace ids that name a route under `/api/traces/` (`GET /api/traces/spans`
 * is the span query), so a trace stored under one could never be fetched by
 * `GET /api/traces/:traceId`. OTLP ids are hex and cannot collide.
 */
const RESERVED_TRACE_IDS = new Set(['spans']);

/** A native trace id: 1–128 characters, not a reserved route name. */
export const nativeTraceId = z.string().min(1).max(128)
  .refine((v) => !RESERVED_TRACE_IDS.has(v), { message: `must not be one of ${[...RESERVED_TRACE_IDS].join(', ')} (reserved: it names a route under /api/traces/)` });
