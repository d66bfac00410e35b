import { describe, expect, it } from 'vitest';
import { formatAgo, formatCost, formatCount, formatDuration, formatPercent, formatRate, formatTime } from '../../../ui/src/lib/format.js';
import { dayStartUtc, isoToMicros, weekStartUtc } from '../../../ui/src/lib/time.js';

describe('formatting', () => {
  it('durations from microseconds to hours', () => {
    expect(formatDuration(0)).toBe('0');
    expect(formatDuration(0.25)).toBe('250 µs');
    expect(formatDuration(4.5)).toBe('4.5 ms');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(42_000)).toBe('42.0 s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatDuration(null)).toBe('—');
  });

  it('costs keep fractions of a cent readable', () => {
    expect(formatCost(0)).toBe('$0');
    expect(formatCost(0.0075)).toBe('$0.0075');
    expect(formatCost(0.000123)).toBe('$0.00012');
    expect(formatCost(0.00000004)).toBe('<$0.0001');
    expect(formatCost(3.456)).toBe('$3.46');
    expect(formatCost(12345.6)).toBe('$12,346');
    expect(formatCost(-5)).toBe('-$5.00');
    expect(formatCost(null)).toBe('—');
  });

  it('counts, rates and percentages', () => {
    expect(formatCount(12345)).toBe('12,345');
    expect(formatCount(1_234_567)).toBe('1.2M');
    expect(formatCount(undefined)).toBe('—');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.0012)).toBe('0.12%');
    expect(formatPercent(0.125)).toBe('13%');
    expect(formatPercent(0.05)).toBe('5.0%');
    expect(formatPercent(null)).toBe('—');
    expect(formatRate(12 / 3600)).toBe('0.0033/s');
    expect(formatRate(3.44)).toBe('3.4/s');
    expect(formatRate(1234.4)).toBe('1,234/s');
  });

  it('times in a given zone and as an age', () => {
    expect(formatTime('2026-06-02T10:00:01.123456Z', 'UTC')).toBe('2026-06-02 10:00:01');
    expect(formatTime('2026-06-02T23:30:00Z', 'Asia/Tokyo')).toBe('2026-06-03 08:30:00');
    expect(formatTime(null)).toBe('—');
    const now = Date.parse('2026-06-02T10:00:00Z');
    expect(formatAgo('2026-06-02T09:59:58Z', now)).toBe('just now');
    expect(formatAgo('2026-06-02T09:55:00Z', now)).toBe('5 min ago');
    expect(formatAgo('2026-05-31T10:00:00Z', now)).toBe('2 d ago');
  });
});

describe('API times', () => {
  it('keep microseconds that Date.parse drops', () => {
    expect(isoToMicros('2026-06-02T10:00:00.123456Z')).toBe(Date.parse('2026-06-02T10:00:00Z') * 1000 + 123456);
    expect(isoToMicros('2026-06-02T10:00:00.5Z') - isoToMicros('2026-06-02T10:00:00Z')).toBe(500_000);
    expect(isoToMicros('2026-06-02T10:00:00Z')).toBe(Date.parse('2026-06-02T10:00:00Z') * 1000);
  });

  it('today and this week start at 00:00 UTC, the week on Monday', () => {
    expect(dayStartUtc(new Date('2026-06-03T23:59:59Z')).toISOString()).toBe('2026-06-03T00:00:00.000Z');
    // 2026-06-03 is a Wednesday; 2026-06-07 a Sunday; 2026-06-01 a Monday.
    expect(weekStartUtc(new Date('2026-06-03T12:00:00Z')).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(weekStartUtc(new Date('2026-06-07T23:00:00Z')).toISOString()).toBe('2026-06-01T00:00:00.000Z');
    expect(weekStartUtc(new Date('2026-06-01T00:00:00Z')).toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });
});
