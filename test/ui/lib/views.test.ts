import { describe, expect, it } from 'vitest';
import { openAlerts } from '../../../ui/src/lib/alerts.js';
import { matchRoute, navSection } from '../../../ui/src/lib/routes.js';
import { NO_AGENT, sessionLanes } from '../../../ui/src/lib/session-timeline.js';
import { UI_PAGES } from '../../../src/api/routes/ui.js';

describe('open alerts', () => {
  it('are the keys whose latest event is a trigger, newest first', () => {
    const h = [
      { id: '1', key: 'mcp:pg', status: 'triggered' as const, triggered_at: '2026-06-02T10:00:00Z' },
      { id: '2', key: 'mcp:pg', status: 'resolved' as const, triggered_at: '2026-06-02T10:05:00Z' },
      { id: '3', key: 'loop:s1', status: 'triggered' as const, triggered_at: '2026-06-02T09:00:00Z' },
      { id: '4', key: 'spend', status: 'resolved' as const, triggered_at: '2026-06-02T08:00:00Z' },
      { id: '5', key: 'spend', status: 'triggered' as const, triggered_at: '2026-06-02T11:00:00Z' },
    ];
    expect(openAlerts(h).map((a) => a.id)).toEqual(['5', '3']);
    expect(openAlerts([...h].reverse()).map((a) => a.id)).toEqual(['5', '3']);
  });
});

describe('the session timeline', () => {
  it('puts each agent on a lane in order of first appearance, each trace a bar on one axis', () => {
    const t = (id: string, agentName: string | null, s: number, e: number, status = 'ok') => ({
      id, agentName, status, startedAt: new Date(1_780_000_000_000 + s).toISOString(), endedAt: new Date(1_780_000_000_000 + e).toISOString(),
    });
    const { lanes, totalMs } = sessionLanes([t('w', 'writer', 600, 1000), t('p', 'planner', 0, 200), t('r', 'researcher', 200, 600, 'error'), t('p2', 'planner', 800, 900), t('x', null, 100, 150)]);
    expect(totalMs).toBe(1000);
    expect(lanes.map((l) => l.agent)).toEqual(['planner', NO_AGENT, 'researcher', 'writer']);
    expect(lanes[0].bars).toEqual([{ traceId: 'p', status: 'ok', leftPct: 0, widthPct: 20 }, { traceId: 'p2', status: 'ok', leftPct: 80, widthPct: 10 }]);
    expect(lanes[2].bars[0]).toMatchObject({ traceId: 'r', status: 'error', leftPct: 20, widthPct: 40 });
    expect(sessionLanes([])).toEqual({ lanes: [], totalMs: 0 });
  });
});

describe('the client routes', () => {
  it('match every page the server answers with index.html, and nothing else', () => {
    const pages = UI_PAGES.map((p) => matchRoute(p.replace(':traceId', 'abc').replace(':sessionId', 's%2F1')));
    expect(pages.map((r) => r.page)).toEqual(['overview', 'live', 'traces', 'trace', 'sessions', 'session', 'costs', 'servers', 'alerts', 'settings']);
    expect(pages[3].params).toEqual({ traceId: 'abc' });
    expect(pages[5].params).toEqual({ sessionId: 's/1' });
    expect(matchRoute('/traces/a/b').page).toBe('not_found');
    expect(matchRoute('/api/traces').page).toBe('not_found');
    expect(navSection('trace')).toBe('traces');
    expect(navSection('session')).toBe('sessions');
  });
});
