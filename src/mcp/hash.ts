import { createHash } from 'node:crypto';
import type { ToolInfo } from './types.js';

/** JSON with object keys sorted at every level, so equal schemas hash equal whatever order a server sends. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The hash of what an agent is told about one tool: its name, description and input schema. */
export function toolHash(t: ToolInfo): string {
  return sha256(canonicalJson({ name: t.name, description: t.description, inputSchema: t.input_schema }));
}

/** The hash of a server's whole tool list (order-independent). */
export function schemaHash(tools: readonly ToolInfo[]): string {
  return sha256(tools.map((t) => `${t.name}\n${toolHash(t)}`).sort().join('\n'));
}
