import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The dashboard: one static bundle served by Lookspan itself (src/api/routes/ui.ts), no CDN.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // Everything the page needs is bundled: no public/ directory is copied.
  publicDir: false,
  plugins: [preact({ prerender: { enabled: false }, devToolsInProd: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // The served CSP allows no inline script; the polyfill is not needed by the browsers that run ES2022.
    modulePreload: { polyfill: false },
    // Small icons would otherwise be inlined as data: URLs; keep them files like the rest.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:3100', ws: true }, '/openapi.json': 'http://127.0.0.1:3100' } },
});
