// Lookspan scraped by a real Prometheus: the exposition passes `promtool check
// metrics`, and every PromQL expression of every dashboard in dashboards/
// parses and returns data for real ingested traffic (OTLP with GenAI and MCP
// attributes, over HTTP and gRPC). Needs `prometheus` and `promtool` on PATH
// (Debian: `apt-get install -y prometheus`, which .ci/run does); skipped otherwise.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from '../../src/receivers/otlp/proto-root.js';
import { rawTraceClient } from '../helpers/grpc.js';
import { hexId, postJson } from '../helpers/otlp-json.js';
import { ROOT, startTestServer, waitFor, waitLoaded, type TestServer } from '../helpers/server.js';

const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const AVAILABLE = onPath('prometheus') && onPath('promtool');
const TITLE = AVAILABLE
  ? 'a real Prometheus scraping Lookspan'
  : 'a real Prometheus scraping Lookspan (SKIPPED: `prometheus` and `promtool` are not on PATH; install them with `apt-get install -y prometheus`, as .ci/run does)';
if (!AVAILABLE) console.warn(`test/metrics/prometheus.test.ts: ${TITLE}`);

// ------------------------------------------------------------------ traffic

const attr = (key: string, v: string | number) =>
  ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });

interface Chat { provider: string; model: string; input: number; output: number; cacheRead: number; reasoning: number }
const CHATS: Chat[] = [
  { provider: 'openai', model: 'gpt-4o-mini', input: 1000, output: 200, cacheRead: 400, reasoning: 50 },
  { provider: 'anthropic', model: 'claude-3-5-sonnet-20241022', input: 2000, output: 300, cacheRead: 500, reasoning: 0 },
];
const TOKENS_PER_BATCH = CHATS.reduce((n, c) => n + c.input + c.output, 0);
const CACHE_READ_PER_BATCH = CHATS.reduce((n, c) => n + c.cacheRead, 0);
/** Spans accepted per batch: two chats, three MCP server spans (two tools/call, one tools/list), one gRPC span. */
const SPANS_PER_BATCH = 6;

/** One trace: two chat spans for two models and an MCP server's spans (a tool call, a failed tool call, tools/list). */
function genAiTrace(traceId: string) {
  const now = BigInt(Date.now()) * 1_000_000n;
  const ms = (n: number) => String(now + BigInt(n) * 1_000_000n);
  const chats = CHATS.map((c, i) => ({
    traceId, spanId: hexId(8), name: `chat ${c.model}`, kind: 3,
    startTimeUnixNano: ms(i * 1000), endTimeUnixNano: ms(i * 1000 + 800 + i * 400),
    attributes: [
      attr('gen_ai.operation.name', 'chat'), attr('gen_ai.provider.name', c.provider), attr('gen_ai.request.model', c.model),
      attr('gen_ai.usage.input_tokens', c.input), attr('gen_ai.usage.output_tokens', c.output),
      attr('gen_ai.usage.cache_read.input_tokens', c.cacheRead),
      ...(c.reasoning ? [attr('gen_ai.usage.reasoning.output_tokens', c.reasoning)] : []),
    ],
    status: { code: 1 },
  }));
  const mcp = (name: string, attributes: ReturnType<typeof attr>[], start: number, end: number, status: number) => ({
    traceId, spanId: hexId(8), name, kind: 2, startTimeUnixNano: ms(start), endTimeUnixNano: ms(end), attributes, status: { code: status },
  });
  const mcpSpans = [
    mcp('tools/call get_forecast', [attr('mcp.method.name', 'tools/call'), attr('gen_ai.tool.name', 'get_forecast')], 3000, 3120, 1),
    mcp('tools/call get_alerts', [attr('mcp.method.name', 'tools/call'), attr('gen_ai.tool.name', 'get_alerts')], 3200, 3230, 2),
    mcp('tools/list', [attr('mcp.method.name', 'tools/list')], 2900, 2905, 0),
    // Invalid (an all-zero span id): refused with reason `invalid` in a partial success.
    { ...mcp('broken', [], 3300, 3301, 0), spanId: '0000000000000000' },
  ];
  return {
    resourceSpans: [
      { resource: { attributes: [attr('service.name', 'support-agent')] }, scopeSpans: [{ scope: { name: 'test' }, spans: chats }] },
      { resource: { attributes: [attr('service.name', 'weather-mcp')] }, scopeSpans: [{ scope: { name: 'test' }, spans: mcpSpans }] },
    ],
  };
}

function grpcBody(traceId: string): Buffer {
  const t = BigInt(Date.now()) * 1_000_000n;
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [attr('service.name', 'grpc-sender')] },
      scopeSpans: [{ spans: [{ traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from(hexId(8), 'hex'), name: 'work', kind: 1, startTimeUnixNano: String(t), endTimeUnixNano: String(t + 5_000_000n) }] }],
    }],
  })).finish());
}

// --------------------------------------------------------------- dashboards

interface Query { where: string; expr: string }

/** Every panel target and variable query of every dashboard, with Grafana's variables substituted. */
async function dashboardQueries(): Promise<Query[]> {
  const dir = path.join(ROOT, 'dashboards');
  const out: Query[] = [];
  const builtins: Record<string, string> = { __rate_interval: '15s', __interval: '15s', __range: '5m', __range_s: '300', __interval_ms: '15000' };
  const substitute = (expr: string) => expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => builtins[(a ?? b)!] ?? '.*');
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
    const d = JSON.parse(await readFile(path.join(dir, file), 'utf8'));
    const walk = (panels: any[]): void => {
      for (const p of panels) {
        walk(p.panels ?? []);
        for (const t of p.targets ?? []) out.push({ where: `${file} "${p.title}" ${t.refId}`, expr: substitute(t.expr) });
      }
    };
    walk(d.panels ?? []);
    for (const v of d.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const m = /^\s*label_values\((.*),\s*\w+\s*\)\s*$/s.exec(v.definition);
      out.push({ where: `${file} variable ${v.name}`, expr: substitute(m ? m[1] : v.definition) });
    }
  }
  return out;
}

// --------------------------------------------------------------- prometheus

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

interface PromResult { status: string; error?: string; data?: { resultType: string; result: any } }

describe.skipIf(!AVAILABLE)(TITLE, () => {
  let server: TestServer;
  let prom: ChildProcess | null = null;
  let promExit: Promise<unknown> = Promise.resolve();
  let promLog = '';
  let promUrl = '';
  let workDir = '';
  const traces: string[] = [];

  const query = async (expr: string): Promise<PromResult> => {
    const res = await fetch(`${promUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    return (await res.json()) as PromResult;
  };
  /** The single value of an instant vector query (undefined while Prometheus has no sample). */
  const value = async (expr: string): Promise<number | undefined> => {
    const r = await query(expr);
    const v = r.data?.result?.[0]?.value?.[1];
    return v === undefined ? undefined : Number(v);
  };
  const scrapes = () => value('count_over_time(lookspan_build_info[10m])');
  /** Waits until Prometheus has scraped `n` more times. */
  const moreScrapes = async (n: number) => {
    const start = (await scrapes()) ?? 0;
    await waitFor(async () => ((await scrapes()) ?? 0) >= start + n, 30_000, 200);
  };

  const ingestBatch = async () => {
    const traceId = hexId(16);
    traces.push(traceId);
    const res = await postJson(`${server.httpUrl}/v1/traces`, genAiTrace(traceId));
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).partialSuccess?.rejectedSpans).toBe('1');
    // A client error for the HTTP error panels: a trace that does not exist.
    expect((await fetch(`${server.httpUrl}/api/traces/${hexId(16)}`)).status).toBe(404);
    const client = rawTraceClient(server.grpcAddress);
    try {
      const { err } = await client.export(grpcBody(hexId(16)));
      expect(err).toBeNull();
    } finally {
      client.close();
    }
  };

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'lookspan-prom-'));
    server = await startTestServer();
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = new URL(server.httpUrl).host;
    const config = path.join(workDir, 'prometheus.yml');
    await writeFile(config, [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: lookspan',
      '    scrape_interval: 1s',
      '    scrape_timeout: 1s',
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'));
    prom = spawn('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(workDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (d) => (promLog += d));
    prom.stderr!.on('data', (d) => (promLog += d));
    promExit = new Promise((resolve) => prom!.once('exit', resolve));
    await waitFor(async () => {
      const r = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as any;
      return r.data.activeTargets.length === 1 && r.data.activeTargets[0].health === 'up';
    }, 60_000, 200).catch((err) => {
      throw new Error(`Prometheus never scraped Lookspan: ${(err as Error).message}\n${promLog}`);
    });
    await ingestBatch();
    await waitLoaded(server);
  }, 90_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await promExit;
    }
    await server?.dispose();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  it('serves an exposition promtool finds nothing to complain about', async () => {
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
  }, 60_000);

  it('accepts the suggested alert rules of docs/metrics.md (promtool check rules)', async () => {
    const md = await readFile(path.join(ROOT, 'docs/metrics.md'), 'utf8');
    const rules = /## Suggested alerts[\s\S]*?```yaml\n([\s\S]*?)```/.exec(md)?.[1];
    expect(rules).toBeTruthy();
    const file = path.join(workDir, 'rules.yml');
    await writeFile(file, rules!);
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('answers every dashboard query with data, and Prometheus reads back what was ingested', async () => {
    // A second batch after some scrapes, so rates and increases see the counters move.
    await moreScrapes(3);
    await ingestBatch();
    await waitLoaded(server);
    const batches = traces.length;
    await waitFor(async () => (await value('sum(lookspan_spans_ingested_total)')) === batches * SPANS_PER_BATCH, 30_000, 200);
    await waitFor(async () => (await value('sum(lookspan_store_spans)')) === batches * SPANS_PER_BATCH, 30_000, 200);
    await moreScrapes(2);

    const failures: string[] = [];
    const queries = await dashboardQueries();
    expect(queries.length).toBeGreaterThan(50);
    for (const q of queries) {
      const r = await query(q.expr);
      if (r.status !== 'success') failures.push(`${q.where}: ${r.error} — ${q.expr}`);
      else if (!Array.isArray(r.data?.result) || r.data!.result.length === 0) failures.push(`${q.where}: no data — ${q.expr}`);
    }
    expect(failures).toEqual([]);

    // Tokens, cost and tool calls as Prometheus stored them, against what was sent and what the API reports.
    expect(await value('sum(lookspan_llm_tokens_total)')).toBe(batches * TOKENS_PER_BATCH);
    for (const c of CHATS) {
      expect(await value(`sum(lookspan_llm_tokens_total{model="${c.model}", direction="input"})`)).toBe(batches * c.input);
      expect(await value(`sum(lookspan_llm_tokens_total{model="${c.model}", direction="output"})`)).toBe(batches * c.output);
    }
    expect(await value('sum(lookspan_llm_token_details_total{type="cache_read"})')).toBe(batches * CACHE_READ_PER_BATCH);
    expect(await value('sum(lookspan_llm_token_details_total{type="reasoning"})')).toBe(batches * 50);
    let apiCost = 0;
    let apiTokens = 0;
    for (const id of traces) {
      const t = (await (await fetch(`${server.httpUrl}/api/traces/${id}`)).json()) as any;
      apiCost += t.totalUsage.costUsd ?? 0;
      apiTokens += t.totalUsage.totalTokens;
    }
    expect(apiTokens).toBe(batches * TOKENS_PER_BATCH);
    expect(apiCost).toBeGreaterThan(0);
    expect(await value('sum(lookspan_llm_cost_usd_total)')).toBeCloseTo(apiCost, 9);
    expect(await value('sum(lookspan_llm_cost_usd_total{project="default"})')).toBeCloseTo(apiCost, 9);
    expect(await value('sum(lookspan_mcp_tool_calls_total{server="weather-mcp"})')).toBe(batches * 2);
    expect(await value('sum(lookspan_mcp_tool_calls_total{tool="get_alerts", status="error"})')).toBe(batches);
    expect(await value('sum(lookspan_llm_call_duration_seconds_count)')).toBe(batches * CHATS.length);
    expect(await value('sum(lookspan_spans_accepted_total{receiver="otlp_grpc"})')).toBe(batches);
    expect(await value('sum(lookspan_grpc_request_duration_seconds_count{code="OK"})')).toBe(batches);
    expect(await value('sum(lookspan_spans_rejected_total{reason="invalid"})')).toBe(batches);
  }, 120_000);
});
