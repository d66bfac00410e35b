import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { McpServerConfig } from '../config/schema.js';

/** The last bytes of a stdio server's stderr kept for the error of a failed check. */
const STDERR_TAIL_BYTES = 2048;

/** A transport to one server, with what the checker needs to end it. */
export interface OpenedTransport {
  transport: Transport;
  /** The stdio process id once started; null for remote transports. */
  pid(): number | null;
  /** The end of the stdio server's stderr (empty for remote transports). */
  stderrTail(): string;
  /** Streamable HTTP: ends the session politely (DELETE); a no-op otherwise. */
  terminate(): Promise<void>;
}

/** A configuration problem found when opening (an auth variable that is not set): the check is down with this message. */
export class TransportConfigError extends Error {
  override name = 'TransportConfigError';
}

/** The headers of `headersFromEnv`, read from `env` now (so a rotated secret is used at the next check). */
export function authHeaders(server: McpServerConfig, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [header, variable] of Object.entries(server.headersFromEnv)) {
    const v = env[variable];
    if (v === undefined || v === '') throw new TransportConfigError(`environment variable ${variable} (for header ${header}) is not set`);
    out[header] = v;
  }
  return out;
}

/** Builds the SDK transport for `server` (not started: the Client starts it). */
export function openTransport(server: McpServerConfig, env: NodeJS.ProcessEnv): OpenedTransport {
  if (server.transport === 'stdio') {
    const t = new StdioClientTransport({ command: server.command!, args: server.args, env: server.env, cwd: server.cwd, stderr: 'pipe' });
    let tail = '';
    t.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    return { transport: t, pid: () => t.pid, stderrTail: () => tail.trim(), terminate: async () => {} };
  }
  const headers = authHeaders(server, env);
  const url = new URL(server.url!);
  if (server.transport === 'sse') {
    const t = new SSEClientTransport(url, { requestInit: { headers } });
    return { transport: t, pid: () => null, stderrTail: () => '', terminate: async () => {} };
  }
  const t = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  return { transport: t, pid: () => null, stderrTail: () => '', terminate: () => t.terminateSession() };
}
