import { UI_ASSET_ROUTE, UI_PAGES } from '../../routes/ui.js';
import type { Operation } from '../operation.js';

const PAGE_NAMES: Record<(typeof UI_PAGES)[number], string> = {
  '/': 'overview',
  '/live': 'live tail',
  '/traces': 'trace list',
  '/traces/:traceId': 'one trace',
  '/sessions': 'session list',
  '/sessions/:sessionId': 'one session',
  '/costs': 'costs',
  '/servers': 'MCP servers',
  '/alerts': 'alerts and prevention',
  '/settings': 'settings (API key, project, theme)',
};

const PAGE_PARAMS: Record<string, Record<string, string>> = {
  '/traces/:traceId': { traceId: 'trace id (the page loads it from GET /api/traces/{traceId})' },
  '/sessions/:sessionId': { sessionId: 'session id (the page loads it from GET /api/sessions/{id})' },
};

/** The dashboard (src/api/routes/ui.ts): its pages are one HTML document; the data comes from the API with the key entered in the page. */
export const UI_OPERATIONS: Operation[] = [
  ...UI_PAGES.map((path): Operation => ({
    method: 'get', path, tag: 'Dashboard', summary: `Dashboard: ${PAGE_NAMES[path]}`,
    description: 'The dashboard\'s HTML page (the same document for every page; the page reads the API with the key entered in it). '
      + 'Cache-Control: no-cache; a strict Content-Security-Policy. 404 when the dashboard is not built.',
    ...(PAGE_PARAMS[path] ? { params: PAGE_PARAMS[path] } : {}),
    response: { raw: { 'text/html': { description: 'index.html of the built dashboard (ui/)' } } },
    errors: [404],
  })),
  {
    method: 'get', path: UI_ASSET_ROUTE, tag: 'Dashboard', summary: 'Dashboard files (content-hashed; cached for a year)',
    params: { file: 'a file name the build emitted under dist/ui/assets' },
    response: { raw: { 'text/javascript': {}, 'text/css': {}, 'image/svg+xml': {} } },
    errors: [404],
  },
];
