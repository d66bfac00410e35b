import { canonicalJson, toolHash } from './hash.js';
import type { ToolInfo } from './types.js';

/**
 * How a change affects an agent that learned the old schema: `breaking`
 * (its calls may now fail), `compatible` (they still work), `warning` (the
 * text the model reads changed: a possible poisoning vector).
 */
export type DriftType = 'breaking' | 'compatible' | 'warning';

/** One change between two tool lists (the fields of langsight's SchemaChange). */
export interface SchemaChange {
  drift_type: DriftType;
  kind: 'tool_removed' | 'tool_added' | 'description_changed' | 'param_removed' | 'required_param_added' | 'optional_param_added'
    | 'param_type_changed' | 'param_became_required' | 'param_became_optional' | 'param_description_changed' | 'param_schema_changed' | 'schema_changed';
  tool_name: string;
  param_name: string | null;
  old_value: string | null;
  new_value: string | null;
}

/** Values shown in a change are cut here (a description can be long; the hash covers all of it). */
const VALUE_MAX = 500;
const cut = (s: string | null) => (s === null ? null : s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX)}…` : s);
const show = (v: unknown) => (v === undefined || v === null ? null : cut(typeof v === 'string' ? v : canonicalJson(v)));

const props = (t: ToolInfo): Record<string, Record<string, unknown>> => {
  const p = t.input_schema.properties;
  return p !== null && typeof p === 'object' && !Array.isArray(p) ? p as Record<string, Record<string, unknown>> : {};
};
const required = (t: ToolInfo): Set<string> => new Set(Array.isArray(t.input_schema.required) ? t.input_schema.required.map(String) : []);

function paramChanges(name: string, before: ToolInfo, after: ToolInfo): SchemaChange[] {
  const out: SchemaChange[] = [];
  const change = (drift_type: DriftType, kind: SchemaChange['kind'], param: string, o: unknown, n: unknown) =>
    out.push({ drift_type, kind, tool_name: name, param_name: param, old_value: show(o), new_value: show(n) });
  const [pb, pa, rb, ra] = [props(before), props(after), required(before), required(after)];
  for (const p of Object.keys(pb).sort()) {
    if (!(p in pa)) change('breaking', 'param_removed', p, pb[p], undefined);
  }
  for (const p of Object.keys(pa).sort()) {
    if (!(p in pb)) {
      if (ra.has(p)) change('breaking', 'required_param_added', p, undefined, pa[p]);
      else change('compatible', 'optional_param_added', p, undefined, pa[p]);
      continue;
    }
    const [b, a] = [pb[p] ?? {}, pa[p] ?? {}];
    if (canonicalJson(b.type) !== canonicalJson(a.type)) change('breaking', 'param_type_changed', p, b.type, a.type);
    if (!rb.has(p) && ra.has(p)) change('breaking', 'param_became_required', p, 'optional', 'required');
    if (rb.has(p) && !ra.has(p)) change('compatible', 'param_became_optional', p, 'required', 'optional');
    if (canonicalJson(b.description) !== canonicalJson(a.description)) change('warning', 'param_description_changed', p, b.description, a.description);
    const rest = (x: Record<string, unknown>) => canonicalJson({ ...x, type: undefined, description: undefined });
    if (rest(b) !== rest(a)) change('warning', 'param_schema_changed', p, b, a);
  }
  return out;
}

/** Every change from `before` to `after`, tools by name; empty when the hashes agree. */
export function diffTools(before: readonly ToolInfo[], after: readonly ToolInfo[]): SchemaChange[] {
  const b = new Map(before.map((t) => [t.name, t]));
  const a = new Map(after.map((t) => [t.name, t]));
  const out: SchemaChange[] = [];
  for (const name of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const [x, y] = [b.get(name), a.get(name)];
    if (x && !y) out.push({ drift_type: 'breaking', kind: 'tool_removed', tool_name: name, param_name: null, old_value: show(x.description), new_value: null });
    else if (!x && y) out.push({ drift_type: 'compatible', kind: 'tool_added', tool_name: name, param_name: null, old_value: null, new_value: show(y.description) });
    else if (x && y && toolHash(x) !== toolHash(y)) {
      const found: SchemaChange[] = [];
      if (x.description !== y.description) {
        found.push({ drift_type: 'warning', kind: 'description_changed', tool_name: name, param_name: null, old_value: show(x.description), new_value: show(y.description) });
      }
      found.push(...paramChanges(name, x, y));
      // Anything else: the schema outside `properties` and `required` (both compared per parameter above) changed.
      const outer = (t: ToolInfo) => canonicalJson({ ...t.input_schema, properties: undefined, required: undefined });
      if (outer(x) !== outer(y)) found.push({ drift_type: 'warning', kind: 'schema_changed', tool_name: name, param_name: null, old_value: show(x.input_schema), new_value: show(y.input_schema) });
      out.push(...found);
    }
  }
  return out;
}

const MARK: Record<DriftType, string> = { breaking: '!', compatible: '+', warning: '~' };

/** The changes as a readable diff: one line per change, `!` breaking, `+` compatible, `~` warning. */
export function renderDiff(changes: readonly SchemaChange[]): string {
  return changes.map((c) => {
    const where = c.param_name === null ? c.tool_name : `${c.tool_name}.${c.param_name}`;
    const what = c.kind.replaceAll('_', ' ');
    const values = c.old_value !== null && c.new_value !== null ? `: ${JSON.stringify(c.old_value)} -> ${JSON.stringify(c.new_value)}`
      : c.new_value !== null ? `: ${JSON.stringify(c.new_value)}` : c.old_value !== null ? ` (was ${JSON.stringify(c.old_value)})` : '';
    return `${MARK[c.drift_type]} ${where}: ${what} [${c.drift_type}]${values}`;
  }).join('\n');
}
