/**
 * The fuzz harness: a real Lookspan started in-process (startTestServer:
 * 127.0.0.1, port 0, temp dir), requests sent over HTTP and gRPC, and the
 * invariants of "nothing acknowledged is ever lost or hidden" checked after
 * every case:
 *
 *  1. no-5xx      no response is 5xx / a gRPC INTERNAL-like status (503/429
 *                 with Retry-After, RESOURCE_EXHAUSTED/UNAVAILABLE, would be
 *                 overload and are tolerated), no request goes unanswered;
 *  2. accounting  every answer accounts for every span sent: OTLP 200 with
 *                 partialSuccess.rejectedSpans + accepted == sent (accepted as
 *                 counted by the server), native {accepted, rejected,
 *                 duplicates?} == sent, or a 400 naming the problem (a field
 *                 path on native routes);
 *  3. queryable   every acknowledged span is found under its ids once the
 *                 loader has caught up (GET /api/traces/:traceId, or
 *                 GET /api/traces/spans for ToolCallSpans with derived ids);
 *  4. healthy     /api/health says `ok` (a loader error or a quarantined WAL
 *                 segment means acknowledged data could not be loaded) and
 *                 /metrics answers.
 *
 * A case that breaks an invariant leaves the server suspect (a quarantined
 * segment makes it `degraded` for good), so the next case gets a fresh one.
 */
import http from 'node:http';
import fc from 'fast-check';
import type { CaseM, QueryM } from './arbitraries.js';
import { bodyPreview, buildCase, type BuiltRequest, type SentEntry, wellFormed } from './encode.js';
import { rawTraceClient } from '../helpers/grpc.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { decodeStatus, ExportTraceServiceResponse } from '../../src/receivers/otlp/proto-root.js';

export type Invariant = 'no-5xx' | 'accounting' | 'queryable' | 'healthy';

export interface Violation {
  inv: Invariant;
  route: string;
  /** Short, stable description used to group violations (numbers and ids stripped). */
  reason: string;
  detail: string;
}

/** Groups violations: health is server-wide, so a health problem is one violation whichever route led to it. */
export const signature = (v: Violation) => `${v.inv} | ${v.inv === 'healthy' ? '*' : v.route} | ${v.reason}`;

/** Strips what differs between two occurrences of one problem: numbers, quoted values, hex ids. */
export function normalizeReason(s: string): string {
  return s
    .replace(/"[^"]*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b[0-9a-f]{16,}\b/gi, 'ID')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, 'N')
    .replace(/\/[^\s:]*\/wal\/[^\s:]*/g, '<segment>')
    .replace(/\s+/g, ' ')
    .slice(0, 160);
}

interface Health {
  status: string;
  accepted: number;
  rejected: number;
  loadedSpans: number;
  lagSpans: number;
  queuedSpans: number;
  lastError: string | null;
  quarantinedSegments: number;
  raw: any;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One sample line of the Prometheus text exposition format:
 * name{label="value",...} value [timestamp]. Values as Go's ParseFloat reads
 * them (what Prometheus uses): decimal or exponent notation, NaN/Inf/Infinity
 * in any case.
 */
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"';
const VALUE = '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?[iI][nN][fF]([iI][nN][iI][tT][yY])?|[nN][aA][nN]';
export const PROM_SAMPLE = new RegExp(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{(${LABEL}(,${LABEL})*,?)?\\})? (${VALUE})( -?[0-9]+)?$`);

const REQUEST_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
const SETTLE_TIMEOUT_MS = 10_000;
const GRPC_GZIP = 2; // grpc.compression algorithm id for gzip

/** Percent-encodes one path segment or query value so that the server sees exactly `s` (dots too: no ./.. segments). */
export const enc = (s: string) => encodeURIComponent(wellFormed(s)).replace(/\./g, '%2E');

const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
const text = (b: Buffer) => cut(b.toString('utf8'));

export interface HarnessOptions {
  /** Extra config for the server under test. */
  overrides?: Parameters<typeof startTestServer>[0];
}

export class FuzzHarness {
  server!: TestServer;
  private agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private grpcPlain!: ReturnType<typeof rawTraceClient>;
  private grpcGzip!: ReturnType<typeof rawTraceClient>;
  private suspect = false;
  private nonce = 0;
  private inFlight: Promise<unknown> = Promise.resolve();
  /** Counters for reports. */
  readonly stats = { cases: 0, requests: 0, spansSent: 0, spansAcked: 0, lookups: 0, restarts: 0, queries: 0, bodyBytes: 0, msBuild: 0, msSend: 0, msSettle: 0, msLookup: 0 };

  /** Per route: requests, spans sent, spans acknowledged, answers by status. */
  readonly byRoute = new Map<string, { requests: number; sent: number; acked: number; statuses: Record<string, number> }>();

  private constructor(private readonly opts: HarnessOptions) {}

  static async start(opts: HarnessOptions = {}): Promise<FuzzHarness> {
    const h = new FuzzHarness(opts);
    await h.boot();
    return h;
  }

  private async boot(): Promise<void> {
    this.server = await startTestServer({
      ...this.opts.overrides,
      server: { shutdownTimeoutSeconds: 2, ...(this.opts.overrides?.server ?? {}) },
      pipeline: { segmentMaxAgeMs: 50, ...(this.opts.overrides?.pipeline ?? {}) },
    });
    this.grpcPlain = rawTraceClient(this.server.grpcAddress);
    this.grpcGzip = rawTraceClient(this.server.grpcAddress, { 'grpc.default_compression_algorithm': GRPC_GZIP });
    this.suspect = false;
  }

  private async shutdown(): Promise<void> {
    this.grpcPlain?.close();
    this.grpcGzip?.close();
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    await Promise.race([this.server?.dispose().catch(() => {}), new Promise((r) => setTimeout(r, 8000).unref())]);
  }

  /** A fresh server (and data dir): after a violation the old one may hold a quarantined segment or a stuck loader. */
  async restart(): Promise<void> {
    this.stats.restarts++;
    await this.shutdown();
    await this.boot();
  }

  async dispose(): Promise<void> {
    await this.quiesce();
    await this.shutdown();
  }

  /** Waits for a case still running (fast-check's time limit abandons predicates without stopping them). */
  async quiesce(): Promise<void> {
    await this.inFlight.catch(() => {});
  }

  // ----------------------------------------------------------------- I/O

  request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Reply> {
    const url = new URL(this.server.httpUrl);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, method, path, agent: this.agent, headers: body ? { ...headers, 'content-length': String(body.length) } : headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async getJson(path: string): Promise<{ status: number; body: any; raw: Buffer }> {
    const r = await this.request('GET', path);
    let body: any = null;
    try {
      body = JSON.parse(r.body.toString('utf8'));
    } catch {
      body = null;
    }
    return { status: r.status, body, raw: r.body };
  }

  async health(): Promise<Health> {
    const { body } = await this.getJson('/api/health');
    return {
      status: body?.status,
      accepted: body?.ingest?.acceptedSpans ?? 0,
      rejected: body?.ingest?.rejectedSpans ?? 0,
      loadedSpans: body?.store?.loader?.loadedSpans ?? 0,
      lagSpans: body?.store?.wal?.lag?.spans ?? 0,
      queuedSpans: body?.store?.wal?.queuedSpans ?? 0,
      lastError: body?.store?.error ?? null,
      quarantinedSegments: body?.store?.loader?.quarantinedSegments ?? 0,
      raw: body,
    };
  }

  // ----------------------------------------------------------- one case

  /** Runs one case and returns every violation it caused (empty: all invariants held). */
  runCase(c: CaseM): Promise<Violation[]> {
    return this.serialized(() => this.suspectOnThrow(() => this.runCaseInner(c)));
  }

  /** An exception (server gone, harness error) fails the case; the next one gets a fresh server. */
  private async suspectOnThrow<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.suspect = true;
      throw err;
    }
  }

  /** A case abandoned by a time limit may still be running: never run two at once. */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.inFlight.catch(() => {}).then(fn);
    this.inFlight = run;
    return run;
  }

  private async runCaseInner(c: CaseM): Promise<Violation[]> {
    if (this.suspect || (await this.health().catch(() => null))?.status !== 'ok') await this.restart();
    this.stats.cases++;
    let t = performance.now();
    const lap = (k: 'msBuild' | 'msSend' | 'msSettle' | 'msLookup') => {
      const now = performance.now();
      this.stats[k] += now - t;
      t = now;
    };
    const built = buildCase(c, ++this.nonce);
    lap('msBuild');
    const violations: Violation[] = [];
    const acked: Array<{ b: BuiltRequest; e: SentEntry }> = [];
    const counts: Array<{ b: BuiltRequest; entries: SentEntry[]; min: number }> = [];
    for (const b of built) {
      this.stats.requests++;
      this.stats.spansSent += b.entries.length;
      this.stats.bodyBytes += b.body.length;
      const before = await this.health();
      const ans = await this.send(b);
      const after = await this.health();
      const outcome = this.judge(b, ans, after.accepted - before.accepted, violations);
      this.stats.spansAcked += outcome.accepted;
      const r = this.byRoute.get(b.route) ?? { requests: 0, sent: 0, acked: 0, statuses: {} };
      r.requests++;
      r.sent += b.entries.length;
      r.acked += outcome.accepted;
      const st = ans.kind === 'http' ? String(ans.reply.status) : ans.kind === 'grpc' ? `grpc ${ans.code}` : 'error';
      r.statuses[st] = (r.statuses[st] ?? 0) + 1;
      this.byRoute.set(b.route, r);
      for (const e of outcome.acked) acked.push({ b, e });
      if (outcome.count) counts.push({ b, ...outcome.count });
    }
    const routes = [...new Set(built.map((b) => b.route))].join('+');
    lap('msSend');
    const settled = await this.settle();
    lap('msSettle');
    const h = settled.health;
    if (settled.timedOut) {
      violations.push({ inv: 'healthy', route: routes, reason: 'loader did not catch up', detail: `acknowledged spans not loaded within ${SETTLE_TIMEOUT_MS} ms: ${cut(JSON.stringify(h.raw?.store))}` });
    }
    if (h.status !== 'ok') {
      const err = h.lastError ?? '';
      violations.push({
        inv: 'healthy',
        route: routes,
        reason: `health ${h.status}${err ? `: ${normalizeReason(err)}` : ''}${h.quarantinedSegments ? ' (segment quarantined)' : ''}${h.raw?.store?.quarantine?.reasons?.length ? ` [${normalizeReason(h.raw.store.quarantine.reasons.join('; '))}]` : ''}`,
        detail: `/api/health status "${h.status}" after the case; store: ${cut(JSON.stringify(h.raw?.store), 800)}`,
      });
    }
    const metrics = await this.request('GET', '/metrics').catch((err: Error) => ({ status: 0, body: Buffer.from(err.message), headers: {} }));
    if (metrics.status !== 200 || metrics.body.length === 0) {
      violations.push({ inv: 'healthy', route: routes, reason: `/metrics ${metrics.status}`, detail: `/metrics answered ${metrics.status}: ${text(metrics.body)}` });
    } else {
      const bad = metrics.body.toString('utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#') && !PROM_SAMPLE.test(l));
      if (bad.length > 0) violations.push({ inv: 'healthy', route: routes, reason: '/metrics not in the Prometheus text format', detail: `${bad.length} line(s) a Prometheus scrape cannot parse, e.g. ${cut(JSON.stringify(bad.slice(0, 3)), 400)}` });
    }
    // Lookups only make sense once the loader has caught up; a stuck loader is already reported above.
    if (!settled.timedOut && !h.lastError) await this.lookups(acked, counts, violations);
    lap('msLookup');
    if (violations.length > 0) {
      this.suspect = true;
      for (const v of violations) v.detail += `\n    requests: ${built.map((b) => `${b.route} ${b.path}${b.gzip ? ' (gzip)' : ''}${b.encoder ? ` [${b.encoder}]` : ''}: ${bodyPreview(b)}`).join('\n              ')}`;
    }
    return violations;
  }

  private async send(b: BuiltRequest): Promise<{ kind: 'http'; reply: Reply } | { kind: 'grpc'; code: number; details: string; response: Buffer | null } | { kind: 'error'; message: string }> {
    try {
      if (b.route === 'otlp-grpc') {
        const client = b.gzip ? this.grpcGzip : this.grpcPlain;
        const { err, response } = await Promise.race([
          client.export(b.body),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no gRPC answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS).unref()),
        ]);
        return { kind: 'grpc', code: err ? err.code : 0, details: err ? err.details : '', response };
      }
      return { kind: 'http', reply: await this.request('POST', b.path, b.headers, b.body) };
    } catch (err) {
      return { kind: 'error', message: (err as Error).message };
    }
  }

  /** Invariants 1 and 2 for one answer; returns what it acknowledged. */
  private judge(
    b: BuiltRequest,
    ans: Awaited<ReturnType<FuzzHarness['send']>>,
    counted: number,
    out: Violation[],
  ): { accepted: number; acked: SentEntry[]; count?: { entries: SentEntry[]; min: number } } {
    const sent = b.entries.length;
    const nothing = { accepted: 0, acked: [] as SentEntry[] };
    const v = (inv: Invariant, reason: string, detail: string) => out.push({ inv, route: b.route, reason, detail });
    const noneCounted = (what: string) => {
      if (counted !== 0) v('accounting', `${what} but spans counted as accepted`, `${what}, yet /api/health counted ${counted} span(s) accepted`);
    };
    if (ans.kind === 'error') {
      v('no-5xx', 'no answer', `${b.route} ${b.path}: ${ans.message}`);
      return nothing;
    }
    const isOtlp = b.route.startsWith('otlp-');
    let status: number;
    let rejected = 0;
    let message = '';
    if (ans.kind === 'grpc') {
      if (ans.code === 3) {
        if (!ans.details) v('accounting', 'INVALID_ARGUMENT without details', 'gRPC INVALID_ARGUMENT with empty details');
        noneCounted('INVALID_ARGUMENT');
        return nothing;
      }
      if (ans.code === 8 || ans.code === 14) {
        noneCounted(`overload status ${ans.code}`);
        return nothing; // overload: retryable, nothing acknowledged
      }
      if (ans.code !== 0) {
        v('no-5xx', `gRPC status ${ans.code}`, `gRPC Export answered status ${ans.code}: ${cut(ans.details)}`);
        return nothing;
      }
      status = 200;
      try {
        const r = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(ans.response ?? Buffer.alloc(0)), { longs: Number }) as any;
        rejected = Number(r.partialSuccess?.rejectedSpans ?? 0);
        message = r.partialSuccess?.errorMessage ?? '';
      } catch (err) {
        v('accounting', 'undecodable ExportTraceServiceResponse', `gRPC OK with a body that is not an ExportTraceServiceResponse: ${(err as Error).message}`);
        return nothing;
      }
    } else {
      const r = ans.reply;
      status = r.status;
      const retryAfter = r.headers['retry-after'];
      if ((status === 503 || status === 429) && retryAfter) {
        noneCounted(`overload ${status}`);
        return nothing;
      }
      if (status >= 500) {
        v('no-5xx', `status ${status}`, `POST ${b.path} answered ${status}${retryAfter ? '' : ' (no Retry-After)'}: ${text(r.body)}`);
        return nothing;
      }
      if (status === 400) {
        noneCounted('400');
        if (isOtlp) {
          const ok = b.route === 'otlp-http-json'
            ? (() => {
                try {
                  const j = JSON.parse(r.body.toString('utf8'));
                  return j.code === 3 && typeof j.message === 'string' && j.message.length > 0;
                } catch {
                  return false;
                }
              })()
            : (() => {
                try {
                  const st = decodeStatus(r.body);
                  return st.code === 3 && st.message.length > 0;
                } catch {
                  return false;
                }
              })();
          if (!ok) v('accounting', '400 without a google.rpc.Status', `OTLP 400 whose body is not a google.rpc.Status INVALID_ARGUMENT: ${text(r.body)}`);
        } else {
          let j: any = null;
          try {
            j = JSON.parse(r.body.toString('utf8'));
          } catch {
            /* not JSON */
          }
          const problems = j?.error?.problems;
          const named = Array.isArray(problems) && problems.length > 0 && problems.every((p: any) => typeof p?.path === 'string' && p.path.length > 0 && typeof p?.message === 'string');
          const okShape = j?.error?.code === 'invalid' && typeof j?.error?.message === 'string';
          // A body that is not JSON (or not the expected shape at the top) cannot name a span field; otherwise the 400 must.
          const mustName = !b.malformed && b.parsed !== null && typeof b.parsed === 'object' && !(b.route === 'native-ingest' && Array.isArray(b.parsed));
          if (!okShape || (mustName && !named)) v('accounting', '400 not naming a field', `native 400 without error.problems[].path: ${text(r.body)}`);
          else if (named) {
            const astray = problems.map((p: any) => p.path as string).filter((p: string) => !spanPathInBody(b.parsed, p));
            if (astray.length > 0) v('accounting', '400 names a span that is not in the body', `native 400 names ${cut(JSON.stringify(astray), 200)}, which the body sent (${Array.isArray(b.parsed) ? 'a bare array' : 'an object'}) does not have: ${text(r.body)}`);
          }
        }
        return nothing;
      }
      // Bodies past the configured limits (16 MiB on the wire, 64 MiB after gzip) are refused whole, as documented.
      if (status === 413 && (b.body.length > DEFAULT_MAX_BODY_BYTES || b.plain.length > DEFAULT_MAX_DECOMPRESSED_BYTES)) {
        noneCounted('413');
        return nothing;
      }
      if (status < 200 || status >= 300) {
        v('accounting', `unexpected status ${status}`, `POST ${b.path} (${b.body.length} bytes) answered ${status}: ${text(r.body)}`);
        noneCounted(`status ${status}`);
        return nothing;
      }
      if (isOtlp) {
        try {
          if (b.route === 'otlp-http-json') {
            const j = JSON.parse(r.body.toString('utf8'));
            rejected = Number(j.partialSuccess?.rejectedSpans ?? 0);
            message = j.partialSuccess?.errorMessage ?? '';
          } else {
            const d = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(r.body), { longs: Number }) as any;
            rejected = Number(d.partialSuccess?.rejectedSpans ?? 0);
            message = d.partialSuccess?.errorMessage ?? '';
          }
        } catch (err) {
          v('accounting', 'undecodable ExportTraceServiceResponse', `OTLP ${status} with a body that is not an ExportTraceServiceResponse: ${(err as Error).message}: ${text(r.body)}`);
          return nothing;
        }
      } else {
        // Native: {accepted, rejected, duplicates?}
        let j: any = null;
        try {
          j = JSON.parse(r.body.toString('utf8'));
        } catch {
          /* checked below */
        }
        const accepted = j?.accepted;
        const rej = j?.rejected;
        const dup = j?.duplicates;
        const int = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
        if (!int(accepted) || !int(rej) || (dup !== undefined && !int(dup))) {
          v('accounting', 'native answer without counts', `native ${status} body is not {accepted, rejected, duplicates?}: ${text(r.body)}`);
          return nothing;
        }
        const sum = accepted + rej;
        if (sum !== sent && !(dup !== undefined && sum + dup === sent)) {
          v('accounting', 'native counts do not add up', `sent ${sent} span(s), answered ${text(r.body)}`);
        }
        if (counted !== accepted && !(dup !== undefined && counted === accepted + dup)) {
          v('accounting', 'native answer differs from counters', `answered ${text(r.body)} but /api/health counted ${counted} accepted`);
        }
        const keyed = b.entries.filter((e) => e.key || e.derived);
        if (rej === 0) return { accepted, acked: keyed };
        return { accepted, acked: [], count: { entries: keyed, min: accepted - (b.entries.length - keyed.length) } };
      }
    }
    // OTLP 200 (HTTP or gRPC).
    if (b.malformed) {
      const keyed = b.entries.filter((e) => e.key);
      return { accepted: counted, acked: [], count: { entries: keyed, min: Math.min(counted, keyed.length) } };
    }
    if (!Number.isSafeInteger(rejected) || rejected < 0 || rejected > sent) {
      v('accounting', 'rejectedSpans out of range', `sent ${sent} span(s), partialSuccess.rejectedSpans = ${rejected}`);
      return nothing;
    }
    const accepted = sent - rejected;
    if (counted !== accepted) {
      v('accounting', 'rejectedSpans + accepted != sent', `sent ${sent}, rejectedSpans ${rejected} (so ${accepted} accepted), but /api/health counted ${counted} accepted; message: ${cut(message)}`);
    }
    if (rejected > 0 && !message) v('accounting', 'rejectedSpans without errorMessage', `rejectedSpans ${rejected} with an empty errorMessage`);
    if (rejected === 0) return { accepted, acked: b.entries.filter((e) => e.key) };
    // Rejected spans are named by position (decoder) or by ids (value checks); with up to 5 reasons every one may be known.
    const refused = new Set<SentEntry>();
    let ambiguous = false;
    for (const w of new Set(message.match(/resourceSpans\[\d+\]\.scopeSpans\[\d+\]\.spans\[\d+\]/g) ?? [])) {
      const e = b.entries.find((x) => x.where === w);
      if (e) refused.add(e);
      else ambiguous = true;
    }
    for (const m of message.matchAll(/span ([0-9a-f]{32})\/([0-9a-f]{16}):/g)) {
      const es = b.entries.filter((x) => x.key && x.key.traceId === m[1] && x.key.spanId === m[2]);
      if (es.length === 1) refused.add(es[0]);
      else ambiguous = true;
    }
    if (!ambiguous && refused.size === rejected) {
      return { accepted, acked: b.entries.filter((e) => e.key && !refused.has(e)) };
    }
    const keyed = b.entries.filter((e) => e.key);
    return { accepted, acked: [], count: { entries: keyed, min: accepted - (b.entries.length - keyed.length) } };
  }

  /** Seals the WAL segment and waits until every acknowledged span is loaded, or the loader reports an error. */
  private async settle(): Promise<{ health: Health; timedOut: boolean }> {
    const wal = (this.server.store as any)?.wal;
    if (wal && typeof wal.sealNow === 'function') await wal.sealNow().catch(() => {});
    const end = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const h = await this.health();
      if (h.lastError || h.quarantinedSegments > 0 || h.status !== 'ok') return { health: h, timedOut: false };
      if (h.lagSpans === 0 && h.queuedSpans === 0 && h.loadedSpans >= h.accepted) return { health: h, timedOut: false };
      if (Date.now() > end) return { health: h, timedOut: true };
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Invariant 3: every acknowledged span is found under its ids. */
  private async lookups(
    acked: Array<{ b: BuiltRequest; e: SentEntry }>,
    counts: Array<{ b: BuiltRequest; entries: SentEntry[]; min: number }>,
    out: Violation[],
  ): Promise<void> {
    const traces = new Map<string, { status: number; ids: Set<string>; body: any }>();
    const getTrace = async (project: string, traceId: string) => {
      const k = JSON.stringify([project, traceId]);
      let t = traces.get(k);
      if (!t) {
        this.stats.lookups++;
        const path = `/api/traces/${enc(traceId)}?projectId=${enc(project)}`;
        const r = await this.getJson(path).catch((err: Error) => ({ status: 0, body: { error: err.message }, raw: Buffer.alloc(0) }));
        t = { status: r.status, ids: new Set((r.body?.spans ?? []).map((s: any) => s.id)), body: r.body };
        traces.set(k, t);
        if (r.status >= 500) out.push({ inv: 'no-5xx', route: 'GET /api/traces/:traceId', reason: `status ${r.status}`, detail: `GET ${cut(path, 200)} answered ${r.status}: ${text(r.raw)}` });
      }
      return t;
    };
    // ToolCallSpans without a trace_id: found by start time (a 1 ms window) and server_name, which may be too long for a URL.
    const windows = new Map<string, { status: number; rows: any[] }>();
    const getWindow = async (project: string, startedAt: unknown) => {
      const ms = typeof startedAt === 'string' ? Date.parse(startedAt) : NaN;
      if (!Number.isFinite(ms)) return { status: -1, rows: [] as any[] };
      const k = JSON.stringify([project, ms]);
      let w = windows.get(k);
      if (!w) {
        this.stats.lookups++;
        const path = `/api/traces/spans?project_id=${enc(project)}&from=${ms}&to=${ms + 1}&limit=1000`;
        const r = await this.getJson(path).catch((err: Error) => ({ status: 0, body: { error: err.message }, raw: Buffer.alloc(0) }));
        w = { status: r.status, rows: Array.isArray(r.body?.spans) ? r.body.spans : [] };
        windows.set(k, w);
        if (r.status >= 500) out.push({ inv: 'no-5xx', route: 'GET /api/traces/spans', reason: `status ${r.status}`, detail: `GET ${cut(path, 200)} answered ${r.status}: ${text(r.raw)}` });
      }
      return w;
    };
    const byServer = async (d: NonNullable<SentEntry['derived']>) => {
      const w = await getWindow(d.project, d.startedAt);
      const rows = w.rows.filter((x) => x.server_name === wellFormed(d.serverName));
      return { status: w.status, rows, ids: new Set(rows.map((x) => x.span_id as string)) };
    };
    const lost = (b: BuiltRequest, e: SentEntry, how: string, values: string[], detail: string) => {
      const shape = values.map(idShape).find((x) => x !== null);
      out.push({ inv: 'queryable', route: b.route, reason: `acknowledged span not found: ${how}${shape ? ` (${shape})` : ''}`, detail: `${b.route} ${e.where}: ${detail}` });
    };

    const derivedGroups = new Map<string, { b: BuiltRequest; e: SentEntry; identities: Set<string> }>();
    for (const { b, e } of acked) {
      if (e.key) {
        const t = await getTrace(e.key.project, e.key.traceId);
        if (t.status !== 200 || !t.ids.has(wellFormed(e.key.spanId))) {
          const how = t.status !== 200 ? `trace lookup ${t.status}` : Array.isArray(t.body?.spans) && !('id' in (t.body ?? {})) ? 'GET /api/traces/:traceId answered another route' : 'span missing from its trace';
          lost(b, e, how, [e.key.traceId, e.key.spanId, e.key.project], `trace ${cut(JSON.stringify(e.key.traceId), 80)} span ${cut(JSON.stringify(e.key.spanId), 80)} (project ${cut(JSON.stringify(e.key.project), 40)}): GET /api/traces/:traceId → ${t.status}${t.status === 200 ? `, spans ${cut(JSON.stringify([...t.ids]), 200)}` : ` ${cut(JSON.stringify(t.body), 200)}`}`);
        }
      } else if (e.derived) {
        const d = e.derived;
        const k = JSON.stringify([d.project, d.traceId, d.traceId === null ? [d.serverName, Date.parse(String(d.startedAt))] : null]);
        const g = derivedGroups.get(k) ?? { b, e, identities: new Set<string>() };
        g.identities.add(d.identity);
        derivedGroups.set(k, g);
        if (d.spanId !== null) {
          const ids = d.traceId !== null ? (await getTrace(d.project, d.traceId)).ids : (await byServer(d)).ids;
          if (!ids.has(wellFormed(d.spanId))) lost(b, e, 'ToolCallSpan span_id not found', [d.traceId ?? '', d.spanId, d.serverName, d.project], `span_id ${cut(JSON.stringify(d.spanId), 80)} (trace ${d.traceId === null ? 'derived' : cut(JSON.stringify(d.traceId), 80)}) not found`);
        }
      }
    }
    for (const { b, e, identities } of derivedGroups.values()) {
      const d = e.derived!;
      const have = d.traceId !== null ? (await getTrace(d.project, d.traceId)).ids.size : (await byServer(d)).rows.length;
      if (have < identities.size) {
        lost(b, e, 'ToolCallSpan without span_id not found', [d.traceId ?? '', d.serverName, d.project], `${identities.size} ToolCallSpan(s) without ids acknowledged, ${have} found (${d.traceId !== null ? `trace ${cut(JSON.stringify(d.traceId), 80)}` : `server_name ${cut(JSON.stringify(d.serverName), 80)} started_at ${JSON.stringify(d.startedAt)}`})`);
      }
    }
    for (const { b, entries, min } of counts) {
      if (min <= 0) continue;
      let found = 0;
      for (const e of entries) {
        if (!e.key) continue;
        const t = await getTrace(e.key.project, e.key.traceId);
        if (t.ids.has(wellFormed(e.key.spanId))) found++;
      }
      if (found < min) out.push({ inv: 'queryable', route: b.route, reason: 'acknowledged spans not found', detail: `${b.route}: at least ${min} span(s) acknowledged, ${found} of the candidates found` });
    }
  }

  // ---------------------------------------------------------- query side

  /** Seeds a little data so that queries touch rows. */
  async seed(): Promise<void> {
    const now = BigInt(Date.now()) * 1_000_000n;
    await this.request('POST', '/v1/traces', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz-seed' } }] },
        scopeSpans: [{ spans: [{
          traceId: 'f0e1f0e1f0e1f0e1f0e1f0e1f0e1f0e1', spanId: 'f0e1f0e1f0e1f0e1', name: 'chat', startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1000n),
          attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'chat' } }, { key: 'session.id', value: { stringValue: 'fuzz-session' } }],
        }] }],
      }],
    })));
    await this.request('POST', '/api/traces/spans', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify([
      { server_name: 'fuzz-srv', tool_name: 'search', started_at: new Date().toISOString(), session_id: 'fuzz-session', agent_name: 'fuzz' },
    ])));
    await this.settle();
  }

  runQuery(q: QueryM): Promise<Violation[]> {
    return this.serialized(() => this.suspectOnThrow(() => this.runQueryInner(q)));
  }

  private async runQueryInner(q: QueryM): Promise<Violation[]> {
    if (this.suspect) await this.restart();
    this.stats.queries++;
    const base = q.route === 'traces' ? '/api/traces' : q.route === 'spans' ? '/api/traces/spans' : `/api/traces/${enc(q.id)}`;
    const qs = q.params.map(([n, v, raw]) => `${enc(n)}=${raw ? v : enc(v)}`).join('&');
    const path = qs ? `${base}?${qs}` : base;
    const route = `GET ${q.route === 'trace' ? '/api/traces/:traceId' : base}`;
    const out: Violation[] = [];
    let r: Reply;
    try {
      r = await this.request('GET', path);
    } catch (err) {
      out.push({ inv: 'no-5xx', route, reason: 'no answer', detail: `GET ${cut(path, 300)}: ${(err as Error).message}` });
      this.suspect = true;
      return out;
    }
    if (r.status >= 500) {
      out.push({ inv: 'no-5xx', route, reason: `status ${r.status}`, detail: `GET ${cut(path, 300)} answered ${r.status}: ${text(r.body)}` });
    } else if (r.status === 200 && q.route !== 'trace') {
      let j: any = null;
      try {
        j = JSON.parse(r.body.toString('utf8'));
      } catch {
        /* below */
      }
      const list = q.route === 'traces' ? j?.traces : j?.spans;
      // The trace list counts all matches only when asked (?total=1); it always says whether more follow.
      // Lists count all matches only when asked (?total=1); they always say whether more follow.
      // (`hasMore` on the Lookspan trace list, `has_more` on the langsight span list.)
      const more = q.route === 'traces' ? j?.hasMore : j?.has_more;
      const counted = typeof more === 'boolean' && (j?.total === undefined || Number.isSafeInteger(j.total));
      if (!Array.isArray(list) || !counted || !Number.isSafeInteger(j?.limit) || !Number.isSafeInteger(j?.offset)) {
        out.push({ inv: 'accounting', route, reason: 'list without {items, hasMore|has_more, limit, offset}', detail: `GET ${cut(path, 300)} answered 200: ${text(r.body)}` });
      }
    }
    const h = await this.health();
    if (h.status !== 'ok') out.push({ inv: 'healthy', route, reason: `health ${h.status}`, detail: `after GET ${cut(path, 300)}: ${cut(JSON.stringify(h.raw?.store))}` });
    if (out.length) this.suspect = true;
    return out;
  }
}

/**
 * Whether a problem path's span part (`spans[3]`, `[3]`) exists in the body
 * that was sent; paths not about one span (`spans`, `projectId`, `(body)`)
 * pass. Field names after the span are not checked (keys may hold dots).
 */
export function spanPathInBody(body: unknown, path: string): boolean {
  const m = /^(spans)?\[(\d+)\]/.exec(path);
  if (!m) return true;
  const list = m[1] ? (body && typeof body === 'object' && !Array.isArray(body) ? (body as { spans?: unknown }).spans : undefined) : body;
  return Array.isArray(list) && Number(m[2]) < list.length;
}

/**
 * A fast-check plugin that bounds a property by wall clock in two phases:
 * `searchMs` to look for a counterexample, then, once one is found,
 * `shrinkMs` to shrink it (an interrupted shrink still reports the smallest
 * counterexample so far; a search that found nothing passes).
 */
export function timeBudget(searchMs: number, shrinkMs: number): fc.UniversalPlugin {
  return () => {
    const t0 = performance.now();
    let failedAt: number | null = null;
    const note = (r: unknown) => {
      if (r !== null && typeof r === 'object' && !fc.PreconditionFailure.isFailure(r)) failedAt ??= performance.now();
      return r;
    };
    return {
      decorateRun: (nested) => ((value: any) => {
        const now = performance.now();
        if (failedAt === null ? now - t0 > searchMs : now - failedAt > shrinkMs) return new fc.PreconditionFailure(true);
        const out: any = nested(value);
        return out && typeof out.then === 'function' ? out.then(note) : note(out);
      }) as any,
    };
  };
}

/** What is special about an id or name that went missing (groups violations by likely cause), or null. */
export function idShape(s: string): string | null {
  if (s.startsWith('\ufeff')) return 'value starts with U+FEFF';
  if (!s.isWellFormed()) return 'value has a lone surrogate';
  if (s.includes('\u0000')) return 'value has NUL';
  if (s === '.' || s === '..') return 'value is a dot segment';
  if (/^(spans|otlp)$/.test(s)) return `value is the route word "${s}"`;
  if (/[/?#%]/.test(s)) return 'value has URL syntax';
  if (s.length > 120) return 'long value';
  return null;
}

/** Violations as one readable block (for thrown errors and reports). */
export function formatViolations(vs: Violation[]): string {
  return vs.map((v) => `[${v.inv}] ${v.route}: ${v.reason}\n    ${v.detail}`).join('\n');
}
