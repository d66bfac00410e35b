import { z } from 'zod';
import {
  HealthCheckBody, HealthCheckList, HealthCheckResult, McpHistoryQuery, McpProjectQuery, SchemaDriftList,
} from '../../routes/mcp-health.js';
import { SecurityRuleList, SecurityScanBody, SecurityScanList, SecurityScansQuery } from '../../routes/security.js';
import type { Operation } from '../operation.js';

const server = { name: 'MCP server name' };
const hasMore = z.object({ 'x-has-more': z.enum(['true', 'false']).describe('whether more entries follow this page') });

/** MCP server health checks, schema drift and the security scan (snake_case, langsight-api.txt; docs/mcp.md). */
export const MCP_OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/health/servers', tag: 'MCP health', summary: 'Latest health of every MCP server of the project', query: McpProjectQuery, response: HealthCheckList },
  { method: 'get', path: '/api/health/servers/:name', tag: 'MCP health', summary: 'Latest health of one MCP server', params: server, query: McpProjectQuery, response: HealthCheckResult, errors: [404] },
  {
    method: 'get', path: '/api/health/servers/:name/history', tag: 'MCP health', summary: 'Health check history of one server, newest first',
    params: server, query: McpHistoryQuery, response: HealthCheckList, responseHeaders: hasMore, errors: [404],
  },
  {
    method: 'get', path: '/api/health/servers/:name/drift', tag: 'MCP health', summary: 'Tool schema changes of one server, newest first',
    params: server, query: McpHistoryQuery, response: SchemaDriftList, responseHeaders: hasMore, errors: [404],
  },
  {
    method: 'post', path: '/api/health/check', tag: 'MCP health', summary: 'Check one server (server_name) or every configured server of the project now',
    query: McpProjectQuery, body: HealthCheckBody, response: HealthCheckList, errors: [404, 415, 503],
  },
  {
    method: 'post', path: '/api/security/scan', tag: 'MCP security', summary: 'Check and scan one server (server_name) or every configured server of the project now',
    query: McpProjectQuery, body: SecurityScanBody, response: SecurityScanList, errors: [404, 415, 503],
  },
  { method: 'get', path: '/api/security/scans', tag: 'MCP security', summary: 'The latest stored scan of each server', query: SecurityScansQuery, response: SecurityScanList },
  { method: 'get', path: '/api/security/rules', tag: 'MCP security', summary: 'The rules of the security scan', response: SecurityRuleList },
];
