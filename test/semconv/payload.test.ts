import { describe, expect, it } from 'vitest';
import { capPayload, isTruncatedPayload } from '../../src/semconv/payload.js';
import { toSemanticSpan } from '../../src/semconv/index.js';
import { span } from './fixture-runner.js';

describe('capPayload', () => {
  it('keeps payloads within the cap untouched', () => {
    expect(capPayload('[{"role":"user","content":"hi"}]', 64)).toBe('[{"role":"user","content":"hi"}]');
    expect(capPayload(null, 10)).toBeNull();
  });

  it('replaces an oversized payload with a valid JSON marker within the cap', () => {
    const text = JSON.stringify([{ role: 'user', content: 'x"y\n'.repeat(5000) }]);
    const out = capPayload(text, 1000)!;
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(1000);
    expect(isTruncatedPayload(out)).toBe(true);
    const parsed = JSON.parse(out) as { lookspan_truncated: boolean; original_bytes: number; head: string };
    expect(parsed.lookspan_truncated).toBe(true);
    expect(parsed.original_bytes).toBe(Buffer.byteLength(text));
    expect(text.startsWith(parsed.head)).toBe(true);
    expect(parsed.head.length).toBeGreaterThan(300);
  });

  it('never splits a multi-byte character', () => {
    const text = 'é😀中'.repeat(2000);
    const out = capPayload(text, 512)!;
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(512);
    const head = (JSON.parse(out) as { head: string }).head;
    expect(text.startsWith(head)).toBe(true);
    expect(head).not.toContain('\uFFFD');
  });

  it('counts bytes, not characters', () => {
    const text = '😀'.repeat(100); // 200 UTF-16 units, 400 bytes
    expect(capPayload(text, 400)).toBe(text);
    expect(isTruncatedPayload(capPayload(text, 399))).toBe(true);
  });

  it('still marks truncation when the cap is tiny', () => {
    expect(JSON.parse(capPayload('a'.repeat(100), 10)!)).toEqual({ lookspan_truncated: true, original_bytes: 100 });
  });

  it('applies opts.payloadMaxBytes to input and output in toSemanticSpan', () => {
    const big = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'z'.repeat(10_000) }] }]);
    const out = toSemanticSpan(
      span({ attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': big, 'gen_ai.output.messages': '[]' } }),
      { payloadMaxBytes: 2048 },
    );
    expect(isTruncatedPayload(out.input)).toBe(true);
    expect(Buffer.byteLength(out.input!)).toBeLessThanOrEqual(2048);
    expect(out.output).toBe('[]');
  });
});
