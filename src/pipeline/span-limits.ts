import { setOwn } from '../model/attributes.js';
import type { Attributes, AttrValue, SpanRecord } from '../model/span-record.js';

/**
 * Per-span limits on what a stored span may carry, after the OTel SDK's
 * SpanLimits (attributeCountLimit, attributeValueLengthLimit,
 * eventCountLimit, linkCountLimit, attributePerEventCountLimit,
 * attributePerLinkCountLimit). The config keys of the same names under
 * `limits` set them (src/config/schema.ts).
 */
export interface SpanLimits {
  /** Attributes kept per span, and per resource: the first ones in key order. */
  maxAttributesPerSpan: number;
  /** Longest string value, UTF-8 bytes, wherever it sits in an attribute value (arrays, maps), on spans, events, links and resources. */
  maxAttributeValueBytes: number;
  /** Events kept per span: the last ones (the OTel JS SDK drops the oldest). */
  maxEventsPerSpan: number;
  /** Links kept per span: the first ones. */
  maxLinksPerSpan: number;
  maxAttributesPerEvent: number;
  maxAttributesPerLink: number;
}

export const DEFAULT_SPAN_LIMITS: Readonly<SpanLimits> = {
  maxAttributesPerSpan: 128,
  maxAttributeValueBytes: 16 * 1024,
  maxEventsPerSpan: 128,
  maxLinksPerSpan: 128,
  maxAttributesPerEvent: 128,
  maxAttributesPerLink: 128,
};

/**
 * What the limits cut from one span; stored as the attribute
 * `lookspan.truncated` when anything was cut. Counts are items: attributes
 * (keys) dropped, string values shortened, events and links dropped.
 */
export interface SpanLimitReport {
  /** Span attributes past `maxAttributesPerSpan`. */
  attributes_dropped: number;
  /** String values cut to `maxAttributeValueBytes` (span, event, link and resource attributes). */
  values_truncated: number;
  events_dropped: number;
  links_dropped: number;
  /** Over all kept events. */
  event_attributes_dropped: number;
  /** Over all kept links. */
  link_attributes_dropped: number;
  /** Resource attributes past `maxAttributesPerSpan`. */
  resource_attributes_dropped: number;
}

/** The attribute that marks a span cut by the limits. */
export const TRUNCATED_ATTRIBUTE = 'lookspan.truncated';

/**
 * Attributes Lookspan itself sets on a span before the limits run (the
 * native agent id, the clamped-end marker of src/pipeline/span-values.ts):
 * kept beyond the attribute cap and not counted against it, so a span with
 * many attributes keeps what Lookspan says about it.
 */
const LOOKSPAN_MARKERS: ReadonlySet<string> = new Set(['lookspan.agent.id', 'lookspan.clamped_end_us', TRUNCATED_ATTRIBUTE]);

/** The `limit` label values of `lookspan_span_limits_applied_total`. */
export const SPAN_LIMIT_KINDS = [
  'attribute_count', 'attribute_value_length', 'event_count', 'link_count', 'event_attribute_count', 'link_attribute_count',
] as const;
export type SpanLimitKind = (typeof SPAN_LIMIT_KINDS)[number];

/** Items dropped or truncated by the span limits, by limit (metric `lookspan_span_limits_applied_total`). */
export class SpanLimitCounters {
  /** Every kind is present from the start, so the metric shows zeros too. */
  readonly byLimit = new Map<SpanLimitKind, number>(SPAN_LIMIT_KINDS.map((k) => [k, 0]));
  /** Spans with a `lookspan.truncated` marker. */
  spansTruncated = 0;

  add(r: SpanLimitReport): void {
    this.bump('attribute_count', r.attributes_dropped + r.resource_attributes_dropped);
    this.bump('attribute_value_length', r.values_truncated);
    this.bump('event_count', r.events_dropped);
    this.bump('link_count', r.links_dropped);
    this.bump('event_attribute_count', r.event_attributes_dropped);
    this.bump('link_attribute_count', r.link_attributes_dropped);
    this.spansTruncated++;
  }

  private bump(k: SpanLimitKind, n: number): void {
    if (n > 0) this.byLimit.set(k, this.byLimit.get(k)! + n);
  }
}

/** What limiting one resource object gave; shared by every span of a ResourceSpans. */
interface LimitedResource {
  resource: Attributes;
  dropped: number;
  truncated: number;
}

/** Per-request memo of limited resources, keyed by the (shared) original resource object. */
export type ResourceLimitCache = Map<object, LimitedResource>;

/**
 * Applies the span limits to a finished record, in place: caps the
 * attribute count (span and resource), shortens long strings, caps events,
 * links and their attributes. When anything was cut it sets
 * `lookspan.truncated` to the report (an attribute beyond the cap, so a cut
 * span holds at most `maxAttributesPerSpan` attributes plus the marker) and
 * returns it; otherwise returns null and leaves the record as it was.
 *
 * The resource object is usually shared by every span of a request: pass
 * one `cache` per request so it is limited once and every span gets the
 * same limited object (and reports the same counts, since each stored row
 * carries it).
 */
export function applySpanLimits(rec: SpanRecord, limits: SpanLimits, cache?: ResourceLimitCache): SpanLimitReport | null {
  const maxBytes = limits.maxAttributeValueBytes;
  const r: SpanLimitReport = {
    attributes_dropped: 0, values_truncated: 0, events_dropped: 0, links_dropped: 0,
    event_attributes_dropped: 0, link_attributes_dropped: 0, resource_attributes_dropped: 0,
  };

  const span = limitAttributes(rec.attributes, limits.maxAttributesPerSpan, maxBytes, LOOKSPAN_MARKERS);
  rec.attributes = span.attributes;
  r.attributes_dropped = span.dropped;
  r.values_truncated = span.truncated;

  if (rec.resource && typeof rec.resource === 'object') {
    let lr = cache?.get(rec.resource);
    if (lr === undefined) {
      const l = limitAttributes(rec.resource, limits.maxAttributesPerSpan, maxBytes);
      lr = { resource: l.attributes, dropped: l.dropped, truncated: l.truncated };
      cache?.set(rec.resource, lr);
      // A span may come back with the limited object itself (same request, already seen).
      if (lr.resource !== rec.resource) cache?.set(lr.resource, { resource: lr.resource, dropped: lr.dropped, truncated: lr.truncated });
    }
    rec.resource = lr.resource;
    r.resource_attributes_dropped = lr.dropped;
    r.values_truncated += lr.truncated;
  }

  if (Array.isArray(rec.events) && rec.events.length > 0) {
    if (rec.events.length > limits.maxEventsPerSpan) {
      r.events_dropped = rec.events.length - limits.maxEventsPerSpan;
      rec.events = limits.maxEventsPerSpan === 0 ? [] : rec.events.slice(-limits.maxEventsPerSpan);
    }
    for (const e of rec.events) {
      const l = limitAttributes(e.attributes, limits.maxAttributesPerEvent, maxBytes);
      e.attributes = l.attributes;
      r.event_attributes_dropped += l.dropped;
      r.values_truncated += l.truncated;
    }
  }

  if (Array.isArray(rec.links) && rec.links.length > 0) {
    if (rec.links.length > limits.maxLinksPerSpan) {
      r.links_dropped = rec.links.length - limits.maxLinksPerSpan;
      rec.links = rec.links.slice(0, limits.maxLinksPerSpan);
    }
    for (const k of rec.links) {
      const l = limitAttributes(k.attributes, limits.maxAttributesPerLink, maxBytes);
      k.attributes = l.attributes;
      r.link_attributes_dropped += l.dropped;
      r.values_truncated += l.truncated;
    }
  }

  if (r.attributes_dropped + r.values_truncated + r.events_dropped + r.links_dropped
    + r.event_attributes_dropped + r.link_attributes_dropped + r.resource_attributes_dropped === 0) return null;
  setOwn(rec.attributes, TRUNCATED_ATTRIBUTE, { ...r });
  return r;
}

/**
 * The first `max` keys of an attribute map (a new object only when some are
 * dropped) with every string value cut to `maxBytes` (also used for log
 * records, src/pipeline/log-limits.ts).
 */
export function limitAttributes(
  attrs: Attributes | null | undefined, max: number, maxBytes: number, protect?: ReadonlySet<string>,
): { attributes: Attributes; dropped: number; truncated: number } {
  if (attrs == null || typeof attrs !== 'object') return { attributes: {}, dropped: 0, truncated: 0 };
  let count = 0;
  for (const _ in attrs) count++;
  let out = attrs;
  let dropped = 0;
  if (count > max) {
    out = {};
    let kept = 0;
    for (const k in attrs) {
      if (protect?.has(k)) setOwn(out, k, attrs[k]);
      else if (kept < max) {
        setOwn(out, k, attrs[k]);
        kept++;
      } else dropped++;
    }
  }
  return { attributes: out, dropped, truncated: truncateStrings(out, maxBytes) };
}

/**
 * Cuts every string inside `root` (an attribute map, values nested through
 * arrays and maps) to `maxBytes` of UTF-8, in place, with an explicit stack
 * rather than recursion. Returns how many strings were cut.
 */
function truncateStrings(root: Attributes, maxBytes: number): number {
  let truncated = 0;
  const stack: Array<AttrValue[] | Record<string, AttrValue>> = [root];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if (Array.isArray(c)) {
      for (let i = 0; i < c.length; i++) {
        const v = c[i];
        if (typeof v === 'string') {
          if (v.length * 3 > maxBytes) {
            const cut = utf8Prefix(v, maxBytes);
            if (cut.length !== v.length) {
              c[i] = cut;
              truncated++;
            }
          }
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    } else {
      for (const k in c) {
        const v = c[k];
        if (typeof v === 'string') {
          if (v.length * 3 > maxBytes) {
            const cut = utf8Prefix(v, maxBytes);
            if (cut.length !== v.length) {
              setOwn(c, k, cut);
              truncated++;
            }
          }
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    }
  }
  return truncated;
}

/**
 * The longest prefix of `s` within `maxBytes` bytes of UTF-8, never
 * splitting a character (a surrogate pair counts 4 bytes and is kept or cut
 * whole; a lone surrogate counts 3, as U+FFFD). Scans at most `maxBytes`
 * code units, so a 10 MB string costs no more than a short one.
 */
export function utf8Prefix(s: string, maxBytes: number): string {
  let bytes = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        size = 4;
        units = 2;
      } else size = 3;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return i === n ? s : s.slice(0, i);
}
