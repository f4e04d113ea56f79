// Axes, grids and color legends drawn through a Painter for the painter views (network, heatmaps, flow, compare);
// the plain charts are chart.js (charts.ts).
import type { ColorScale } from './colormap';
import { lutColor, position, valueAt } from './colormap';
import { fmt, niceTicks } from './format';
import type { Painter } from './paint';
import { imageCanvas } from './paint';
import type { Palette } from './theme';

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Axis {
  lo: number;
  hi: number;
  label: string;
  /** Values are log10 of the quantity: ticks at integers, labelled 10^k. */
  log10?: boolean;
  format?: (v: number) => string;
  ticks?: number[];
}

export interface Frame {
  box: Box;
  x(v: number): number;
  y(v: number): number;
}

/** Grid dashes in high-contrast themes (solid lines are data there). */
export const GRID_DASH = [2, 3];

const superscripts: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** 10^k written with superscripts, e.g. 10⁻³. */
export function pow10(k: number): string {
  if (k === 0) return '1';
  if (k === 1) return '10';
  return '10' + String(k).replace(/[-0-9]/g, (c) => superscripts[c]);
}

function axisTicks(a: Axis, count: number): number[] {
  if (a.ticks) return a.ticks;
  if (!a.log10) return niceTicks(a.lo, a.hi, count);
  // Decades: every one when they fit, else a round subset.
  return niceTicks(a.lo, a.hi, Math.max(count, Math.min(10, Math.ceil(a.hi - a.lo)))).filter((v) =>
    Number.isInteger(v),
  );
}

function tickLabel(a: Axis, v: number): string {
  if (a.format) return a.format(v);
  return a.log10 ? pow10(v) : fmt(v);
}

/** Padded range of finite values; a default when there are none. */
export function range(values: Iterable<number>, pad = 0.05, fallback: [number, number] = [0, 1]): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return fallback;
  if (lo === hi) return [lo - 0.5, hi + 0.5];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

export function frame(box: Box, xa: Axis, ya: Axis): Frame {
  const sx = box.width / (xa.hi - xa.lo || 1);
  const sy = box.height / (ya.hi - ya.lo || 1);
  return {
    box,
    x: (v) => box.left + (v - xa.lo) * sx,
    y: (v) => box.top + box.height - (v - ya.lo) * sy,
  };
}

/** Grid, ticks and axis titles around `box`; returns the coordinate mapping. */
export function drawAxes(
  p: Painter,
  pal: Palette,
  box: Box,
  xa: Axis,
  ya: Axis,
  options: { xTicks?: number; yTicks?: number; hideX?: boolean; grid?: boolean } = {},
): Frame {
  const f = frame(box, xa, ya);
  const bottom = box.top + box.height;
  for (const v of axisTicks(ya, options.yTicks ?? 5)) {
    const y = f.y(v);
    if (y < box.top - 0.5 || y > bottom + 0.5) continue;
    // In high contrast the grid is the bright contrast border, which a series may share: dotted, so it never reads as data.
    if (options.grid !== false)
      p.polyline([box.left, y, box.left + box.width, y], pal.grid, 1, pal.highContrast ? GRID_DASH : undefined);
    else p.polyline([box.left - 4, y, box.left, y], pal.muted, 1);
    p.text(box.left - 4, y, tickLabel(ya, v), { color: pal.muted, align: 'right', baseline: 'middle', size: 10 });
  }
  if (!options.hideX) {
    for (const v of axisTicks(xa, options.xTicks ?? 8)) {
      const x = f.x(v);
      if (x < box.left - 0.5 || x > box.left + box.width + 0.5) continue;
      p.polyline([x, bottom, x, bottom + 4], pal.muted, 1);
      p.text(x, bottom + 6, tickLabel(xa, v), { color: pal.muted, align: 'center', baseline: 'top', size: 10 });
    }
    p.text(box.left + box.width / 2, bottom + 22, xa.label, {
      color: pal.foreground,
      align: 'center',
      baseline: 'top',
    });
  }
  p.polyline([box.left, box.top, box.left, bottom, box.left + box.width, bottom], pal.border, 1);
  p.text(box.left - 38, box.top + box.height / 2, ya.label, {
    color: pal.foreground,
    align: 'center',
    baseline: 'middle',
    rotate: -90,
  });
  return f;
}

/**
 * Mark a selected region (a heatmap column, a flow row) so it stays visible on any colormap: a 2 px ring in the
 * focus color just outside it, a 2 px ring of background outside that (separating it from neighbouring cells of
 * similar color), and, when the region is wide enough, a 1 px background line just inside.
 */
export function markSelection(p: Painter, pal: Palette, x: number, y: number, w: number, h: number): void {
  p.rect(x - 3, y - 3, w + 6, h + 6, undefined, pal.background, 2);
  if (w >= 6 && h >= 6) p.rect(x + 0.5, y + 0.5, w - 1, h - 1, undefined, pal.background, 1);
  p.rect(x - 1, y - 1, w + 2, h + 2, undefined, pal.focus, 2);
}

/** A selection line (`points` as for polyline) in the focus color over a wider line of background. */
export function markLine(p: Painter, pal: Palette, points: number[], width: number, dash?: number[]): void {
  p.polyline(points, pal.background, width + 2);
  p.polyline(points, pal.focus, width, dash);
}

let legendStrip: HTMLCanvasElement | undefined;

/** Least distance between two colour-bar labels (10 px text and a little air). */
export const LEGEND_LABEL_GAP = 13;
/** A colour bar shorter than this cannot hold its two end labels apart with room for the title and the note. */
export const LEGEND_MIN_HEIGHT = 2 * LEGEND_LABEL_GAP + 20;

/** A vertical color bar with ticks in the scale's units: what each color means. */
export function drawLegend(
  p: Painter,
  pal: Palette,
  box: Box,
  scale: ColorScale,
  table: Uint8Array,
  note?: string,
): void {
  const { canvas, ctx, image } = imageCanvas(legendStrip, 1, 256);
  legendStrip = canvas;
  for (let i = 0; i < 256; i++) {
    const c = lutColor(table, 1 - i / 255)
      .match(/\d+/g)!
      .map(Number);
    image.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  p.raster(box.left, box.top, box.width, box.height, canvas);
  p.rect(box.left, box.top, box.width, box.height, undefined, pal.border, 1);
  // Labels are 10 px text centred on their tick: keep those at least a line apart, the ends first (they say the
  // range), so a short bar (a one-row flow matrix) never prints one label over another.
  const placed: number[] = [];
  for (const v of legendTicks(scale)) {
    const pos = position(scale, v);
    if (!(pos >= 0 && pos <= 1)) continue;
    const y = box.top + (1 - pos) * box.height;
    if (placed.some((q) => Math.abs(q - y) < LEGEND_LABEL_GAP)) continue;
    placed.push(y);
    p.polyline([box.left + box.width, y, box.left + box.width + 3, y], pal.muted, 1);
    p.text(box.left + box.width + 5, y, fmt(v, 2), { color: pal.muted, baseline: 'middle', size: 10 });
  }
  p.text(box.left + box.width + 2, box.top - 8, scale.label, { color: pal.foreground, align: 'center', size: 10 });
  if (note) p.text(box.left - 2, box.top + box.height + 14, note, { color: pal.muted, size: 10 });
}

/** Ticks at the ends and at round values between: powers of ten on log scales. */
export function legendTicks(s: ColorScale): number[] {
  if (s.mode === 'log' || (s.mode === 'signed' && s.symlog)) {
    const lo = Math.log10(s.lo),
      hi = Math.log10(s.hi);
    const step = Math.max(1, Math.ceil((hi - lo) / 5));
    const mags = [s.lo, s.hi];
    const margin = Math.max(0.3, 0.1 * (hi - lo));
    for (let k = Math.ceil(lo); k < hi; k += step) if (k - lo > margin && hi - k > margin) mags.push(10 ** k);
    return s.mode === 'log' ? mags : [...mags, ...mags.map((m) => -m), 0];
  }
  const ends = s.mode === 'signed' ? [-s.hi, s.hi] : [s.lo, s.hi];
  const inner = niceTicks(ends[0], ends[1], 4).filter(
    (v) => Math.abs(v - ends[0]) > (ends[1] - ends[0]) * 0.08 && Math.abs(v - ends[1]) > (ends[1] - ends[0]) * 0.08,
  );
  return [...ends, ...inner];
}

/** Legend values for the DOM (tests and screen readers): the range the colors span. */
export function legendRange(s: ColorScale): [number, number] {
  return [valueAt(s, 0), valueAt(s, 1)];
}

/** About eight round positions in 0 … n−1, for axes that count steps, units or rows. */
export function indexTicks(n: number): number[] {
  const raw = n / 8;
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v < n; v += step) out.push(v);
  return out;
}
