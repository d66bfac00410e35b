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

/**
 * Partition values that Hive-style readers (DuckDB, Spark, pyarrow) read
 * back as NULL: a project stored under one would lose its name in the lake.
 */
const NULL_PARTITION_VALUES = /^(null|__hive_default_partition__)$/i;

/** A native project id: 1–128 characters, not one the lake's partition path would read back as NULL. */
export const nativeProjectId = z.string().min(1).max(128)
  .refine((v) => !NULL_PARTITION_VALUES.test(v), { message: 'must not be "null" or "__HIVE_DEFAULT_PARTITION__" (Parquet readers take that partition value as NULL)' });
