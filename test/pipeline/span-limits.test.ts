/**
 * Span limits (src/pipeline/span-limits.ts): unit tests of applySpanLimits,
 * then one end-to-end run over OTLP/JSON (10,000 attributes and a 10 MB
 * value on one span).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attributes, SpanRecord } from '../../src/model/span-record.js';
import {
  applySpanLimits, DEFAULT_SPAN_LIMITS, SpanLimitCounters, TRUNCATED_ATTRIBUTE, utf8Prefix, type ResourceLimitCache, type SpanLimits,
} from '../../src/pipeline/span-limits.js';
import { loadConfig } from '../../src/config/index.js';
import { hexId, postJson } from '../helpers/otlp-json.js';
import { startTestServer, waitLoaded, type TestServer } from '../helpers/server.js';

const LIMITS: SpanLimits = {
  maxAttributesPerSpan: 3,
  maxAttributeValueBytes: 8,
  maxEventsPerSpan: 2,
  maxLinksPerSpan: 2,
  maxAttributesPerEvent: 1,
  maxAttributesPerLink: 1,
};

function record(over: Partial<SpanRecord> = {}): SpanRecord {
  return {
    attributes: {}, resource: {}, events: [], links: [],
    ...over,
  } as SpanRecord;
}

const attrs = (n: number, value: (i: number) => Attributes[string] = (i) => i): Attributes =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]));

describe('applySpanLimits', () => {
  it('leaves a span within the limits untouched and returns null', () => {
    const rec = record({ attributes: { a: 'short', b: 1, c: [true, 'x'] }, events: [{ time_us: 1, name: 'e', attributes: { x: 1 } }] });
    const before = structuredClone(rec);
    expect(applySpanLimits(rec, LIMITS)).toBeNull();
    expect(rec).toEqual(before);
    expect(TRUNCATED_ATTRIBUTE in rec.attributes).toBe(false);
  });

  it('keeps the first N attributes in key order and marks the rest as dropped', () => {
    const rec = record({ attributes: attrs(10) });
    const r = applySpanLimits(rec, LIMITS)!;
    expect(r.attributes_dropped).toBe(7);
    const { [TRUNCATED_ATTRIBUTE]: marker, ...kept } = rec.attributes;
    expect(kept).toEqual({ k0: 0, k1: 1, k2: 2 });
    expect(marker).toEqual({
      attributes_dropped: 7, values_truncated: 0, events_dropped: 0, links_dropped: 0,
      event_attributes_dropped: 0, link_attributes_dropped: 0, resource_attributes_dropped: 0,
    });
  });

  it('cuts strings to maxAttributeValueBytes of UTF-8, also inside arrays and maps, without splitting a character', () => {
    const rec = record({
      attributes: {
        s: 'abcdefghijkl',
        arr: ['ok', 'mnopqrstuvwx', 5],
        map: { inner: { deep: 'éééééé' } }, // 12 bytes; a 2-byte char never split
        emoji: 'a😀😀😀', // 1 + 4 + 4 + 4 bytes: keep 'a😀' (5), the next would make 9
      },
    });
    const r = applySpanLimits(rec, { ...LIMITS, maxAttributesPerSpan: 10 })!;
    expect(r.values_truncated).toBe(4);
    expect(rec.attributes.s).toBe('abcdefgh');
    expect(rec.attributes.arr).toEqual(['ok', 'mnopqrst', 5]);
    expect((rec.attributes.map as any).inner.deep).toBe('éééé');
    expect(rec.attributes.emoji).toBe('a😀');
    expect((rec.attributes[TRUNCATED_ATTRIBUTE] as any).values_truncated).toBe(4);
  });

  it('utf8Prefix counts bytes, keeps surrogate pairs whole and treats a lone surrogate as 3 bytes', () => {
    expect(utf8Prefix('hello', 10)).toBe('hello');
    expect(utf8Prefix('😀😀', 7)).toBe('😀');
    expect(utf8Prefix('😀😀', 3)).toBe('');
    expect(utf8Prefix('\ud800abc', 4)).toBe('\ud800a');
    const big = 'x'.repeat(10_000_000);
    expect(utf8Prefix(big, 16384)).toHaveLength(16384);
  });

  it('keeps the last N events and the first N links, and caps their attributes', () => {
    const rec = record({
      events: [1, 2, 3, 4].map((i) => ({ time_us: i, name: `e${i}`, attributes: attrs(3, () => 'abcdefghijk') })),
      links: [1, 2, 3].map((i) => ({ trace_id: `t${i}`, span_id: `s${i}`, attributes: attrs(2) })),
    });
    const r = applySpanLimits(rec, LIMITS)!;
    expect(rec.events.map((e) => e.name)).toEqual(['e3', 'e4']);
    expect(rec.events[0].attributes).toEqual({ k0: 'abcdefgh' });
    expect(rec.links.map((l) => l.span_id)).toEqual(['s1', 's2']);
    expect(rec.links[1].attributes).toEqual({ k0: 0 });
    expect(r).toMatchObject({
      events_dropped: 2, links_dropped: 1, event_attributes_dropped: 4, link_attributes_dropped: 2, values_truncated: 2,
    });
  });

  it('limits a shared resource once per cache and reports it on every span that carries it', () => {
    const resource = attrs(5, () => 'abcdefghijk');
    const cache: ResourceLimitCache = new Map();
    const a = record({ resource });
    const b = record({ resource });
    const ra = applySpanLimits(a, LIMITS, cache)!;
    const rb = applySpanLimits(b, LIMITS, cache)!;
    expect(a.resource).toBe(b.resource);
    expect(Object.keys(a.resource)).toEqual(['k0', 'k1', 'k2']);
    expect(a.resource.k0).toBe('abcdefgh');
    for (const r of [ra, rb]) expect(r).toMatchObject({ resource_attributes_dropped: 2, values_truncated: 3, attributes_dropped: 0 });
    // The marker goes on the span, never into the resource.
    expect(TRUNCATED_ATTRIBUTE in a.resource).toBe(false);
    expect(TRUNCATED_ATTRIBUTE in b.attributes).toBe(true);
  });

  it('keeps the attributes Lookspan itself set beyond the cap, and own keys like __proto__ as attributes', () => {
    const attributes = JSON.parse('{"a":1,"b":2,"c":3,"__proto__":"abcdefghijkl","d":4}') as Attributes;
    attributes['lookspan.clamped_end_us'] = 5;
    const rec = record({ attributes });
    const r = applySpanLimits(rec, { ...LIMITS, maxAttributesPerSpan: 4 })!;
    expect(r.attributes_dropped).toBe(1);
    expect(Object.keys(rec.attributes)).toEqual(['a', 'b', 'c', '__proto__', 'lookspan.clamped_end_us', TRUNCATED_ATTRIBUTE]);
    expect(Object.getOwnPropertyDescriptor(rec.attributes, '__proto__')?.value).toBe('abcdefgh');
    expect(Object.getPrototypeOf(rec.attributes)).toBe(Object.prototype);
  });

  it('walks deeply nested values without recursion', () => {
    let deep: any = 'abcdefghijkl';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const rec = record({ attributes: { deep } });
    expect(applySpanLimits(rec, LIMITS)!.values_truncated).toBe(1);
  });

  it('zero limits drop every event and link', () => {
    const rec = record({
      events: [{ time_us: 1, name: 'e', attributes: {} }],
      links: [{ trace_id: 't', span_id: 's', attributes: {} }],
    });
    const r = applySpanLimits(rec, { ...LIMITS, maxEventsPerSpan: 0, maxLinksPerSpan: 0 })!;
    expect(rec.events).toEqual([]);
    expect(rec.links).toEqual([]);
    expect(r).toMatchObject({ events_dropped: 1, links_dropped: 1 });
  });

  it('SpanLimitCounters sums reports by limit and starts every kind at zero', () => {
    const c = new SpanLimitCounters();
    expect([...c.byLimit.values()]).toEqual([0, 0, 0, 0, 0, 0]);
    c.add({ attributes_dropped: 2, values_truncated: 3, events_dropped: 4, links_dropped: 5, event_attributes_dropped: 6, link_attributes_dropped: 7, resource_attributes_dropped: 1 });
    expect(Object.fromEntries(c.byLimit)).toEqual({
      attribute_count: 3, attribute_value_length: 3, event_count: 4, link_count: 5, event_attribute_count: 6, link_attribute_count: 7,
    });
    expect(c.spansTruncated).toBe(1);
  });

  it('the config defaults are the OTel SDK counts and 16 KiB values', () => {
    const l = loadConfig({ env: {} }).limits;
    expect({
      maxAttributesPerSpan: l.maxAttributesPerSpan, maxAttributeValueBytes: l.maxAttributeValueBytes,
      maxEventsPerSpan: l.maxEventsPerSpan, maxLinksPerSpan: l.maxLinksPerSpan,
      maxAttributesPerEvent: l.maxAttributesPerEvent, maxAttributesPerLink: l.maxAttributesPerLink,
    }).toEqual(DEFAULT_SPAN_LIMITS);
    expect(l.maxJsonDepth).toBe(64);
    const env = loadConfig({ env: { LOOKSPAN_MAX_ATTRIBUTES_PER_SPAN: '7', LOOKSPAN_MAX_ATTRIBUTE_VALUE_BYTES: '99', LOOKSPAN_MAX_JSON_DEPTH: '10' } }).limits;
    expect([env.maxAttributesPerSpan, env.maxAttributeValueBytes, env.maxJsonDepth]).toEqual([7, 99, 10]);
  });
});

describe('span limits end to end (OTLP/JSON)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { maxBodyBytes: 64 * 1024 * 1024 } });
  });
  afterAll(async () => server?.dispose());

  const metric = async (limit: string): Promise<number> => {
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const m = new RegExp(`^lookspan_span_limits_applied_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(text);
    expect(m, text).not.toBeNull();
    return Number(m![1]);
  };

  it('exposes the metric family at zero before anything was cut', async () => {
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(text).toContain('# HELP lookspan_span_limits_applied_total ');
    expect(text).toContain('# TYPE lookspan_span_limits_applied_total counter');
    for (const k of ['attribute_count', 'attribute_value_length', 'event_count', 'link_count', 'event_attribute_count', 'link_attribute_count']) {
      expect(await metric(k)).toBe(0);
    }
  });

  it('10,000 attributes and a 10 MB value: 128 attributes stored, the value cut to 16 KiB, the cut marked and counted', async () => {
    const traceId = hexId(16);
    const spanId = hexId(8);
    const big = 'x'.repeat(10 * 1024 * 1024);
    const attributes = [
      { key: 'big', value: { stringValue: big } },
      ...Array.from({ length: 9_999 }, (_, i) => ({ key: `attr.${i}`, value: { intValue: String(i) } })),
    ];
    const start = BigInt(Date.now()) * 1_000_000n;
    const r = await postJson(`${server.httpUrl}/v1/traces`, {
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'span-limits' } }] },
        scopeSpans: [{
          scope: { name: 'test' },
          spans: [{
            traceId, spanId, name: 'wide span', kind: 1,
            startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1_000_000n), attributes,
          }],
        }],
      }],
    });
    expect(r.status).toBe(200);
    await waitLoaded(server);
    const t = (await (await fetch(`${server.httpUrl}/api/traces/${traceId}`)).json()) as any;
    const span = t.spans[0];
    const { [TRUNCATED_ATTRIBUTE]: marker, ...kept } = span.attributes;
    expect(Object.keys(kept)).toHaveLength(128);
    expect(kept.big).toBe('x'.repeat(16 * 1024));
    expect(kept['attr.0']).toBe(0);
    expect(kept['attr.126']).toBe(126);
    expect(kept['attr.127']).toBeUndefined();
    expect(marker).toMatchObject({ attributes_dropped: 10_000 - 128, values_truncated: 1 });
    expect(await metric('attribute_count')).toBe(10_000 - 128);
    expect(await metric('attribute_value_length')).toBe(1);
    const health = (await (await fetch(`${server.httpUrl}/api/health`)).json()) as any;
    expect(health.status).toBe('ok');
  });
});
