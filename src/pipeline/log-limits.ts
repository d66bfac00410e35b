import { setOwn } from '../model/attributes.js';
import type { Attributes, AttrValue } from '../model/span-record.js';
import { limitAttributes, TRUNCATED_ATTRIBUTE, type SpanLimits } from './span-limits.js';

/** What the limits cut from one log record; stored as `lookspan.truncated` when anything was. */
export interface LogLimitReport {
  attributes_dropped: number;
  values_truncated: number;
  resource_attributes_dropped: number;
}

/** Per-request memo of limited resources (a ResourceLogs' records share one object). */
export type LogResourceCache = Map<object, { resource: Attributes; dropped: number; truncated: number }>;

/**
 * The span limits applied to a log record, in place: its attributes and its
 * resource's are capped at `maxAttributesPerSpan` (first keys kept), and
 * every string, in attributes, resource and body (nested values included),
 * is cut to `maxAttributeValueBytes`. A record that lost anything gets the
 * attribute `lookspan.truncated` with the counts, as a span does.
 */
export function applyLogLimits(
  rec: { attributes: Attributes; resource: Attributes; body: AttrValue }, limits: SpanLimits, cache: LogResourceCache,
): LogLimitReport | null {
  const maxBytes = limits.maxAttributeValueBytes;
  const attrs = limitAttributes(rec.attributes, limits.maxAttributesPerSpan, maxBytes);
  rec.attributes = attrs.attributes;
  let lr = cache.get(rec.resource);
  if (lr === undefined) {
    const l = limitAttributes(rec.resource, limits.maxAttributesPerSpan, maxBytes);
    lr = { resource: l.attributes, dropped: l.dropped, truncated: l.truncated };
    cache.set(rec.resource, lr);
    if (lr.resource !== rec.resource) cache.set(lr.resource, lr);
  }
  rec.resource = lr.resource;
  let bodyTruncated = 0;
  if (rec.body !== null && (typeof rec.body === 'string' || typeof rec.body === 'object')) {
    // A one-key map with no key cap: only its strings are cut.
    const wrapped = limitAttributes({ body: rec.body }, 1, maxBytes);
    rec.body = wrapped.attributes.body;
    bodyTruncated = wrapped.truncated;
  }
  const r: LogLimitReport = {
    attributes_dropped: attrs.dropped,
    values_truncated: attrs.truncated + lr.truncated + bodyTruncated,
    resource_attributes_dropped: lr.dropped,
  };
  if (r.attributes_dropped + r.values_truncated + r.resource_attributes_dropped === 0) return null;
  setOwn(rec.attributes, TRUNCATED_ATTRIBUTE, { ...r });
  return r;
}
