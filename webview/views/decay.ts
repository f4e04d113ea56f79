// View 4: log10‖∂ℓ_t/∂h_{t−d}‖ against the distance d (mean ± spread over rows), the fitted slope, the memory
// horizon, and the bound (γσ_max)^d drawn as a line of slope log10(γσ_max) from d = 0 (Pascanu et al. 2013).
import type { AnalysisResult } from '../../src/protocol';
import type { Axis, Frame } from '../chart';
import { drawAxes, range } from '../chart';
import { fmt } from '../format';
import type { ViewContext } from '../model';
import { cellName, steps } from '../model';
import type { Painter } from '../paint';
import type { Palette } from '../theme';
import { CanvasView } from './view';

const M = { left: 64, right: 270, top: 52, bottom: 50, height: 400 };

/** Intercept of the least-squares line with the given slope through the finite (d, mean) points. */
export function fitIntercept(distance: number[], meanLog10: number[], slope: number): number {
  let sd = 0, sy = 0, n = 0;
  distance.forEach((d, i) => {
    if (Number.isFinite(meanLog10[i])) {
      sd += d;
      sy += meanLog10[i];
      n++;
    }
  });
  return n ? sy / n - slope * (sd / n) : NaN;
}

/** The flow row nearest to step t, as log10 values against d = 0 … t. */
export function rowByDistance(r: AnalysisResult, t: number): { t: number; values: number[] } {
  let i = 0;
  r.flow.steps.forEach((s, j) => {
    if (Math.abs(s - t) < Math.abs(r.flow.steps[i] - t)) i = j;
  });
  const step = r.flow.steps[i];
  const row = r.flow.matrix[i];
  const values: number[] = [];
  for (let d = 0; d <= step; d++) values.push(Math.log10(row[step - d]));
  return { t: step, values };
}

/** Pascanu et al.'s condition in words: [the comparison, what it implies]. */
export function spectralVerdict(r: AnalysisResult): string[] {
  const g = r.spectral.gamma * r.spectral.sigmaMax;
  if (!Number.isFinite(g)) return ['σ_max is not finite', 'the weights have diverged'];
  return g < 1 ? [`γσ_max = ${fmt(g)} < 1:`, 'long-term components must vanish'] : [`γσ_max = ${fmt(g)} ≥ 1:`, 'no vanishing guarantee;', 'explosion is possible'];
}

export class DecayView extends CanvasView {
  readonly id = 'decay' as const;
  readonly title = 'Decay by distance';

  constructor(ctx: ViewContext) {
    super(ctx, 'Decay of the gradient with temporal distance, against the theoretical bound');
  }

  protected emptyMessage(): string | undefined {
    const r = this.ctx.data.result;
    if (!r) return 'No analysis yet.';
    return r.flow.decay.distance.length ? undefined : 'This analysis measured no distances.';
  }

  protected layoutHeight(): number {
    return M.height;
  }

  private frameFor(width: number): { box: { left: number; top: number; width: number; height: number }; maxD: number } {
    const r = this.ctx.data.result!;
    const maxD = Math.max(1, r.flow.decay.distance[r.flow.decay.distance.length - 1] ?? 1);
    return { box: { left: M.left, top: M.top, width: Math.max(60, width - M.left - M.right), height: M.height - M.top - M.bottom }, maxD };
  }

  protected paint(p: Painter): void {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const dec = r.flow.decay;
    const { box, maxD } = this.frameFor(p.width);
    const sel = rowByDistance(r, Math.min(this.ctx.settings.step, steps(r) - 1));
    const intercept = fitIntercept(dec.distance, dec.meanLog10, dec.slope);
    const y0 = dec.meanLog10[0];
    const lows = dec.meanLog10.map((m, i) => m - (dec.stdLog10[i] || 0));
    const highs = dec.meanLog10.map((m, i) => m + (dec.stdLog10[i] || 0));
    const [ylo, yhi] = range([...lows, ...highs, ...sel.values.slice(0, maxD + 1), intercept, intercept + dec.slope * maxD], 0.06, [-4, 1]);
    p.clear(pal.background);
    const xa: Axis = { lo: 0, hi: maxD, label: 'distance d = t − k (steps back)' };
    const ya: Axis = { lo: Math.floor(ylo), hi: Math.ceil(yhi), label: '‖∂ℓ_t/∂h_k‖ (log)', log10: true };
    const f = drawAxes(p, pal, box, xa, ya);

    // Spread first (under everything), then the lines.
    const band: number[] = [];
    dec.distance.forEach((d, i) => Number.isFinite(highs[i]) && band.push(f.x(d), f.y(highs[i])));
    for (let i = dec.distance.length - 1; i >= 0; i--) if (Number.isFinite(lows[i])) band.push(f.x(dec.distance[i]), f.y(lows[i]));
    if (band.length >= 6) p.polygon(band, pal.series[0], 0.18);
    p.polyline(sel.values.slice(0, maxD + 1).flatMap((v, d) => [f.x(d), Number.isFinite(v) ? f.y(v) : NaN]), pal.muted, 1);
    p.polyline(dec.distance.flatMap((d, i) => [f.x(d), Number.isFinite(dec.meanLog10[i]) ? f.y(dec.meanLog10[i]) : NaN]), pal.series[0], 2.5);
    if (Number.isFinite(intercept) && Number.isFinite(dec.slope)) this.clippedLine(p, f, ya, intercept, dec.slope, maxD, pal.series[2], [7, 4], 2);
    if (Number.isFinite(y0) && Number.isFinite(r.spectral.boundSlope)) this.clippedLine(p, f, ya, y0, r.spectral.boundSlope, maxD, pal.series[1], [2, 3], 2);
    if (Number.isFinite(y0) && y0 - 3 >= ya.lo) {
      p.polyline([f.x(0), f.y(y0 - 3), f.x(maxD), f.y(y0 - 3)], pal.muted, 1, [1, 3]);
      p.text(f.x(maxD) - 2, f.y(y0 - 3) - 4, '1/1000 of d = 0', { color: pal.muted, align: 'right', size: 10 });
    }
    if (dec.horizon !== null) {
      p.polyline([f.x(dec.horizon), box.top, f.x(dec.horizon), box.top + box.height], pal.warning, 1.5);
      p.text(f.x(dec.horizon) + 4, box.top + 12, `horizon ${dec.horizon}`, { color: pal.warning, size: 10 });
    }

    const legend: [string, string, number[]][] = [
      [pal.series[0], 'mean over rows ± 1 s.d.', []],
      [pal.series[2], `fit: ${fmt(dec.slope)} decades/step`, [7, 4]],
      [pal.series[1], `bound (γσ_max)^d: slope ${fmt(r.spectral.boundSlope)}`, [2, 3]],
      [pal.muted, `row t = ${sel.t}`, []],
    ];
    let lx = M.left;
    for (const [color, text, dash] of legend) {
      p.polyline([lx, 22, lx + 22, 22], color, 2, dash);
      p.text(lx + 26, 22, text, { color: pal.foreground, baseline: 'middle', size: 10 });
      lx += 36 + p.measure(text, 10);
    }
    p.text(M.left, 40, `${cellName(r)} · ${dec.horizon === null ? 'the gradient never falls below 1/1000 within the distances measured' : `the gradient falls below 1/1000 after ${dec.horizon} steps`}`, { color: pal.muted, size: 10 });
    this.paintSpectral(p, pal, r, box.left + box.width + 24);
  }

  /** y = a + slope·d from d = 0 until it leaves the y range. */
  private clippedLine(p: Painter, f: Frame, ya: Axis, a: number, slope: number, maxD: number, color: string, dash: number[], width: number): void {
    let end = maxD;
    if (slope > 0) end = Math.min(end, (ya.hi - a) / slope);
    if (slope < 0) end = Math.min(end, (ya.lo - a) / slope);
    if (end <= 0) return;
    p.polyline([f.x(0), f.y(a), f.x(end), f.y(a + slope * end)], color, width, dash);
  }

  /** ρ and σ_max against 1/γ: the numbers that decide vanishing, with a small gauge. */
  private paintSpectral(p: Painter, pal: Palette, r: AnalysisResult, x: number): void {
    const s = r.spectral;
    const lines = [
      `Recurrent matrix: ${s.matrix}`,
      `spectral radius ρ = ${fmt(s.radius)}`,
      `largest singular value σ_max = ${fmt(s.sigmaMax)}`,
      `γ = ${fmt(s.gamma)} (bound on |f′|), 1/γ = ${fmt(1 / s.gamma)}`,
      s.radius < 1 / s.gamma ? 'ρ < 1/γ' : 'ρ ≥ 1/γ',
    ];
    let y = M.top + 4;
    for (const line of lines) {
      p.text(x, y, line, { color: pal.muted, size: 11 });
      y += 18;
    }
    for (const line of spectralVerdict(r)) {
      p.text(x, y, line, { color: pal.foreground, size: 11, bold: true });
      y += 18;
    }
    // Gauge: 0 … max on one axis, 1/γ marked; σ_max > 1/γ is needed for explosion.
    const w = M.right - 40;
    const top = y + 16;
    const hi = Math.max(2 / s.gamma, (Number.isFinite(s.sigmaMax) ? s.sigmaMax : 0) * 1.15, (Number.isFinite(s.radius) ? s.radius : 0) * 1.15);
    const gx = (v: number) => x + (Math.min(v, hi) / hi) * w;
    p.rect(x, top, w, 8, pal.grid);
    p.polyline([gx(1 / s.gamma), top - 8, gx(1 / s.gamma), top + 16], pal.foreground, 2);
    p.text(gx(1 / s.gamma), top + 28, '1/γ', { color: pal.foreground, align: 'center', size: 10 });
    const marker = (v: number, label: string, color: string, above: boolean) => {
      if (!Number.isFinite(v)) return;
      p.circle(gx(v), top + 4, 5, color, pal.background, 1);
      p.text(gx(v), above ? top - 10 : top + 40, label, { color, align: 'center', size: 10 });
    };
    marker(s.radius, 'ρ', pal.series[2], true);
    marker(s.sigmaMax, 'σ_max', pal.series[1], false);
    p.text(x, top + 60, `scale 0 … ${fmt(hi)}`, { color: pal.muted, size: 10 });
  }

  describe(): string {
    const r = this.ctx.data.result!;
    const d = r.flow.decay;
    return `Gradient decay over ${d.distance.length} distances: log10‖∂ℓ_t/∂h_k‖ falls by ${fmt(-d.slope)} per step back on average (fitted slope ${fmt(d.slope)}). ` +
      (d.horizon === null ? 'It never falls below 1/1000 of its d = 0 value within range. ' : `It falls below 1/1000 of its d = 0 value at distance ${d.horizon}. `) +
      `The bound (γσ_max)^d has slope ${fmt(r.spectral.boundSlope)}. Spectral radius ρ = ${fmt(r.spectral.radius)}, σ_max = ${fmt(r.spectral.sigmaMax)}, 1/γ = ${fmt(1 / r.spectral.gamma)}. ${spectralVerdict(r).join(' ')}.`;
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    return { view: 'decay', ...r.flow.decay, intercept: fitIntercept(r.flow.decay.distance, r.flow.decay.meanLog10, r.flow.decay.slope), spectral: r.spectral };
  }
}
