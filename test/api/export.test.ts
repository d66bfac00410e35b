/**
 * GET /api/export/traces: headers and provenance, the SHA-256 of the CSV
 * body, the BOM, formula-injection cells, ordering, redaction on and off,
 * filters, caps and the truncation flag, HTML escaping of hostile names and
 * a self-contained report, Parquet read back by an independent reader, and
 * the same files before and after a seal.
 */
import { createHash } from 'node:crypto';
import { parquetMetadata, parquetReadObjects, type Compressors } from 'hyparquet';
import { compressors as hyparquetCompressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, seal, type NativeSpan } from '../helpers/read-data.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const HOSTILE = [
  '=cmd|\' /c calc\'!A0', '+SUM(1,2)', '-2+3', '@evil()', '\tTabbed', '\rCarriage',
  'quote "x", comma', 'line\nbreak', '<script>alert(1)</script> & "co" \'q\'',
];
const FRAMEWORKS = ['langgraph', 'openai-agents', '<b>fw</b>'];
const SECRET = 'pii-secret@example.com';
const PROMPT = 'the captured prompt text';

function generate(): NativeSpan[] {
  const spans: NativeSpan[] = [];
  for (let i = 0; i < 30; i++) {
    const traceId = `exp-${String(i).padStart(2, '0')}`;
    // Traces 10 and 11 start at the same instant: the id breaks the tie.
    const start = T0 + (i === 11 ? 10 : i) * 60_000;
    const name = i < HOSTILE.length ? HOSTILE[i] : `trace ${i}`;
    spans.push({
      traceId, spanId: `${traceId}-r`, type: 'agent', name, startedAt: start, endedAt: start + 1500 + i,
      framework: FRAMEWORKS[i % 3], agentName: i === 0 ? '=agent' : 'agent', sessionId: `s-${i % 4}`, userId: `user-${i}`,
      status: i % 5 === 0 ? 'error' : 'ok', attributes: { email: SECRET },
    });
    spans.push({
      traceId, spanId: `${traceId}-c`, parentSpanId: `${traceId}-r`, type: 'llm_call', name: 'chat', model: 'gpt-4o', provider: 'openai',
      startedAt: start + 10, endedAt: start + 900, usage: { inputTokens: 100 + i, outputTokens: 10 + i, costUsd: 0.001 * (i + 1) }, input: PROMPT, output: 'answer',
      framework: FRAMEWORKS[i % 3],
    });
  }
  return spans;
}

const spans = generate();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await ingest(server, spans);
});
afterAll(async () => server?.dispose());

interface Got { status: number; headers: Headers; bytes: Buffer; text: string }
async function exportOf(query: string): Promise<Got> {
  const r = await fetch(`${server.httpUrl}/api/export/traces${query}`);
  const bytes = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, bytes, text: bytes.toString('utf8') };
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A small RFC 4180 reader (quoted fields with doubled quotes and line breaks), for checking what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; } else cell += c;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

const expectedOrder = () => [...new Set(spans.map((s) => s.traceId))]
  .map((id) => ({ id, start: Math.min(...spans.filter((s) => s.traceId === id).map((s) => s.startedAt)) }))
  .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1))
  .map((t) => t.id);

describe('CSV (the default)', () => {
  let csv: Got;
  beforeAll(async () => { csv = await exportOf(''); });

  it('carries the provenance headers, the file name and the SHA-256 of the exact body', () => {
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="lookspan-traces-\d{8}T\d{6}Z\.csv"$/);
    expect(csv.headers.get('x-lookspan-export-sha256')).toBe(sha(csv.bytes));
    expect(csv.headers.get('x-lookspan-export-count')).toBe('30');
    expect(csv.headers.get('x-lookspan-export-truncated')).toBe('false');
    expect(Number(csv.headers.get('content-length'))).toBe(csv.bytes.length);
  });

  it('starts with a UTF-8 BOM and holds one row per trace, started_at then trace_id ascending', () => {
    expect([...csv.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(csv.text.slice(1));
    expect(rows[0]).toEqual(['id', 'name', 'framework', 'agent', 'session', 'service', 'startedAt', 'endedAt', 'durationMs', 'status',
      'spans', 'errors', 'llmCalls', 'toolCalls', 'inputTokens', 'outputTokens', 'totalTokens', 'costUsd', 'models']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(expectedOrder());
    expect(rows.slice(1).findIndex((r) => r[0] === 'exp-10')).toBeLessThan(rows.slice(1).findIndex((r) => r[0] === 'exp-11'));
  });

  it('neutralizes every text cell a spreadsheet would run, and leaves numbers alone', () => {
    const rows = new Map(parseCsv(csv.text.slice(1)).slice(1).map((r) => [r[0], r]));
    for (const [i, name] of HOSTILE.entries()) {
      const got = rows.get(`exp-${String(i).padStart(2, '0')}`)![1];
      expect(got).toBe(/^[=+\-@\t\r]/.test(name) ? `'${name}` : name);
    }
    expect(rows.get('exp-00')![3]).toBe('\'=agent');
    const r5 = rows.get('exp-05')!;
    expect(r5.slice(8)).toEqual(['1505', 'error', '2', '1', '1', '0', '105', '15', '120', '0.006', 'gpt-4o']);
  });

  it('never holds attributes, payloads or user ids', () => {
    expect(csv.text).not.toContain(SECRET);
    expect(csv.text).not.toContain(PROMPT);
    expect(csv.text).not.toContain('user-');
  });
});

describe('JSON', () => {
  it('wraps the traces in the provenance block, attributes and payloads left out by default', async () => {
    const [json, csv] = [await exportOf('?format=json'), await exportOf('')];
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.headers.get('content-disposition')).toMatch(/filename="lookspan-traces-\d{8}T\d{6}Z\.json"/);
    const body = JSON.parse(json.text);
    expect(body).toMatchObject({ tool: 'lookspan', format: 'json', count: 30, totalAvailable: 30, truncated: false, raw: false });
    expect(typeof body.version).toBe('string');
    expect(Date.parse(body.exportedAt)).toBeGreaterThan(0);
    expect(body.filters).toMatchObject({ projectId: 'default', framework: null, status: null, sessionId: null, limit: 1000 });
    // The hash is the CSV body's, in the header and the body alike.
    expect(body.sha256).toBe(sha(csv.bytes));
    expect(json.headers.get('x-lookspan-export-sha256')).toBe(body.sha256);
    expect(body.traces.map((t: any) => t.id)).toEqual(expectedOrder());
    const t = body.traces.find((x: any) => x.id === 'exp-03');
    expect(t).toMatchObject({ name: '@evil()', totalUsage: { inputTokens: 103, outputTokens: 13, totalTokens: 116 } });
    expect(t.totalUsage.costUsd).toBeCloseTo(0.004, 12);
    expect(t.spans.map((s: any) => s.id)).toEqual(['exp-03-r', 'exp-03-c']);
    for (const key of ['"attributes"', '"input"', '"output"', '"userId"', '"resource"']) expect(json.text).not.toContain(key);
    expect(json.text).not.toContain(SECRET);
    expect(json.text).not.toContain(PROMPT);
  });

  it('raw=1 includes them, and says so', async () => {
    const json = await exportOf('?format=json&raw=1');
    const body = JSON.parse(json.text);
    expect(body.raw).toBe(true);
    const t = body.traces.find((x: any) => x.id === 'exp-03');
    expect(t.userId).toBe('user-3');
    expect(t.spans[0].attributes).toMatchObject({ email: SECRET });
    expect(JSON.parse(t.spans[1].input)).toBe(PROMPT);
    // Redaction changes the JSON, never the canonical CSV hash.
    expect(body.sha256).toBe(json.headers.get('x-lookspan-export-sha256'));
    expect(body.sha256).toBe(sha((await exportOf('')).bytes));
  });

  it('raw applies to JSON only: the CSV stays metadata-only', async () => {
    const csv = await exportOf('?raw=1');
    expect(csv.text).not.toContain(SECRET);
    expect(csv.headers.get('x-lookspan-export-sha256')).toBe(sha(csv.bytes));
  });
});

describe('filters, caps and truncation', () => {
  it('applies framework, status and sessionId as /api/traces does, and names them in the provenance', async () => {
    const body = JSON.parse((await exportOf('?format=json&framework=langgraph&status=error&sessionId=s-0')).text);
    const want = expectedOrder().filter((id) => { const i = Number(id.slice(4)); return i % 3 === 0 && i % 5 === 0 && i % 4 === 0; });
    expect(body.traces.map((t: any) => t.id)).toEqual(want);
    expect(body.filters).toMatchObject({ framework: 'langgraph', status: 'error', sessionId: 's-0' });
  });

  it('limit keeps the oldest traces and reports the truncation', async () => {
    const csv = await exportOf('?limit=3');
    expect(csv.headers.get('x-lookspan-export-count')).toBe('3');
    expect(csv.headers.get('x-lookspan-export-truncated')).toBe('true');
    expect(csv.headers.get('x-lookspan-export-total-available')).toBe('30');
    expect(parseCsv(csv.text.slice(1)).slice(1).map((r) => r[0])).toEqual(expectedOrder().slice(0, 3));
    const json = JSON.parse((await exportOf('?format=json&limit=3')).text);
    expect(json).toMatchObject({ count: 3, totalAvailable: 30, truncated: true });
  });

  it('refuses a limit above 10000, a bad format or status with a 400 naming it', async () => {
    for (const [q, name] of [['limit=10001', 'limit'], ['limit=0', 'limit'], ['format=xlsx', 'format'], ['status=failed', 'status'], ['raw=yes', 'raw']]) {
      const r = await exportOf(`?${q}`);
      expect(r.status, q).toBe(400);
      expect(JSON.parse(r.text).error.problems[0].path).toBe(name);
    }
  });

  it('exports 1000 traces by default and says how many matched', async () => {
    const many: NativeSpan[] = Array.from({ length: 1005 }, (_, i) => ({
      traceId: `many-${String(i).padStart(4, '0')}`, spanId: 'r', type: 'agent', name: 'run', startedAt: T0 + i, endedAt: T0 + i + 1,
    }));
    await ingest(server, many, 'many');
    const csv = await exportOf('?projectId=many');
    expect(csv.headers.get('x-lookspan-export-count')).toBe('1000');
    expect(csv.headers.get('x-lookspan-export-truncated')).toBe('true');
    expect(csv.headers.get('x-lookspan-export-total-available')).toBe('1005');
    const rows = parseCsv(csv.text.slice(1)).slice(1);
    expect(rows).toHaveLength(1000);
    expect(rows[999][0]).toBe('many-0999');
  });
});

describe('HTML', () => {
  it('is one self-contained report: provenance, cards, four inline SVG charts, the table, the hash in the footer', async () => {
    const html = await exportOf('?format=html');
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-disposition')).toMatch(/filename="lookspan-traces-\d{8}T\d{6}Z\.html"/);
    const t = html.text;
    expect(t.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(t.match(/<svg /g)).toHaveLength(4);
    expect(t.match(/<tr[ >]/g)!.length).toBe(31);
    // Nothing fetched from anywhere, nothing run.
    for (const bad of ['<script', ' src=', 'href=', 'url(', '@import', '<link', '<iframe']) expect(t.toLowerCase()).not.toContain(bad);
    expect(t).toContain(`<code>${html.headers.get('x-lookspan-export-sha256')}</code>`);
    expect(t).not.toContain('class="banner"');
    expect(t).not.toContain(SECRET);
  });

  it('escapes hostile names everywhere (table, charts, filters)', async () => {
    const t = (await exportOf('?format=html&framework=%3Cb%3Efw%3C%2Fb%3E')).text;
    expect(t).not.toContain('<b>fw</b>');
    expect(t).toContain('&lt;b&gt;fw&lt;/b&gt;');
    const all = (await exportOf('?format=html')).text;
    expect(all).not.toContain('<script>alert(1)</script>');
    expect(all).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot; &#39;q&#39;');
  });

  it('shows a banner when the limit dropped traces', async () => {
    const t = (await exportOf('?format=html&limit=5')).text;
    expect(t).toContain('class="banner"');
    expect(t).toMatch(/holds 5 of the 30 traces/);
  });
});

describe('Parquet', () => {
  const compressors: Compressors = { ZSTD: (input: Uint8Array, n: number) => hyparquetCompressors.ZSTD!(input, n) };

  it('is read back by an independent reader, with the provenance in its key-value metadata', async () => {
    const pq = await exportOf('?format=parquet');
    expect(pq.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(pq.headers.get('content-disposition')).toMatch(/filename="lookspan-traces-\d{8}T\d{6}Z\.parquet"/);
    const file = pq.bytes.buffer.slice(pq.bytes.byteOffset, pq.bytes.byteOffset + pq.bytes.length) as ArrayBuffer;
    const meta = parquetMetadata(file);
    const kv = new Map((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expect(kv.get('lookspan.sha256')).toBe(pq.headers.get('x-lookspan-export-sha256'));
    expect(kv.get('lookspan.count')).toBe('30');
    expect(JSON.parse(kv.get('lookspan.provenance')!)).toMatchObject({ tool: 'lookspan', format: 'parquet', count: 30, truncated: false });
    const rows = await parquetReadObjects({ file, compressors });
    expect(rows.map((r) => r.id)).toEqual(expectedOrder());
    const r3 = rows.find((r) => r.id === 'exp-03')!;
    expect(r3).toMatchObject({ name: '@evil()', framework: 'langgraph', status: 'ok' });
    expect(Number(r3.input_tokens)).toBe(103);
    expect(Object.keys(r3)).not.toContain('user_id');
  });
});

describe('before and after a seal', () => {
  it('the CSV is the same file, the JSON the same but for exportedAt', async () => {
    const csv = await exportOf('');
    const json = JSON.parse((await exportOf('?format=json&raw=1')).text);
    await seal(server);
    const csv2 = await exportOf('');
    expect(csv2.bytes.equals(csv.bytes)).toBe(true);
    expect(csv2.headers.get('x-lookspan-export-sha256')).toBe(csv.headers.get('x-lookspan-export-sha256'));
    const json2 = JSON.parse((await exportOf('?format=json&raw=1')).text);
    expect({ ...json2, exportedAt: null }).toEqual({ ...json, exportedAt: null });
  });
});
