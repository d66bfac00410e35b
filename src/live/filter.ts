import { z } from 'zod';
import { FILTER_KEYS, LIVE_EVENT_TYPES, type FilterKey, type LiveEvent, type LiveEventType } from './events.js';

const value = z.string().min(1).max(256);
const values = z.union([value, z.array(value).min(1).max(100)]).transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * A live filter as clients send it (a WebSocket `subscribe` message, or the
 * query string of an SSE route): each key takes one value or a list; values
 * of one key are alternatives, keys must all match. `events` limits the
 * event types. Snake-case and langsight spellings are accepted too.
 */
export const LiveFilterInput = z.strictObject({
  events: z.union([z.enum(LIVE_EVENT_TYPES), z.array(z.enum(LIVE_EVENT_TYPES)).min(1).max(LIVE_EVENT_TYPES.length)])
    .transform((v) => (Array.isArray(v) ? v : [v])).optional(),
  project: values.optional(),
  type: values.optional(),
  model: values.optional(),
  provider: values.optional(),
  status: values.optional(),
  session: values.optional(),
  agent: values.optional(),
  server: values.optional(),
  service: values.optional(),
});
export type LiveFilterInput = z.input<typeof LiveFilterInput>;

/** Other names a key is accepted under (query strings follow the REST API's spellings). */
export const FILTER_ALIASES: Readonly<Record<string, FilterKey | 'events'>> = {
  project_id: 'project', projectId: 'project',
  span_type: 'type', spanType: 'type',
  model_id: 'model',
  session_id: 'session', sessionId: 'session',
  agent_name: 'agent', agentName: 'agent',
  server_name: 'server', serverName: 'server',
  service_name: 'service', serviceName: 'service',
  event: 'events', types: 'events',
};

/** A normalized filter: the keys set, each a list of accepted values. */
export type LiveFilter = Partial<Record<FilterKey, string[]>> & { events?: LiveEventType[] };

/** Renames aliases to their keys (the first spelling given wins). */
export function canonicalKeys(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const key = FILTER_ALIASES[k] ?? k;
    if (!(key in out)) out[key] = v;
  }
  return out;
}

/** A filter compiled for matching: sets per key, checked against the keys an event carries. */
export class CompiledFilter {
  private readonly sets: Array<[FilterKey, Set<string>]> = [];
  private readonly events: Set<LiveEventType> | null;
  /** The one project this filter is limited to, if exactly one (lets the broadcaster index subscribers). */
  readonly project: string | null;

  constructor(readonly spec: LiveFilter) {
    for (const key of FILTER_KEYS) {
      const v = spec[key];
      if (v && v.length > 0) this.sets.push([key, new Set(v)]);
    }
    this.events = spec.events && spec.events.length > 0 ? new Set(spec.events) : null;
    this.project = spec.project?.length === 1 ? spec.project[0] : null;
  }

  matches(e: LiveEvent): boolean {
    if (this.events !== null && !this.events.has(e.type)) return false;
    for (const [key, set] of this.sets) {
      if (!(key in e.keys)) continue;
      const v = e.keys[key];
      if (v === null || v === undefined || !set.has(v)) return false;
    }
    return true;
  }

  /** Restricts the filter to the projects a client may read (null: any); empty when none of its projects is allowed. */
  within(allowed: readonly string[] | null): CompiledFilter {
    if (allowed === null) return this;
    const wanted = this.spec.project ? this.spec.project.filter((p) => allowed.includes(p)) : [...allowed];
    return new CompiledFilter({ ...this.spec, project: wanted.length > 0 ? wanted : ['\u0000none'] });
  }
}
