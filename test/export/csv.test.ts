/** CSV cells: the formula-injection guard (text cells only) and RFC 4180 quoting. */
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvLine, csvNumber, csvText } from '../../src/export/csv.js';
import type { ExportTrace } from '../../src/export/selection.js';

describe('csvText', () => {
  it.each([
    ['=cmd|\' /c calc\'!A0', '\'=cmd|\' /c calc\'!A0'],
    ['+1+1', '\'+1+1'],
    ['-2+3', '\'-2+3'],
    ['@SUM(A1)', '\'@SUM(A1)'],
    ['\tx', '\'\tx'],
    ['\rx', '"\'\rx"'],
  ])('neutralizes a cell starting with %j', (input, want) => {
    expect(csvText(input)).toBe(want);
  });

  it('quotes cells holding quotes, commas and line breaks (RFC 4180), after the guard', () => {
    expect(csvText('a "b", c')).toBe('"a ""b"", c"');
    expect(csvText('line\nbreak')).toBe('"line\nbreak"');
    expect(csvText('=a,b')).toBe('"\'=a,b"');
    expect(csvText('plain text é')).toBe('plain text é');
    expect(csvText('')).toBe('');
    expect(csvText(null)).toBe('');
  });

  it('leaves numbers alone, negative ones included', () => {
    expect(csvNumber(-5)).toBe('-5');
    expect(csvNumber(0.0035)).toBe('0.0035');
    expect(csvNumber(null)).toBe('');
    const t: ExportTrace = {
      ord: 1, id: 't', name: '-5', framework: null, agentName: null, sessionId: null, serviceName: null, userId: 'u',
      startedAt: '2026-01-01T00:00:00.000000Z', endedAt: '2026-01-01T00:00:01.000000Z', startedUs: 0, durationMs: 1000, status: 'ok',
      spanCount: 1, errorCount: 0, llmCallCount: 0, toolCallCount: 0, inputTokens: 1, outputTokens: 2, costUsd: -5, models: [],
    };
    const cells = csvLine(t).trimEnd().split(',');
    const header = CSV_HEADER.slice(1).trimEnd().split(',');
    expect(cells[header.indexOf('costUsd')]).toBe('-5');
    // A text cell with the same content is neutralized.
    expect(cells[header.indexOf('name')]).toBe('\'-5');
    // No user id column.
    expect(csvLine(t)).not.toContain(',u,');
  });
});
