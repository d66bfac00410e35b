import { describe, expect, it } from 'vitest';
import { exportPlan, listQuery, pageBy, parseTraceFilters, toSearch, type TraceFilters } from '../../../ui/src/lib/trace-filters.js';

const rows = (...starts: string[]) => starts.map((s, i) => ({ id: `t${i}`, startedAt: s }));

describe('trace filters ↔ URL', () => {
  it('round-trip every filter through the page URL', () => {
    const search = '?status=error&framework=langgraph&service=svc&model=gpt-4o&agent=a%20b&userId=u1&server=pg&tool=query&sessionId=s%2F1&from=2026-06-01T00%3A00%3A00Z&to=1781000000000&sort=costUsd&order=asc&limit=25&offset=50';
    const f = parseTraceFilters(search);
    expect(f).toEqual({
      status: 'error', framework: 'langgraph', service: 'svc', model: 'gpt-4o', agent: 'a b', userId: 'u1', server: 'pg', tool: 'query',
      sessionId: 's/1', from: '2026-06-01T00:00:00Z', to: '1781000000000', sort: 'costUsd', order: 'asc', limit: 25, offset: 50,
    });
    expect(parseTraceFilters(toSearch(f))).toEqual(f);
  });

  it('leave defaults and values the API would refuse out of the URL', () => {
    const f = parseTraceFilters('?status=bogus&sort=name&order=up&limit=5000&offset=-1&agent=%20%20&model=');
    expect(f).toEqual({ limit: 50, offset: 0 });
    expect(toSearch(f)).toBe('');
    expect(toSearch({ limit: 50, offset: 0, sort: 'startedAt', order: 'desc' })).toBe('');
  });

  it('ask the API for the page with its limit', () => {
    expect(listQuery(parseTraceFilters('?agent=x'))).toBe('agent=x&limit=50');
    expect(listQuery(parseTraceFilters('?status=ok&offset=100&limit=10'))).toBe('status=ok&limit=10&offset=100');
  });

  it('page by whole pages, never before the first', () => {
    const f: TraceFilters = { limit: 20, offset: 20 };
    expect(pageBy(f, 1).offset).toBe(40);
    expect(pageBy(f, -1).offset).toBe(0);
    expect(pageBy(f, -2).offset).toBe(0);
  });
});

describe('the export of what is on screen', () => {
  it('takes the list filters the export knows and bounds the rows by their start times', () => {
    const f = parseTraceFilters('?status=error&model=gpt-4o&sessionId=s1&service=svc&framework=fw&limit=2&offset=2');
    const p = exportPlan(f, rows('2026-06-02T10:00:00.000002Z', '2026-06-02T09:00:00.000001Z'), true, 'csv');
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(Object.fromEntries(p.query)).toEqual({
      format: 'csv', status: 'error', framework: 'fw', service: 'svc', model: 'gpt-4o', sessionId: 's1',
      from: '2026-06-02T09:00:00.000001Z', to: '2026-06-02T10:00:00.000002Z', limit: '10000',
    });
    expect(p.expected).toBe(2);
  });

  it('bounds a complete list too, so traces that arrived later stay out', () => {
    const p = exportPlan(parseTraceFilters('?from=2026-01-01T00:00:00Z'), rows('2026-06-02T10:00:00.000000Z'), false, 'parquet');
    expect(p.ok && Object.fromEntries(p.query)).toMatchObject({ format: 'parquet', from: '2026-06-02T10:00:00.000000Z', to: '2026-06-02T10:00:00.000000Z' });
  });

  it('refuses what the export cannot reproduce, saying why', () => {
    const shown = rows('2026-06-02T10:00:00.000000Z');
    const agent = exportPlan(parseTraceFilters('?agent=a&tool=t'), shown, false, 'csv');
    expect(agent).toEqual({ ok: false, reason: 'The export cannot filter by agent, tool: clear them to export.' });
    const sorted = exportPlan(parseTraceFilters('?sort=costUsd'), shown, true, 'csv');
    expect(sorted.ok).toBe(false);
    // Every match on one page: the set is the same whatever the order.
    expect(exportPlan(parseTraceFilters('?sort=costUsd'), shown, false, 'csv').ok).toBe(true);
    expect(exportPlan(parseTraceFilters(''), [], false, 'csv')).toEqual({ ok: false, reason: 'No traces on screen to export.' });
  });
});
