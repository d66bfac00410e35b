import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A body that is not JSON described by a zod schema: OTLP protobuf, CSV, an event stream, the exposition format. */
export interface RawContent {
  /** Content type → what it holds; `schema` is JSON Schema for the structured ones. */
  raw: Record<string, { description?: string; schema?: Record<string, unknown> }>;
}

/**
 * One route as the OpenAPI document describes it. The zod schemas are the
 * ones the handler validates its request with and shapes its response by
 * (`satisfies z.input<typeof …Response>`), imported from the route module,
 * so the document cannot describe a parameter the route does not read.
 */
export interface Operation {
  method: HttpMethod;
  /** Exactly as registered on the Koa router (`/api/traces/:traceId`). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Path parameters → description (each is a string). */
  params?: Record<string, string>;
  query?: z.ZodType;
  /** Request headers the route reads. */
  headers?: Record<string, string>;
  body?: z.ZodType | RawContent;
  /** The success response body (JSON unless raw). */
  response?: z.ZodType | RawContent;
  /** The success status (200 unless given). */
  status?: number;
  /** Response headers of the success response (a zod object of string values). */
  responseHeaders?: z.ZodObject;
  /** Error statuses this route answers besides the common ones (400 when it takes input, 401/403 when it needs a credential, 429). */
  errors?: number[];
}

export const isRaw = (v: z.ZodType | RawContent): v is RawContent => typeof v === 'object' && v !== null && 'raw' in v;
