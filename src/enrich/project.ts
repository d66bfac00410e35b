import type { Attributes } from '../model/span-record.js';

/** Partition values Hive-style readers take as NULL (as receivers/native/ids.ts refuses for native ids). */
const NULL_PARTITION_VALUES = /^(null|__hive_default_partition__)$/i;

/**
 * The project an OTLP resource names in the attribute the admin mapped
 * (auth.projectResourceAttribute), or null when it names none the lake can
 * hold (then the request's project applies).
 */
export function projectFromResource(resource: Attributes, attribute: string): string | null {
  const v = resource[attribute];
  if (typeof v !== 'string' || v.length === 0 || v.length > 128 || NULL_PARTITION_VALUES.test(v)) return null;
  return v;
}
