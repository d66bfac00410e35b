import type { Operation } from './operation.js';
import { ADMIN_OPERATIONS } from './operations/admin.js';
import { INGEST_OPERATIONS } from './operations/ingest.js';
import { READ_OPERATIONS } from './operations/read.js';
import { UI_OPERATIONS } from './operations/ui.js';
import { EVAL_OPERATIONS } from './operations/evals.js';
import { MCP_OPERATIONS } from './operations/mcp.js';

export type { Operation } from './operation.js';
export { buildOpenApiDocument, openApiPath } from './document.js';

/**
 * Every HTTP route Lookspan serves, as the OpenAPI document describes it.
 * test/api/openapi.test.ts fails when a route registered on the router is
 * missing here or an entry names no route. How to add a route: add its
 * entry to the table of its area, with the zod schemas its handler uses.
 */
export const OPERATIONS: readonly Operation[] = [...INGEST_OPERATIONS, ...READ_OPERATIONS, ...ADMIN_OPERATIONS, ...EVAL_OPERATIONS, ...UI_OPERATIONS, ...MCP_OPERATIONS];
