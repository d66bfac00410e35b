import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright-core only drives it, it never downloads a browser. */
export const CHROMIUM = process.env.LOOKSPAN_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** A page that records every console error and uncaught exception (a CSP violation is a console error too). */
export async function watchedPage(context: BrowserContext): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

/** Waits until the page has drawn its heading and nothing on it is still loading. */
export async function settled(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  // The tests' TypeScript has no DOM types; the page's globals are reached through globalThis. A string predicate
  // would be eval'd in the page, which its CSP (no unsafe-eval) refuses.
  await page.waitForFunction(() => !/Loading\b/.test((globalThis as any).document.querySelector('main')?.textContent ?? 'Loading'), null, { timeout: 15_000 });
}

/** Parses the export's CSV (BOM, CRLF, RFC 4180 quoting) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/**
 * The lowest WCAG 2 contrast ratio between the text and its background over
 * the visible elements matching `selector` (backgrounds are read up the
 * ancestors past transparent ones), with the worst element described.
 */
export async function lowestContrast(page: Page, selector: string): Promise<{ ratio: number; worst: string }> {
  return page.evaluate((sel) => {
    const g = globalThis as any;
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, gr, b]: number[]) => {
      const f = (v: number) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(gr) + 0.0722 * f(b);
    };
    const background = (el: any): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(g.getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    let ratio = 21;
    let worst = '';
    for (const el of g.document.querySelectorAll(sel)) {
      if (!el.textContent.trim() || el.getClientRects().length === 0) continue;
      const fg = lum(rgb(g.getComputedStyle(el).color));
      const bg = lum(background(el));
      const r = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (r < ratio) {
        ratio = r;
        worst = `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`;
      }
    }
    return { ratio, worst };
  }, selector);
}
