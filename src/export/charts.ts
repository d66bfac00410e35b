/** Hand-drawn inline SVG charts for the HTML report: no script, no external resource. */

export interface Bar {
  label: string;
  value: number;
}

/** Escapes text for HTML element content and attribute values (single and double quoted). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 520;
const BAR_H = 18;
const GAP = 6;
const LABEL_W = 150;
const VALUE_W = 90;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A horizontal bar chart, one row per bar, each labelled with its value. */
export function barChart(title: string, bars: readonly Bar[], format: (v: number) => string, color = '#3b6fd4'): string {
  const max = Math.max(0, ...bars.map((b) => b.value));
  const h = Math.max(1, bars.length) * (BAR_H + GAP) + 28;
  const rows = bars.map((b, i) => {
    const y = 26 + i * (BAR_H + GAP);
    const w = max > 0 ? Math.max(1, ((W - LABEL_W - VALUE_W) * b.value) / max) : 0;
    return `<text x="${LABEL_W - 6}" y="${y + 13}" text-anchor="end">${escapeHtml(clip(b.label, 24))}</text>`
      + `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color}"><title>${escapeHtml(`${b.label}: ${format(b.value)}`)}</title></rect>`
      + `<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + 13}">${escapeHtml(format(b.value))}</text>`;
  });
  const empty = bars.length === 0 ? `<text x="${LABEL_W}" y="40">no data</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="12">`
    + `<title>${escapeHtml(title)}</title><text x="0" y="14" font-weight="bold">${escapeHtml(title)}</text>${rows.join('')}${empty}</svg>`;
}

/** A vertical bar chart over time (traces per day, month or year), x labels thinned to fit. */
export function columnChart(title: string, bars: readonly Bar[], format: (v: number) => string, color = '#3b6fd4'): string {
  const h = 200;
  const top = 26;
  const bottom = 36;
  const plotH = h - top - bottom;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const step = bars.length === 0 ? 0 : (W - 40) / bars.length;
  const every = Math.max(1, Math.ceil(bars.length / 8));
  const cols = bars.map((b, i) => {
    const bh = max > 0 ? (plotH * b.value) / max : 0;
    const x = 40 + i * step;
    const label = i % every === 0 ? `<text x="${(x + step / 2).toFixed(1)}" y="${h - bottom + 14}" text-anchor="middle">${escapeHtml(clip(b.label, 10))}</text>` : '';
    return `<rect x="${(x + step * 0.1).toFixed(1)}" y="${(top + plotH - bh).toFixed(1)}" width="${Math.max(1, step * 0.8).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}">`
      + `<title>${escapeHtml(`${b.label}: ${format(b.value)}`)}</title></rect>${label}`;
  });
  const axis = `<line x1="40" y1="${top + plotH}" x2="${W}" y2="${top + plotH}" stroke="#999"/>`
    + `<text x="36" y="${top + 10}" text-anchor="end">${escapeHtml(format(max))}</text><text x="36" y="${top + plotH}" text-anchor="end">0</text>`;
  const empty = bars.length === 0 ? `<text x="60" y="${top + 40}">no data</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="11">`
    + `<title>${escapeHtml(title)}</title><text x="0" y="14" font-weight="bold" font-size="12">${escapeHtml(title)}</text>${axis}${cols.join('')}${empty}</svg>`;
}
