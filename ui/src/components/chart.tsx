import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: number[];
  /** A CSS custom property naming the colour (light and dark themes differ). */
  colorVar: string;
  format: (n: number) => string;
  bars?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * A time-series chart (uPlot) that fits its box and follows the theme. The
 * canvas is an image to assistive technology: `summary` says what it shows,
 * and the page puts the numbers in a table beside it.
 */
export function TimeChart({ times, series, summary, height = 200, daily = false }: { times: number[]; series: Series[]; summary: string; height?: number; daily?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  // Colours are read when the chart is drawn: redraw when the theme changes.
  const [theme, setTheme] = useState(0);
  useEffect(() => {
    const redraw = () => setTheme((t) => t + 1);
    window.addEventListener('lookspan:theme', redraw);
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', redraw);
    return () => {
      window.removeEventListener('lookspan:theme', redraw);
      media.removeEventListener('change', redraw);
    };
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el || times.length === 0) return;
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid'), width: 1 }, ticks: { stroke: cssVar('--grid'), width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      // Amounts start at zero, so a bar's height compares with the others'.
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        daily ? { ...axis, space: 50, incrs: [86_400, 2 * 86_400, 7 * 86_400, 30 * 86_400], values: (_u, vals) => vals.map((v) => new Date(v * 1000).toISOString().slice(5, 10)) } : axis,
        { ...axis, values: (_u, vals) => vals.map((v) => series[0].format(v)), size: 70 },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: cssVar(s.colorVar),
          fill: `${cssVar(s.colorVar)}33`,
          width: 2,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : s.format(v)),
          ...(s.bars ? { paths: uPlot.paths.bars!({ size: [0.6, 40] }), points: { show: false } } : {}),
        })),
      ],
    };
    const plot = new uPlot(opts, [times, ...series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, height, daily, theme]);
  if (times.length === 0) return <p class="muted">No data in this window.</p>;
  return <div class="chart" ref={box} role="img" aria-label={summary} />;
}
