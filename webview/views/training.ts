// View 6: training over epochs, live: loss, global gradient norm (with clipping events), how often clipping
// fired, and the recurrent matrix's spectral radius and σ_max against 1/γ.
import type { TrainPoint } from '../../src/protocol';
import type { Axis, Box } from '../chart';
import { drawAxes, range } from '../chart';
import { fmt } from '../format';
import type { ViewContext } from '../model';
import type { Painter } from '../paint';
import { CanvasView } from './view';

const HEADER = 34;
const PANEL = 210;

export class TrainingView extends CanvasView {
  readonly id = 'training' as const;
  readonly title = 'Training';

  constructor(ctx: ViewContext) {
    super(ctx, 'Training curves over epochs: loss, gradient norm, clipping events, spectral radius and largest singular value');
  }

  private points(): TrainPoint[] {
    return this.ctx.data.training?.points ?? [];
  }

  protected emptyMessage(): string | undefined {
    const t = this.ctx.data.training;
    if (t && (t.points.length || t.running)) return undefined;
    return 'No training yet. Train runs the model file’s optimizer, clipping and epochs; the curves grow here live.';
  }

  protected layoutHeight(): number {
    return HEADER + 2 * PANEL;
  }

  protected paint(p: Painter): void {
    const pal = this.ctx.palette;
    const tr = this.ctx.data.training!;
    const pts = this.points();
    p.clear(pal.background);
    const last = pts[pts.length - 1];
    const state = tr.running ? 'running' : tr.end?.reason === 'nonFinite' ? `stopped: non-finite values${tr.end.nonFinite ? ` at step ${tr.end.nonFinite.step} (${tr.end.nonFinite.what})` : ''}` : tr.end?.reason === 'cancelled' ? 'stopped' : 'finished';
    p.text(60, 18, `Training ${tr.model}: epoch ${last?.epoch ?? 0} / ${tr.epochs} · ${state}${last ? ` · loss ${fmt(last.loss)} · ${fmt(last.elapsedMs / 1000)} s` : ''}`, { color: tr.end?.reason === 'nonFinite' ? pal.error : pal.foreground, size: 12 });
    const half = p.width / 2;
    const epochs = Math.max(tr.epochs, last?.epoch ?? 1, 1);
    const xa: Axis = { lo: 0, hi: epochs, label: 'epoch' };
    const box = (col: number, row: number): Box => ({ left: col * half + 64, top: HEADER + row * PANEL + 22, width: half - 84, height: PANEL - 76 });
    const ep = pts.map((q) => q.epoch);
    const series = (vals: number[]) => vals.map((v, i) => [ep[i], v] as const);
    const title = (b: Box, s: string) => p.text(b.left, b.top - 8, s, { color: pal.foreground, size: 11 });

    const lossB = box(0, 0);
    const logLoss = pts.map((q) => Math.log10(q.loss));
    const fl = drawAxes(p, pal, lossB, xa, axisFor(logLoss, 'loss L (log)', true), { yTicks: 4 });
    p.polyline(series(logLoss).flatMap(([e, v]) => [fl.x(e), Number.isFinite(v) ? fl.y(v) : NaN]), pal.series[0], 2);
    title(lossB, 'Loss L = Σ ℓ_t');

    const gB = box(1, 0);
    const clipNorm = this.ctx.data.result?.model.clip?.norm;
    const logG = pts.map((q) => Math.log10(q.gradNorm));
    const gAxis = axisFor(clipNorm ? [...logG, Math.log10(clipNorm)] : logG, '‖∇L‖ (log)', true);
    const fg = drawAxes(p, pal, gB, xa, gAxis, { yTicks: 4 });
    p.polyline(series(logG).flatMap(([e, v]) => [fg.x(e), Number.isFinite(v) ? fg.y(v) : NaN]), pal.series[0], 2);
    if (clipNorm) {
      p.polyline([gB.left, fg.y(Math.log10(clipNorm)), gB.left + gB.width, fg.y(Math.log10(clipNorm))], pal.warning, 1, [5, 3]);
      p.text(gB.left + gB.width - 2, fg.y(Math.log10(clipNorm)) - 4, `clip τ = ${fmt(clipNorm)}`, { color: pal.warning, align: 'right', size: 10 });
    }
    pts.forEach((q) => q.clipped > 0 && p.polyline([fg.x(q.epoch), gB.top + gB.height, fg.x(q.epoch), gB.top + gB.height - 6], pal.error, 2));
    title(gB, 'Global gradient norm before clipping (red ticks: clipped)');

    const cB = box(0, 1);
    const clips = pts.map((q) => q.clipped);
    const fc = drawAxes(p, pal, cB, xa, { lo: 0, hi: Math.max(1, ...clips), label: 'clip events' }, { yTicks: 4 });
    const barW = Math.max(1, (cB.width / epochs) * 0.8);
    pts.forEach((q) => q.clipped > 0 && p.rect(fc.x(q.epoch) - barW / 2, fc.y(q.clipped), barW, cB.top + cB.height - fc.y(q.clipped), pal.error));
    const clipKind = this.ctx.data.result?.model.clip;
    title(cB, `Clipping events per epoch (${clipKind?.norm ? 'by global norm' : clipKind?.value ? 'element-wise: changes the direction' : 'clipping off'})`);

    const sB = box(1, 1);
    const gamma = this.ctx.data.result?.spectral.gamma ?? 1;
    const rad = pts.map((q) => q.radius);
    const sig = pts.map((q) => q.sigmaMax);
    const [lo, hi] = range([...rad, ...sig, 1 / gamma, 0], 0.08);
    const fs = drawAxes(p, pal, sB, xa, { lo: Math.max(0, lo), hi, label: 'ρ, σ_max' }, { yTicks: 4 });
    p.polyline([sB.left, fs.y(1 / gamma), sB.left + sB.width, fs.y(1 / gamma)], pal.foreground, 1, [4, 3]);
    p.text(sB.left + sB.width - 2, fs.y(1 / gamma) - 4, '1/γ', { color: pal.foreground, align: 'right', size: 10 });
    p.polyline(series(rad).flatMap(([e, v]) => [fs.x(e), Number.isFinite(v) ? fs.y(v) : NaN]), pal.series[2], 2);
    p.polyline(series(sig).flatMap(([e, v]) => [fs.x(e), Number.isFinite(v) ? fs.y(v) : NaN]), pal.series[1], 2, [6, 3]);
    title(sB, 'Spectral radius ρ (solid) and σ_max (dashed) of the recurrent matrix');
  }

  describe(): string {
    const pts = this.points();
    const tr = this.ctx.data.training!;
    if (!pts.length) return `Training ${tr.model} has started; no epoch has finished yet.`;
    const a = pts[0], b = pts[pts.length - 1];
    const clipped = pts.reduce((s, q) => s + q.clipped, 0);
    return `Training over ${b.epoch} of ${tr.epochs} epochs: loss from ${fmt(a.loss)} to ${fmt(b.loss)}; gradient norm from ${fmt(a.gradNorm)} to ${fmt(b.gradNorm)}; ` +
      `clipping fired ${clipped} times; spectral radius from ${fmt(a.radius)} to ${fmt(b.radius)}, σ_max from ${fmt(a.sigmaMax)} to ${fmt(b.sigmaMax)}.`;
  }

  numbers(): unknown {
    return { view: 'training', model: this.ctx.data.training?.model, points: this.points() };
  }
}

function axisFor(values: number[], label: string, log10: boolean): Axis {
  const [lo, hi] = range(values, 0.08, [-1, 1]);
  return log10 ? { lo: Math.floor(lo * 2) / 2, hi: Math.ceil(hi * 2) / 2, label, log10 } : { lo, hi, label };
}
