// Data colors: perceptually uniform colormaps from d3-scale-chromatic, sampled once into 256-entry lookup tables,
// and the scales (log, linear, signed) that map a value to a table position.
import { interpolateCividis, interpolateMagma, interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';

export type ColormapName = 'viridis' | 'magma' | 'cividis';
export type ScaleMode = 'log' | 'linear' | 'signed';
export const colormapNames: readonly ColormapName[] = ['viridis', 'magma', 'cividis'];

/** Parse the '#rrggbb' or 'rgb(r, g, b)' strings that d3 interpolators and CSS return. */
export function parseRgb(color: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color.trim());
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(color.trim());
  if (short)
    return [parseInt(short[1] + short[1], 16), parseInt(short[2] + short[2], 16), parseInt(short[3] + short[3], 16)];
  const fn = /rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/i.exec(color);
  if (fn) return [Math.round(+fn[1]), Math.round(+fn[2]), Math.round(+fn[3])];
  return [128, 128, 128];
}

export function rgbCss([r, g, b]: readonly number[]): string {
  return `rgb(${r}, ${g}, ${b})`;
}

const LUT_SIZE = 256;
const lutCache = new Map<string, Uint8Array>();

/** 256 RGB triples of a colormap (or of the diverging red-blue map used for signed values). */
export function lut(name: ColormapName, diverging: boolean): Uint8Array {
  const key = diverging ? 'signed' : name;
  let table = lutCache.get(key);
  if (!table) {
    // RdBu runs red → blue; reversed so negative values are blue and positive red.
    const interp = diverging
      ? (x: number) => interpolateRdBu(1 - x)
      : { viridis: interpolateViridis, magma: interpolateMagma, cividis: interpolateCividis }[name];
    table = new Uint8Array(LUT_SIZE * 3);
    for (let i = 0; i < LUT_SIZE; i++) table.set(parseRgb(interp(i / (LUT_SIZE - 1))), i * 3);
    lutCache.set(key, table);
  }
  return table;
}

export function lutColor(table: Uint8Array, position: number): string {
  const i = Math.max(0, Math.min(LUT_SIZE - 1, Math.round(position * (LUT_SIZE - 1)))) * 3;
  return rgbCss([table[i], table[i + 1], table[i + 2]]);
}

/**
 * Maps values to [0, 1]. `log`: |v| between lo and hi on log10 (0 → NaN: drawn as "zero").
 * `linear`: v between lo and hi. `signed`: diverging around 0, magnitude on log10 when `symlog`, else linear up to hi.
 */
export interface ColorScale {
  mode: ScaleMode;
  lo: number;
  hi: number;
  symlog: boolean;
  /** What the values are, for the legend ("‖∂L/∂h_t[i]‖", "h_t[i]"). */
  label: string;
}

/** Values more than this many decades below the largest collapse onto the lowest color, so one tiny value cannot flatten the map. */
export const MAX_DECADES = 16;

/** Smallest and largest finite |v| > 0, and smallest/largest finite v, over several arrays. */
export function extent(arrays: Iterable<ArrayLike<number>>): {
  minAbs: number;
  maxAbs: number;
  min: number;
  max: number;
} {
  let minAbs = Infinity,
    maxAbs = 0,
    min = Infinity,
    max = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      const m = Math.abs(v);
      if (m > 0) {
        if (m < minAbs) minAbs = m;
        if (m > maxAbs) maxAbs = m;
      }
    }
  }
  return { minAbs, maxAbs, min, max };
}

export function makeScale(
  arrays: Iterable<ArrayLike<number>>,
  mode: ScaleMode,
  symlog: boolean,
  label: string,
): ColorScale {
  const e = extent(arrays);
  if (mode === 'linear') {
    const lo = Number.isFinite(e.min) ? e.min : 0;
    const hi = Number.isFinite(e.max) && e.max > lo ? e.max : lo + 1;
    return { mode, lo, hi, symlog: false, label };
  }
  const hi = e.maxAbs > 0 ? e.maxAbs : 1;
  let lo = e.maxAbs > 0 ? Math.max(e.minAbs, hi * 10 ** -MAX_DECADES) : hi / 10;
  if (!(lo < hi)) lo = hi / 10;
  return { mode, lo: mode === 'signed' && !symlog ? 0 : lo, hi, symlog: mode === 'signed' && symlog, label };
}

/** Position of v in [0, 1]; NaN when v is exactly zero on a log scale (drawn as "zero"), −1 when v is not finite. */
export function position(s: ColorScale, v: number): number {
  if (!Number.isFinite(v)) return -1;
  if (s.mode === 'linear') return clamp01((v - s.lo) / (s.hi - s.lo));
  if (s.mode === 'log') {
    const m = Math.abs(v);
    return m === 0 ? NaN : clamp01(Math.log10(m / s.lo) / Math.log10(s.hi / s.lo));
  }
  if (v === 0) return 0.5;
  const m = Math.abs(v);
  const r = s.symlog ? clamp01(Math.log10(m / s.lo) / Math.log10(s.hi / s.lo)) : clamp01(m / s.hi);
  return 0.5 + (v > 0 ? 0.5 : -0.5) * r;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** The value at a legend position: the inverse of `position` (for ticks). */
export function valueAt(s: ColorScale, p: number): number {
  if (s.mode === 'linear') return s.lo + p * (s.hi - s.lo);
  if (s.mode === 'log') return s.lo * (s.hi / s.lo) ** p;
  const r = Math.abs(p - 0.5) * 2;
  const m = s.symlog ? s.lo * (s.hi / s.lo) ** r : r * s.hi;
  return p < 0.5 ? -m : m;
}

export interface SpecialColors {
  /** Exact zeros on a log scale (e.g. beyond a truncation cut). */
  zero: [number, number, number];
  /** NaN or ±∞. */
  bad: [number, number, number];
}

/** Pack RGB into one RGBA pixel as the platform's Uint32Array view of ImageData reads it. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function pack(r: number, g: number, b: number): number {
  return littleEndian ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

const packedCache = new WeakMap<Uint8Array, Uint32Array>();
function packed(table: Uint8Array): Uint32Array {
  let p = packedCache.get(table);
  if (!p) {
    p = new Uint32Array(LUT_SIZE);
    for (let i = 0; i < LUT_SIZE; i++) p[i] = pack(table[i * 3], table[i * 3 + 1], table[i * 3 + 2]);
    packedCache.set(table, p);
  }
  return p;
}

/** log2(1 + (j + ½)/4096): the mantissa's share of log2 |v|, by the mantissa's top 12 bits. */
const MANTISSA_BITS = 12;
const log2Mantissa = Float64Array.from({ length: 1 << MANTISSA_BITS }, (_, j) =>
  Math.log2(1 + (j + 0.5) / (1 << MANTISSA_BITS)),
);

/**
 * Fill an RGBA image of `width` × `height` from `source` in one pass: pixel (x, y) takes source[x * xStride + y * yStride].
 * With xStride 1 and yStride = width the source is read and the image written in the same linear order (the fast case:
 * a [T][H] matrix becomes a T-row image, which the heatmap draws transposed).
 */
export function paintImage(
  out: Uint8ClampedArray,
  width: number,
  height: number,
  source: Float64Array,
  xStride: number,
  yStride: number,
  s: ColorScale,
  table: Uint8Array,
  special: SpecialColors,
): void {
  const px = new Uint32Array(out.buffer, out.byteOffset, width * height);
  const colors = packed(table);
  const zero = pack(...special.zero);
  const bad = pack(...special.bad);
  const top = LUT_SIZE - 1;
  // log2|v| read from the double's bits (exponent + tabled mantissa) instead of Math.log10 per cell: about 3× faster,
  // within 0.0004 decades, so a cell lands at most one of the 256 colors away from the exact computation.
  const words = new Uint32Array(source.buffer, source.byteOffset, source.length * 2);
  const high = littleEndian ? 1 : 0;
  const log2Lo = Math.log2(s.lo);
  const perOctave = top / Math.log2(s.hi / s.lo);
  const shift = 20 - MANTISSA_BITS;
  const mask = (1 << MANTISSA_BITS) - 1;
  for (let y = 0; y < height; y++) {
    let o = y * width;
    let k = y * yStride;
    for (let x = 0; x < width; x++, o++, k += xStride) {
      const v = source[k];
      if (!(v === v) || v === Infinity || v === -Infinity) px[o] = bad;
      else if (s.mode === 'log') {
        if (v === 0) px[o] = zero;
        else {
          const w = words[2 * k + high];
          const log2 = ((w >>> 20) & 0x7ff) - 1023 + log2Mantissa[(w >>> shift) & mask];
          const i = Math.round((log2 - log2Lo) * perOctave);
          px[o] = colors[i < 0 ? 0 : i > top ? top : i];
        }
      } else px[o] = colors[Math.round(position(s, v) * top)];
    }
  }
}
