/**
 * The dashboard's pages and their paths: the same list the server answers
 * with index.html (src/api/routes/ui.ts UI_PAGES), matched here to a page.
 */

export type PageId = 'overview' | 'live' | 'traces' | 'trace' | 'sessions' | 'session' | 'costs' | 'servers' | 'alerts' | 'settings' | 'not_found';

export interface Route {
  page: PageId;
  params: Record<string, string>;
}

/** The main navigation, in order: label and path. */
export const NAV: ReadonlyArray<{ page: PageId; path: string; label: string }> = [
  { page: 'overview', path: '/', label: 'Overview' },
  { page: 'live', path: '/live', label: 'Live tail' },
  { page: 'traces', path: '/traces', label: 'Traces' },
  { page: 'sessions', path: '/sessions', label: 'Sessions' },
  { page: 'costs', path: '/costs', label: 'Costs' },
  { page: 'servers', path: '/servers', label: 'MCP servers' },
  { page: 'alerts', path: '/alerts', label: 'Alerts' },
  { page: 'settings', path: '/settings', label: 'Settings' },
];

const PATTERNS: Array<[RegExp, PageId, string[]]> = [
  [/^\/$/, 'overview', []],
  [/^\/live\/?$/, 'live', []],
  [/^\/traces\/?$/, 'traces', []],
  [/^\/traces\/([^/]+)\/?$/, 'trace', ['traceId']],
  [/^\/sessions\/?$/, 'sessions', []],
  [/^\/sessions\/([^/]+)\/?$/, 'session', ['sessionId']],
  [/^\/costs\/?$/, 'costs', []],
  [/^\/servers\/?$/, 'servers', []],
  [/^\/alerts\/?$/, 'alerts', []],
  [/^\/settings\/?$/, 'settings', []],
];

/** The page of a path (its parameters decoded). */
export function matchRoute(pathname: string): Route {
  for (const [re, page, names] of PATTERNS) {
    const m = re.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]);
      } catch {
        params[n] = m[i + 1];
      }
    });
    return { page, params };
  }
  return { page: 'not_found', params: {} };
}

/** The nav entry a page belongs to (a trace belongs to Traces). */
export function navSection(page: PageId): PageId {
  if (page === 'trace') return 'traces';
  if (page === 'session') return 'sessions';
  return page;
}

export const traceHref = (id: string) => `/traces/${encodeURIComponent(id)}`;
export const sessionHref = (id: string) => `/sessions/${encodeURIComponent(id)}`;
