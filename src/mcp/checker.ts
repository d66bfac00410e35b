import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServerConfig } from '../config/schema.js';
import { VERSION } from '../version.js';
import { ObservedTransport } from './observed-transport.js';
import { isAlive, killTree, processTree, type ProcessId } from './process-tree.js';
import { openTransport, type OpenedTransport } from './transports.js';
import type { CheckOutcome, CheckStep, StepResult, ToolInfo } from './types.js';

export interface CheckOptions {
  timeoutMs: number;
  /** A successful check slower than this is degraded. */
  degradedMs: number;
  env: NodeJS.ProcessEnv;
  /** Aborts the check (server shutdown): a stdio process is killed at once. */
  signal?: AbortSignal;
  /** How long a stdio server may take to exit after its stdin is closed before it is killed. */
  exitGraceMs?: number;
}

/** tools/list pages read at most, and tools kept (a server listing more is still up; the rest is not hashed). */
const MAX_PAGES = 20;
const MAX_TOOLS = 2000;
const DEFAULT_EXIT_GRACE_MS = 1000;
/** How long to wait for a killed process's exit to be seen before reporting it as left running. */
const KILL_WAIT_MS = 2000;

const ms = (from: number) => Math.round((performance.now() - from) * 10) / 10;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 1000);
const sleep = (n: number) => new Promise<void>((r) => setTimeout(r, n).unref());

class StepFailed extends Error {}

/**
 * One health check of one server with the SDK's Client: initialize (for
 * stdio this includes starting the process), tools/list (every page),
 * resources/list and prompts/list when the server declares them, and ping
 * when configured — each step timed. Down when initialize or tools/list
 * fails or the whole check passes its timeout; degraded when an optional
 * step fails or the check is slower than `degradedMs`. A stdio process is
 * always ended before this returns: politely (stdin closed) after a good
 * check, killed with every process it started after a timeout, a crash or
 * when it does not exit within the grace; the `shutdown` step says which.
 */
export async function checkServer(server: McpServerConfig, opts: CheckOptions): Promise<CheckOutcome> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const steps: StepResult[] = [];
  let opened: OpenedTransport;
  try {
    opened = openTransport(server, opts.env);
  } catch (err) {
    steps.push({ step: 'initialize', status: 'error', latency_ms: null, error: message(err) });
    return { status: 'down', latencyMs: null, error: message(err), steps, tools: null, resourcesCount: null, promptsCount: null, protocolVersion: null, serverInfo: null, startedAt };
  }
  const transport = new ObservedTransport(opened.transport);
  const client = new Client({ name: 'lookspan-health-check', version: VERSION }, { capabilities: {} });
  // Failures surface through the requests; the transport's own error events add nothing to report.
  client.onerror = () => {};
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    client.onclose = () => {
      exited = true;
      resolve();
    };
  });

  const abort = new AbortController();
  let current: CheckStep = 'initialize';
  let timedOut: CheckStep | null = null;
  const timer = setTimeout(() => {
    timedOut = current;
    abort.abort(new Error(`timed out after ${opts.timeoutMs} ms`));
  }, opts.timeoutMs);
  const onShutdown = () => abort.abort(new Error('the server is shutting down'));
  opts.signal?.addEventListener('abort', onShutdown, { once: true });
  // The process tree as last seen while it ran: after the server exits its children are re-parented and no longer found under it.
  let tree: ProcessId[] = [];
  // Kept from the spawn on: when initialize fails the Client closes the transport, which forgets its pid.
  let root: ProcessId | null = null;
  const remember = () => {
    if (root !== null && !exited && isAlive(root)) tree = processTree(root.pid);
  };
  transport.onstart = () => {
    const pid = opened.pid();
    if (pid !== null) root = processTree(pid)[0];
    remember();
  };
  const request = { signal: abort.signal, timeout: opts.timeoutMs };
  const aborted = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true }));
  aborted.catch(() => {});

  async function step<T>(name: CheckStep, fn: () => Promise<T>, required: boolean): Promise<T | undefined> {
    current = name;
    const s0 = performance.now();
    try {
      const v = await Promise.race([fn(), aborted]);
      steps.push({ step: name, status: 'ok', latency_ms: ms(s0), error: null });
      remember();
      return v;
    } catch (err) {
      const why = root !== null && exited && !abort.signal.aborted ? describeExit(err, opened) : message(err);
      steps.push({ step: name, status: 'error', latency_ms: ms(s0), error: why });
      if (required || abort.signal.aborted) throw new StepFailed(`${name}: ${why}`);
      return undefined;
    }
  }

  let tools: ToolInfo[] | null = null;
  let resourcesCount: number | null = null;
  let promptsCount: number | null = null;
  let failure: string | null = null;
  let latencyMs: number | null = null;
  try {
    await step('initialize', () => client.connect(transport, request), true);
    const caps = client.getServerCapabilities() ?? {};
    if (caps.tools) {
      tools = (await step('tools/list', () => listTools(client, request), true)) ?? null;
    } else {
      steps.push({ step: 'tools/list', status: 'skipped', latency_ms: null, error: 'the server declares no tools capability' });
      tools = [];
    }
    if (caps.resources) {
      resourcesCount = (await step('resources/list', async () => (await client.listResources(undefined, request)).resources.length, false)) ?? null;
    } else steps.push({ step: 'resources/list', status: 'skipped', latency_ms: null, error: 'not declared' });
    if (caps.prompts) {
      promptsCount = (await step('prompts/list', async () => (await client.listPrompts(undefined, request)).prompts.length, false)) ?? null;
    } else steps.push({ step: 'prompts/list', status: 'skipped', latency_ms: null, error: 'not declared' });
    if (server.ping) await step('ping', () => client.ping(request), false);
    else steps.push({ step: 'ping', status: 'skipped', latency_ms: null, error: 'not configured' });
    latencyMs = ms(t0);
  } catch (err) {
    failure = err instanceof StepFailed ? err.message : message(err);
    if (timedOut !== null) failure = `timed out after ${opts.timeoutMs} ms during ${timedOut}`;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onShutdown);
  }

  const serverVersion = client.getServerVersion();
  const shutdown = await end(client, opened, root, tree, exit, () => exited, failure !== null, opts.exitGraceMs ?? DEFAULT_EXIT_GRACE_MS);
  if (shutdown) steps.push(shutdown.step);
  if (shutdown?.leftRunning) failure = `${failure ?? 'check passed'}; ${shutdown.step.error}`;

  const optionalFailed = steps.some((s) => s.status === 'error' && s.step !== 'shutdown');
  const status = failure !== null ? 'down' : optionalFailed || (latencyMs !== null && latencyMs > opts.degradedMs) ? 'degraded' : 'up';
  const error = failure ?? (optionalFailed ? steps.filter((s) => s.status === 'error').map((s) => `${s.step}: ${s.error}`).join('; ')
    : status === 'degraded' ? `slow: ${latencyMs} ms (degraded above ${opts.degradedMs} ms)` : null);
  return {
    status, latencyMs: failure === null ? latencyMs : ms(t0), error, steps, tools, resourcesCount, promptsCount,
    protocolVersion: transport.protocolVersion,
    serverInfo: serverVersion ? { name: serverVersion.name, version: serverVersion.version } : null,
    startedAt,
  };
}

async function listTools(client: Client, request: { signal: AbortSignal; timeout: number }): Promise<ToolInfo[]> {
  const out: ToolInfo[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES && out.length < MAX_TOOLS; page++) {
    const r = await client.listTools(cursor === undefined ? undefined : { cursor }, request);
    for (const t of r.tools) {
      out.push({
        name: t.name, description: t.description ?? null, input_schema: (t.inputSchema ?? {}) as Record<string, unknown>,
        annotations: (t.annotations as Record<string, unknown> | undefined) ?? null,
      });
    }
    cursor = r.nextCursor;
    if (cursor === undefined) break;
  }
  return out.slice(0, MAX_TOOLS);
}

function describeExit(err: unknown, opened: OpenedTransport): string {
  const tail = opened.stderrTail();
  return `${message(err)} (the server process exited${tail ? `; stderr: ${tail.slice(-500)}` : ''})`;
}

/**
 * Ends the connection. Remote: closes the session (bounded). Stdio: a good
 * check closes stdin and waits `graceMs` for the exit; a failed one (or one
 * that does not exit in time) kills the process tree; processes it started
 * that outlived it are killed either way.
 */
async function end(client: Client, opened: OpenedTransport, root: ProcessId | null, lastTree: ProcessId[], exit: Promise<void>,
  exited: () => boolean, failed: boolean, graceMs: number): Promise<{ step: StepResult; leftRunning: boolean } | null> {
  if (root === null) {
    await Promise.race([opened.terminate().catch(() => {}), sleep(graceMs)]);
    await Promise.race([client.close().catch(() => {}), sleep(graceMs)]);
    return null;
  }
  const s0 = performance.now();
  const tree = !exited() && isAlive(root) ? processTree(root.pid) : lastTree.length > 0 ? lastTree : [root];
  let how: string;
  const killed = new Set<number>();
  if (failed && !exited()) {
    for (const pid of killTree(tree)) killed.add(pid);
    how = `killed after the failed check (SIGKILL to ${killed.size} process(es): pid ${[...killed].join(', ')})`;
  } else {
    // The SDK's close ends stdin, then signals on its own after seconds; the grace here is shorter.
    const closing = client.close().catch(() => {});
    await Promise.race([exit, sleep(graceMs)]);
    if (!exited()) {
      for (const pid of killTree(tree)) killed.add(pid);
      how = `did not exit within ${graceMs} ms of stdin closing: killed (SIGKILL to ${killed.size} process(es): pid ${[...killed].join(', ')})`;
    } else how = failed ? 'had already exited' : 'exited after stdin closed';
    void closing;
  }
  // Processes the server started and left behind (re-parented when it exited), not already signalled above.
  const orphans = killTree(tree.slice(1).filter((p) => !killed.has(p.pid)));
  if (orphans.length > 0) {
    for (const pid of orphans) killed.add(pid);
    how += `; killed ${orphans.length} process(es) it left running (pid ${orphans.join(', ')})`;
  }
  await Promise.race([exit, sleep(KILL_WAIT_MS)]);
  for (let i = 0; i < 20 && tree.some(isAlive); i++) await sleep(50);
  const survivors = tree.filter(isAlive);
  if (survivors.length > 0) {
    return { step: { step: 'shutdown', status: 'error', latency_ms: ms(s0), error: `process(es) ${survivors.map((p) => p.pid).join(', ')} still running after SIGKILL` }, leftRunning: true };
  }
  await client.close().catch(() => {});
  return { step: { step: 'shutdown', status: killed.size > 0 ? 'error' : 'ok', latency_ms: ms(s0), error: killed.size > 0 || failed ? how : null }, leftRunning: false };
}
