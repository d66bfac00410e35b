import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { notFound } from '../../errors.js';
import { packagePath } from '../../package-root.js';

/**
 * The dashboard's client routes: each answers the SPA's index.html, and the
 * UI's router (ui/src/router.ts) draws the page. Listed one by one rather
 * than as a catch-all, so no API, OTLP, /metrics, /openapi.json or /docs
 * path can ever be answered by the dashboard.
 */
export const UI_PAGES = [
  '/', '/live', '/traces', '/traces/:traceId', '/sessions', '/sessions/:sessionId', '/costs', '/servers', '/alerts', '/settings',
] as const;

/** Where the built assets are served from: everything Vite emits is content-hashed under it. */
export const UI_ASSET_ROUTE = '/assets/:file';

/** Where `npm run build` (ui/build.ts) writes the dashboard. */
export const UI_DIST = packagePath('dist', 'ui');

/**
 * The page holds no data and runs only its own bundle: no inline script or
 * style, no other origin (fonts included), no framing. connect-src 'self'
 * covers the API and the WebSocket of the same host.
 */
export const UI_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'none'", "manifest-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// Vite's output names: name-hash.ext, nothing hidden, no directories.
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.[a-z0-9]+$/;

function secure(ctx: Context): void {
  ctx.set('Content-Security-Policy', UI_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
}

/**
 * GET / and the dashboard's other pages (index.html, revalidated on every
 * load so a new build is picked up) and GET /assets/:file (content-hashed,
 * cached for a year). Mounted after the API routes; with no build in
 * `dir` the pages answer 404 naming the build command.
 */
export function mountUi(router: Router, opts: { dir?: string } = {}): void {
  const dir = opts.dir ?? UI_DIST;
  // A hashed file's content never changes under its name: read once.
  const cache = new Map<string, Buffer>();
  const page = async (ctx: Context) => {
    let html: Buffer;
    try {
      html = await readFile(path.join(dir, 'index.html'));
    } catch {
      throw notFound('the dashboard is not built: run `npm run build`');
    }
    secure(ctx);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = html;
  };
  for (const p of UI_PAGES) router.get(p, page);
  router.get(UI_ASSET_ROUTE, async (ctx) => {
    const name = ctx.params.file;
    const type = TYPES[path.extname(name)];
    if (!ASSET_NAME.test(name) || !type) throw notFound(`no dashboard file ${name}`);
    let body = cache.get(name);
    if (!body) {
      const file = path.join(dir, 'assets', name);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) throw notFound(`no dashboard file ${name}`);
      body = await readFile(file);
      cache.set(name, body);
    }
    secure(ctx);
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = type;
    ctx.body = body;
  });
}
