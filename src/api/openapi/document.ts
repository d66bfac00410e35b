import { z } from 'zod';
import { routeAccess } from '../../access/route-roles.js';
import type { RouteAccess } from '../../access/roles.js';
import { PROJECT_HEADER, SESSION_COOKIE } from '../../access/middleware.js';
import { isRaw, type Operation } from './operation.js';

type Json = Record<string, unknown>;

/** Schemas a converted schema defines for itself (a recursive tree), moved to components.schemas. */
type SharedSchemas = Record<string, Json>;

/**
 * zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect); requests as the client
 * sends them, responses as the server writes them. A recursive schema comes
 * with `$defs` that its `#/$defs/…` refs point at; inside the document those
 * refs would resolve against the document root, so the definitions move to
 * components.schemas under `prefix` and the refs are rewritten.
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', shared?: SharedSchemas, prefix = 'Schema'): Json {
  const { $schema: _dialect, $defs, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  if (!$defs) return rest;
  if (!shared) throw new Error('a recursive schema needs components.schemas');
  const names = Object.fromEntries(Object.keys($defs as Json).map((k) => [k, `${prefix}_${k.replace(/[^A-Za-z0-9_]/g, '')}`]));
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/')
      ? `#/components/schemas/${names[x.slice('#/$defs/'.length)]}` : rewrite(x)]));
  };
  for (const [k, def] of Object.entries($defs as Json)) shared[names[k]] = rewrite(def) as Json;
  return rewrite(rest) as Json;
}

/** `/api/traces/:traceId` → `/api/traces/{traceId}`. */
export const openApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const operationId = (op: Operation) =>
  op.method + op.path.split('/').filter(Boolean).map((seg) => {
    const word = seg.replace(/^:/, 'by_').replace(/[^A-Za-z0-9]+/g, '_');
    return word.split('_').filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  }).join('');

function accessText(a: RouteAccess): string {
  if (a.need === 'open') return 'No credential.';
  const who = a.need === 'authenticated' ? 'Any valid credential' : `Role ${a.need} or above`;
  return `${who}${a.instance ? ', from a credential bound to no project' : ''}${a.ticket ? '; a ?ticket= from POST /api/auth/ticket is accepted' : ''}.`;
}

function parameters(op: Operation): Json[] {
  const out: Json[] = [];
  for (const [name, description] of Object.entries(op.params ?? {})) {
    out.push({ name, in: 'path', required: true, description, schema: { type: 'string' } });
  }
  if (op.query) {
    const s = jsonSchema(op.query, 'input');
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, Json>)) {
      const { description, ...schema } = prop;
      out.push({ name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema });
    }
  }
  for (const [name, description] of Object.entries(op.headers ?? {})) {
    out.push({ name, in: 'header', required: false, description, schema: { type: 'string' } });
  }
  return out;
}

function content(v: NonNullable<Operation['body']>, io: 'input' | 'output', shared: SharedSchemas, prefix: string): Json {
  if (isRaw(v)) {
    return Object.fromEntries(Object.entries(v.raw).map(([type, c]) => [type, { ...(c.schema ? { schema: c.schema } : {}) }]));
  }
  return { 'application/json': { schema: jsonSchema(v, io, shared, prefix) } };
}

function rawDescription(v: NonNullable<Operation['body']>): string | undefined {
  if (!isRaw(v)) return undefined;
  return Object.entries(v.raw).map(([type, c]) => `${type}: ${c.description ?? ''}`.trim()).join('\n\n');
}

const ERROR_RESPONSES: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType', 429: 'TooManyRequests', 503: 'Unavailable',
};

function responses(op: Operation, access: RouteAccess, shared: SharedSchemas): Json {
  const status = op.status ?? 200;
  const success: Json = { description: status === 204 ? 'done; no body' : status === 101 ? 'switching to the WebSocket protocol' : 'success' };
  if (op.response) {
    success.content = content(op.response, 'output', shared, `${operationId(op)}Response`);
    const raw = rawDescription(op.response);
    if (raw) success.description = raw;
  }
  if (op.responseHeaders) {
    const h = jsonSchema(op.responseHeaders, 'output');
    success.headers = Object.fromEntries(Object.entries((h.properties ?? {}) as Record<string, Json>).map(([name, prop]) => {
      const { description, ...schema } = prop;
      return [name, { ...(description ? { description } : {}), schema }];
    }));
  }
  const codes = new Set(op.errors ?? []);
  if (op.query || op.body || op.params) codes.add(400);
  if (access.need !== 'open') { codes.add(401); codes.add(403); codes.add(429); }
  const out: Json = { [String(status)]: success };
  if (op.method === 'put' && op.path.endsWith('prevention-config')) out['201'] = { ...success, description: 'created' };
  for (const code of [...codes].sort()) out[String(code)] = { $ref: `#/components/responses/${ERROR_RESPONSES[code]}` };
  out.default = { $ref: '#/components/responses/InternalError' };
  return out;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'the error class (invalid_argument, unauthenticated, not_found, resource_exhausted, …)' },
        message: { type: 'string' },
        problems: {
          type: 'array', description: 'each bad field or parameter with its path',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

const errorResponse = (description: string, retry = false): Json => ({
  description,
  ...(retry ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer' } } } } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const DESCRIPTION = `The REST API of Lookspan, an LLM- and MCP-aware OpenTelemetry trace store.

Field names: the Lookspan routes (lookspan-http-api.txt: traces, sessions, costs summary, stats, storage, health, live \`/api/stream\`) are camelCase; the langsight-compatible routes (langsight-api.txt: \`/api/agents/*\`, \`/api/traces/spans\`, costs breakdown and models, SLOs, alerts, prevention, access control, \`/api/live/events\`) are snake_case as that reference shows. Query parameters accept both spellings where both references name one.

Errors are \`{"error": {"code", "message", "problems"?}}\`; 429 and 503 carry Retry-After. Credentials: \`Authorization: Bearer <key>\`, \`X-API-Key\`, or the \`${SESSION_COOKIE}\` cookie; the \`${PROJECT_HEADER}\` header or \`project_id\` names the project. gRPC (OTLP trace and logs services, grpc.health.v1) is served on its own port and not described here.`;

/** The OpenAPI 3.1 document of `operations`. */
export function buildOpenApiDocument(operations: readonly Operation[], version: string): Json {
  const paths: Record<string, Json> = {};
  const shared: SharedSchemas = {};
  const tags = new Set<string>();
  for (const op of operations) {
    const access = routeAccess(`${op.method.toUpperCase()} ${op.path}`);
    tags.add(op.tag);
    const params = parameters(op);
    const entry: Json = {
      operationId: operationId(op),
      tags: [op.tag],
      summary: op.summary,
      description: [op.description, accessText(access)].filter(Boolean).join('\n\n'),
      ...(params.length ? { parameters: params } : {}),
      ...(op.body ? {
        requestBody: { required: true, content: content(op.body, 'input', shared, `${operationId(op)}Body`), ...(rawDescription(op.body) ? { description: rawDescription(op.body) } : {}) },
      } : {}),
      responses: responses(op, access, shared),
      ...(access.need === 'open' ? { security: [] } : {}),
      'x-lookspan-access': { need: access.need, instance: access.instance ?? false, ticket: access.ticket ?? false },
    };
    const p = (paths[openApiPath(op.path)] ??= {});
    if (p[op.method]) throw new Error(`OpenAPI: ${op.method.toUpperCase()} ${op.path} is described twice`);
    p[op.method] = entry;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Lookspan API', version, description: DESCRIPTION, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/', description: 'this Lookspan instance' }],
    tags: [...tags].map((name) => ({ name })),
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key (lsk_…) or a sign-in session token' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
      },
      schemas: { Error: errorSchema, ...shared },
      responses: {
        BadRequest: errorResponse('a parameter or body field is invalid; problems names each'),
        Unauthorized: errorResponse('no valid credential'),
        Forbidden: errorResponse('the credential\'s role or project does not allow this'),
        NotFound: errorResponse('no such resource'),
        Conflict: errorResponse('it exists already'),
        PayloadTooLarge: errorResponse('the body (or its decompressed size) is over the limit'),
        UnsupportedMediaType: errorResponse('the Content-Type or Content-Encoding is not accepted'),
        TooManyRequests: errorResponse('rate limit or ingest queue full', true),
        Unavailable: errorResponse('the store cannot take writes right now (disk fault, starting, shutting down)', true),
        InternalError: errorResponse('an unexpected failure (logged)'),
      },
    },
  };
}
