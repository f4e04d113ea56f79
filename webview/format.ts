// Number formatting shared by legends, axes, tooltips and text alternatives.

/** Three significant digits; scientific notation for very small or large magnitudes. */
export function fmt(v: number, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5)
    return v
      .toExponential(digits - 1)
      .replace('e+', 'e')
      .replace(/\.0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}

/** Every digit a double holds: what a tooltip calls the exact value. */
export function exact(v: number): string {
  return Number.isFinite(v) ? String(v) : fmt(v);
}

export function pct(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return fraction === 0 ? '0%' : `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

/** Round ticks covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}
