import { describe, expect, it } from 'vitest';
import { diffTools, renderDiff } from '../../src/mcp/drift.js';
import { canonicalJson, schemaHash, toolHash } from '../../src/mcp/hash.js';
import type { ToolInfo } from '../../src/mcp/types.js';

const tool = (name: string, description: string | null, properties: Record<string, unknown>, required: string[] = [], extra: Record<string, unknown> = {}): ToolInfo => ({
  name, description, input_schema: { type: 'object', properties, required, ...extra }, annotations: null,
});

describe('schema hash', () => {
  it('does not depend on key order or tool order, and ignores annotations', () => {
    const a = tool('t', 'd', { x: { type: 'string', description: 'x' } }, ['x']);
    const b: ToolInfo = { name: 't', description: 'd', input_schema: { required: ['x'], properties: { x: { description: 'x', type: 'string' } }, type: 'object' }, annotations: { readOnlyHint: true } };
    expect(toolHash(a)).toBe(toolHash(b));
    const c = tool('u', null, {});
    expect(schemaHash([a, c])).toBe(schemaHash([c, b]));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('changes with the name, the description or the input schema', () => {
    const base = tool('t', 'd', { x: { type: 'string' } });
    const hashes = new Set([base, tool('t2', 'd', { x: { type: 'string' } }), tool('t', 'd.', { x: { type: 'string' } }), tool('t', 'd', { x: { type: 'number' } })].map(toolHash));
    expect(hashes.size).toBe(4);
  });
});

describe('diffTools', () => {
  it('is empty for the same tools', () => {
    const t = [tool('a', 'x', { q: { type: 'string' } }, ['q'])];
    expect(diffTools(t, structuredClone(t))).toEqual([]);
  });

  it('classifies parameter changes: removed, type changed, became required/optional, description, other schema', () => {
    const before = [tool('a', 'x', { p: { type: 'string' }, q: { type: 'string', description: 'old' }, r: { type: 'string' }, s: { type: 'string' }, e: { type: 'string', enum: ['1'] } }, ['r'])];
    const after = [tool('a', 'x', { q: { type: 'number', description: 'new' }, r: { type: 'string' }, s: { type: 'string' }, e: { type: 'string', enum: ['1', '2'] } }, ['s'])];
    expect(diffTools(before, after).map((c) => [c.drift_type, c.kind, c.param_name])).toEqual([
      ['breaking', 'param_removed', 'p'],
      ['warning', 'param_schema_changed', 'e'],
      ['breaking', 'param_type_changed', 'q'],
      ['warning', 'param_description_changed', 'q'],
      ['compatible', 'param_became_optional', 'r'],
      ['breaking', 'param_became_required', 's'],
    ]);
  });

  it('reports a change outside the properties (additionalProperties) as schema_changed', () => {
    const c = diffTools([tool('a', null, {}, [], { additionalProperties: false })], [tool('a', null, {}, [], { additionalProperties: true })]);
    expect(c.map((x) => x.kind)).toEqual(['schema_changed']);
    expect(c[0].old_value).toContain('"additionalProperties":false');
  });

  it('renders one line per change and cuts long values', () => {
    const long = 'x'.repeat(600);
    const c = diffTools([tool('a', long, {})], [tool('a', 'short', {}), tool('b', null, { z: { type: 'string' } }, ['z'])]);
    const lines = renderDiff(c).split('\n');
    expect(lines[0]).toBe(`~ a: description changed [warning]: "${'x'.repeat(500)}…" -> "short"`);
    expect(lines[1]).toBe('+ b: tool added [compatible]');
  });
});
