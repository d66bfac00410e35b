import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema, type McpServerConfig } from '../../src/config/schema.js';
import { isAlive, type ProcessId } from '../../src/mcp/process-tree.js';
import { ROOT } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/mcp/fixtures/stdio-server.ts');
const HANG_FIXTURE = path.join(ROOT, 'test/mcp/fixtures/hang-server.mjs');

/** A temp dir where stdio fixtures record their pids (and the drift fixture's version file). */
export async function fixtureDir(): Promise<{ dir: string; setVersion(v: number): Promise<void>; stateFile: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lookspan-mcp-'));
  const stateFile = path.join(dir, 'version.state');
  await writeFile(stateFile, '1');
  return { dir, stateFile, setVersion: (v) => writeFile(stateFile, String(v)), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** A stdio server config running the fixture in `mode` (node with the tsx loader, one process). */
export function stdioServer(name: string, mode: string, dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', FIXTURE, mode], cwd: ROOT,
    env: { MCP_FIXTURE_PIDS: dir, MCP_FIXTURE_STATE: path.join(dir, 'version.state') }, ...extra,
  };
}

/** A stdio server config running hang-server.mjs (`before-init` or `after-init`). */
export function hangingServer(name: string, mode: 'before-init' | 'after-init', dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, transport: 'stdio', command: process.execPath, args: [HANG_FIXTURE, mode], cwd: ROOT, env: { MCP_FIXTURE_PIDS: dir }, ...extra };
}

/** The config as the schema parses it (defaults filled in). */
export function parsed(s: Record<string, unknown>): McpServerConfig {
  return configSchema.parse({ mcp: { servers: [s] } }).mcp.servers[0];
}

/** The processes the fixtures recorded (pid files), with what each was. */
export async function recordedProcesses(dir: string): Promise<Array<{ pid: number; what: string }>> {
  const { readFile } = await import('node:fs/promises');
  const out: Array<{ pid: number; what: string }> = [];
  for (const f of await readdir(dir)) {
    if (!/^\d+$/.test(f)) continue;
    out.push({ pid: Number(f), what: await readFile(path.join(dir, f), 'utf8') });
  }
  return out;
}

/** Recorded processes still running (a zombie awaiting its reaper has ended). */
export async function survivors(dir: string): Promise<Array<{ pid: number; what: string }>> {
  return (await recordedProcesses(dir)).filter((p) => isAlive({ pid: p.pid, start: null } satisfies ProcessId));
}
