import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Router from '@koa/router';
import { notFound } from '../../errors.js';
import { buildOpenApiDocument, OPERATIONS, type Operation } from '../openapi/index.js';
import { VERSION } from '../../version.js';

/** swagger-ui-dist's files the page loads; nothing else under /docs is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

// No inline script, so the page works under a strict Content-Security-Policy.
const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout',
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lookspan API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** The routes this module serves, for the document itself. */
export const DOCS_OPERATIONS: Operation[] = [
  {
    method: 'get', path: '/openapi.json', tag: 'API', summary: 'This OpenAPI 3.1 document',
    response: { raw: { 'application/json': { description: 'OpenAPI 3.1, generated from the zod schemas the routes validate with' } } },
  },
  { method: 'get', path: '/docs', tag: 'API', summary: 'Interactive API reference (Swagger UI, served locally)', response: { raw: { 'text/html': {} } } },
  {
    method: 'get', path: '/docs/:asset', tag: 'API', summary: 'Files of the API reference page', params: { asset: 'init.js or a swagger-ui-dist file' },
    response: { raw: { 'text/javascript': {}, 'text/css': {}, 'image/png': {} } }, errors: [404],
  },
];

/** Files of the swagger-ui-dist package, read once when first asked for. */
function assetReader(): (name: string) => Buffer {
  const dir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Buffer>();
  return (name) => {
    let b = cache.get(name);
    if (!b) cache.set(name, (b = readFileSync(path.join(dir, name))));
    return b;
  };
}

/** GET /openapi.json and the interactive reference at /docs, with no CDN: swagger-ui-dist ships in node_modules. */
export function mountOpenApi(router: Router): void {
  const asset = assetReader();
  // Built at the first request, not at start-up; the schemas do not change while running.
  let document: string | null = null;
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = document ??= JSON.stringify(buildOpenApiDocument([...OPERATIONS, ...DOCS_OPERATIONS], VERSION));
  });
  router.get('/docs', (ctx) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = PAGE;
  });
  router.get('/docs/:asset', (ctx) => {
    const name = ctx.params.asset;
    ctx.set('Cache-Control', 'public, max-age=86400');
    if (name === 'init.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = INIT_JS;
      return;
    }
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type) throw notFound(`no file ${name} in /docs`);
    ctx.type = type;
    ctx.body = asset(name);
  });
}
