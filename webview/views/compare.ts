// View 7: several Results (RNN, LSTM, GRU on the same data and seed) side by side, on the same scales:
// one shared color range for |∂L/∂h_t[i]|, one shared axis for ‖∂L/∂h_t‖, and their decay curves overlaid.
import type { AnalysisResult } from '../../src/protocol';
import type { ColorScale } from '../colormap';
import { lut, makeScale, paintImage } from '../colormap';
import type { Axis } from '../chart';
import { drawAxes, drawLegend, legendRange, markLine, range } from '../chart';
import { fmt, pct } from '../format';
import type { ViewContext } from '../model';
import { cellName, rowNorms, steps } from '../model';
import type { Painter } from '../paint';
import { imageCanvas } from '../paint';
import { CanvasView } from './view';

const L = { left: 58, right: 96, title: 34, mapTop: 58, mapH: 120, lineTop: 200, lineH: 80, decayTop: 340, decayH: 190, tableTop: 590, height: 700 };
const GAP = 28;

export class CompareView extends CanvasView {
  readonly id = 'compare' as const;
  readonly title = 'Compare cells';
  private images: HTMLCanvasElement[] = [];
  private imageKey: unknown[] = [];
  private scale?: ColorScale;

  constructor(ctx: ViewContext) {
    super(ctx, 'Cells compared side by side on the same scales');
  }

  private results(): AnalysisResult[] {
    return this.ctx.data.compare;
  }

  protected emptyMessage(): string | undefined {
    return this.results().length ? undefined : 'Nothing to compare yet. Compare runs RNN, LSTM and GRU on the same data and seed and shows them here side by side.';
  }

  protected layoutHeight(): number {
    return L.height;
  }

  private columns(width: number) {
    const n = this.results().length;
    const colW = (width - L.left - L.right - GAP * (n - 1)) / n;
    return { n, colW: Math.max(40, colW), x: (j: number) => L.left + j * (colW + GAP) };
  }

  private ensureImages(): void {
    const rs = this.results();
    const pal = this.ctx.palette;
    const key = [...rs, this.ctx.settings.colormap, pal.kind, pal.background];
    if (this.scale && key.length === this.imageKey.length && key.every((k, i) => k === this.imageKey[i])) return;
    this.scale = makeScale(rs.map((r) => r.dLdh.data), 'log', false, '|∂L/∂h_t[i]|');
    const table = lut(this.ctx.settings.colormap, false);
    this.images = rs.map((r, j) => {
      const { canvas, ctx, image } = imageCanvas(this.images[j], r.dLdh.cols, steps(r));
      paintImage(image.data, r.dLdh.cols, steps(r), r.dLdh.data, 1, r.dLdh.cols, this.scale!, table, { zero: pal.zeroRgb, bad: pal.badRgb });
      ctx.putImageData(image, 0, 0);
      return canvas;
    });
    this.imageKey = key;
  }

  protected paint(p: Painter): void {
    const rs = this.results();
    const pal = this.ctx.palette;
    this.ensureImages();
    const scale = this.scale!;
    const { colW, x } = this.columns(p.width);
    p.clear(pal.background);
    p.text(L.left, 16, `${rs.length} cells on the same data and seed · shared color range and axes`, { color: pal.foreground, size: 11 });
    const logNorms = rs.map((r) => Array.from(rowNorms(r.dLdh), (v) => Math.log10(v)));
    const [nlo, nhi] = range(logNorms.flat(), 0.08, [-3, 0]);
    const sel = this.ctx.settings.step;
    rs.forEach((r, j) => {
      const T = steps(r);
      const left = x(j);
      p.text(left, L.title, `${cellName(r)} · L = ${fmt(r.loss)} · horizon ${r.flow.decay.horizon ?? 'beyond range'}`, { color: pal.series[j % pal.series.length], size: 12, bold: true });
      p.raster(left, L.mapTop, colW, L.mapH, this.images[j], true);
      p.rect(left, L.mapTop, colW, L.mapH, undefined, pal.border);
      p.text(left, L.mapTop + L.mapH + 12, `|∂L/∂h_t[i]|: ${r.dLdh.cols} units × ${T} steps`, { color: pal.muted, size: 10 });
      const f = drawAxes(p, pal, { left, top: L.lineTop, width: colW, height: L.lineH }, { lo: 0, hi: T, label: 'step t' }, { lo: Math.floor(nlo), hi: Math.ceil(nhi), label: j === 0 ? '‖∂L/∂h_t‖' : '', log10: true }, { yTicks: 3, xTicks: 4 });
      p.polyline(logNorms[j].flatMap((v, t) => [f.x(t + 0.5), Number.isFinite(v) ? f.y(v) : NaN]), pal.series[j % pal.series.length], 1.5);
      const s = Math.min(sel, T - 1);
      const sx = left + ((s + 0.5) / T) * colW;
      markLine(p, pal, [sx, L.mapTop, sx, L.mapTop + L.mapH], 2);
      markLine(p, pal, [sx, L.lineTop, sx, L.lineTop + L.lineH], 1.5);
    });
    drawLegend(p, pal, { left: p.width - L.right + 18, top: L.mapTop + 8, width: 12, height: L.mapH - 8 }, scale, lut(this.ctx.settings.colormap, false));
    const [lo, hi] = legendRange(scale);
    this.root.dataset.legendLo = String(lo);
    this.root.dataset.legendHi = String(hi);

    // Decay curves overlaid on one axis.
    const maxD = Math.max(1, ...rs.map((r) => r.flow.decay.distance[r.flow.decay.distance.length - 1] ?? 1));
    const [dlo, dhi] = range(rs.flatMap((r) => r.flow.decay.meanLog10), 0.06, [-4, 0]);
    const box = { left: L.left, top: L.decayTop, width: p.width - L.left - L.right, height: L.decayH };
    const xa: Axis = { lo: 0, hi: maxD, label: 'distance d = t − k' };
    const f = drawAxes(p, pal, box, xa, { lo: Math.floor(dlo), hi: Math.ceil(dhi), label: 'mean ‖∂ℓ_t/∂h_k‖', log10: true });
    p.text(L.left, L.decayTop - 10, 'Decay by distance, all cells (mean of log10 over rows)', { color: pal.foreground, size: 11 });
    rs.forEach((r, j) => {
      const d = r.flow.decay;
      p.polyline(d.distance.flatMap((dist, i) => [f.x(dist), Number.isFinite(d.meanLog10[i]) ? f.y(d.meanLog10[i]) : NaN]), pal.series[j % pal.series.length], 2, j === 0 ? [] : [6 - j, 3]);
    });

    // The numbers that separate them.
    const rows: [string, (r: AnalysisResult) => string][] = [
      ['fitted slope (decades/step)', (r) => fmt(r.flow.decay.slope)],
      ['memory horizon (steps)', (r) => (r.flow.decay.horizon === null ? 'beyond range' : String(r.flow.decay.horizon))],
      ['ρ / σ_max / 1/γ', (r) => `${fmt(r.spectral.radius)} / ${fmt(r.spectral.sigmaMax)} / ${fmt(1 / r.spectral.gamma)}`],
      ['steps with ‖∂L/∂h_k‖² > 1e-20', (r) => pct(r.aliveFraction)],
    ];
    rows.forEach(([label, value], i) => {
      const y = L.tableTop + i * 20;
      p.text(L.left, y, label, { color: pal.muted, size: 11 });
      rs.forEach((r, j) => p.text(L.left + 230 + j * Math.max(150, (p.width - L.left - 230) / rs.length), y, value(r), { color: pal.series[j % pal.series.length], size: 11 }));
    });
  }

  protected override stepAt(px: number, py: number): number | undefined {
    const rs = this.results();
    if (py < L.mapTop || py > L.lineTop + L.lineH) return undefined;
    const { colW, x } = this.columns(this.canvas.clientWidth);
    for (let j = 0; j < rs.length; j++) {
      const rel = (px - x(j)) / colW;
      if (rel >= 0 && rel < 1) return Math.floor(rel * steps(rs[j]));
    }
    return undefined;
  }

  protected override hoverText(px: number, py: number): string | undefined {
    const rs = this.results();
    const t = this.stepAt(px, py);
    if (t === undefined) return undefined;
    return `step ${t} · ` + rs.map((r) => `${cellName(r)} ‖∂L/∂h_t‖ = ${fmt(rowNorms(r.dLdh)[Math.min(t, steps(r) - 1)], 4)}`).join(' · ');
  }

  describe(): string {
    return this.results().map((r) => `${cellName(r)}: loss ${fmt(r.loss)}, decay slope ${fmt(r.flow.decay.slope)} per step, horizon ${r.flow.decay.horizon ?? 'beyond the measured range'}, ρ ${fmt(r.spectral.radius)}, σ_max ${fmt(r.spectral.sigmaMax)}.`).join(' ');
  }

  numbers(): unknown {
    return {
      view: 'compare',
      cells: this.results().map((r) => ({ cell: r.model.cell, loss: r.loss, gradNormPerStep: Array.from(rowNorms(r.dLdh)), decay: r.flow.decay, spectral: r.spectral, aliveFraction: r.aliveFraction })),
    };
  }
}
