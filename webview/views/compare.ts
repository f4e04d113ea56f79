// View 7: several Results (RNN, LSTM, GRU on the same data and seed) side by side, on the same scales:
// one shared color range for |∂L/∂h_t[i]|, one shared axis for ‖∂L/∂h_t‖, and their decay curves overlaid.
import type { AnalysisResult, TrainPoint } from '../../src/protocol';
import type { ColorScale } from '../colormap';
import { lut, makeScale, paintImage } from '../colormap';
import type { Axis } from '../chart';
import { drawAxes, drawLegend, legendRange, markLine, range } from '../chart';
import { fmt, pct } from '../format';
import type { ViewContext } from '../model';
import { cellName, rowNorms, runName, steps } from '../model';
import { divergencePlace, divergenceX } from './training';
import type { Painter } from '../paint';
import { imageCanvas } from '../paint';
import { CanvasView } from './view';
import type { Palette } from '../theme';
import { termBar } from '../terms';

const BASE = {
  left: 58,
  right: 96,
  title: 34,
  mapTop: 58,
  mapH: 120,
  lineTop: 200,
  lineH: 80,
  decayTop: 340,
  decayH: 190,
  tableTop: 590,
  height: 700,
};
/** The training row (loss per epoch of every run), inserted under the titles when any run was trained. */
const TRAIN = { top: 58, height: 110, space: 160 };
const GAP = 28;
/** Series colors in an order that keeps red (the error color, which marks a diverged run) for the fifth run. */
const RUN_ORDER = [0, 2, 4, 3, 1];

function runColor(pal: Palette, j: number): string {
  return pal.series[RUN_ORDER[j % RUN_ORDER.length]];
}

type Layout = typeof BASE & { training: boolean };

function layout(training: boolean): Layout {
  const d = training ? TRAIN.space : 0;
  return {
    ...BASE,
    training,
    mapTop: BASE.mapTop + d,
    lineTop: BASE.lineTop + d,
    decayTop: BASE.decayTop + d,
    tableTop: BASE.tableTop + d,
    height: BASE.height + d + (training ? 40 : 0),
  };
}

/** `s` cut with an ellipsis to about `width` pixels of `size`-pixel text (a wide glyph is about 0.62 of the size). */
function fitColumn(s: string, width: number, size: number): string {
  const n = Math.max(4, Math.floor(width / (size * 0.62)));
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export class CompareView extends CanvasView {
  readonly id = 'compare' as const;
  readonly title = 'Compare cells';
  private images: HTMLCanvasElement[] = [];
  private imageKey: unknown[] = [];
  private scale?: ColorScale;

  constructor(ctx: ViewContext) {
    super(ctx, 'Runs compared side by side on the same scales');
    this.controls.append(
      termBar([
        ['decay slope', ['slope']],
        ['horizon', ['horizon']],
        ['ρ', ['radius']],
        ['σ_max', ['sigmaMax']],
        ['1/γ', ['gamma']],
        ['step gain', ['stepGain']],
        ['alive', ['alive']],
      ]),
    );
  }

  private results(): AnalysisResult[] {
    return this.ctx.data.compare;
  }

  /** Epoch points of run j: its Result's training history, or what streamed live before the Results came. */
  private history(j: number): TrainPoint[] {
    return this.results()[j]?.training?.history ?? this.ctx.data.compareLive[j] ?? [];
  }

  private runCount(): number {
    return this.results().length || this.ctx.data.compareLive.length;
  }

  private layout(): Layout {
    let trained = false;
    for (let j = 0; j < this.runCount(); j++) trained ||= this.history(j).length > 0 || !!this.results()[j]?.training;
    return layout(trained);
  }

  protected emptyMessage(): string | undefined {
    return this.runCount()
      ? undefined
      : 'Nothing to compare yet. Compare runs RNN, LSTM and GRU (or several model files) on the same data and seed and shows them here side by side.';
  }

  protected layoutHeight(): number {
    return this.results().length ? this.layout().height : TRAIN.top + TRAIN.height + 60;
  }

  private columns(width: number) {
    const n = this.runCount();
    const L = BASE;
    const colW = (width - L.left - L.right - GAP * (n - 1)) / n;
    return { n, colW: Math.max(40, colW), x: (j: number) => L.left + j * (colW + GAP) };
  }

  private ensureImages(): void {
    const rs = this.results();
    const pal = this.ctx.palette;
    const key = [...rs, this.ctx.settings.colormap, pal.kind, pal.background];
    if (this.scale && key.length === this.imageKey.length && key.every((k, i) => k === this.imageKey[i])) return;
    this.scale = makeScale(
      rs.map((r) => r.dLdh.data),
      'log',
      false,
      '|∂L/∂h_t[i]|',
    );
    const table = lut(this.ctx.settings.colormap, false);
    this.images = rs.map((r, j) => {
      const { canvas, ctx, image } = imageCanvas(this.images[j], r.dLdh.cols, steps(r));
      paintImage(image.data, r.dLdh.cols, steps(r), r.dLdh.data, 1, r.dLdh.cols, this.scale!, table, {
        zero: pal.zeroRgb,
        bad: pal.badRgb,
      });
      ctx.putImageData(image, 0, 0);
      return canvas;
    });
    this.imageKey = key;
  }

  /** Loss per epoch of every run on one shared log axis, with each run's baseline; a diverged run marked where it broke. */
  private paintTraining(p: Painter, L: Layout): void {
    const pal = this.ctx.palette;
    const rs = this.results();
    const n = this.runCount();
    const { colW, x } = this.columns(p.width);
    const runs = Array.from({ length: n }, (_, j) => ({ points: this.history(j), summary: rs[j]?.training }));
    const epochs = Math.max(
      1,
      ...runs.flatMap((r) => [
        r.summary?.history[r.summary.history.length - 1]?.epochs ?? 0,
        ...r.points.map((q) => Math.max(q.epoch, q.epochs)),
      ]),
    );
    const logs = runs
      .flatMap((r) => [...r.points.flatMap((q) => [q.loss, q.heldOutLoss ?? NaN]), r.summary?.baseline.loss ?? NaN])
      .filter((v) => v > 0 && Number.isFinite(v))
      .map(Math.log10);
    const [lo, hi] = range(logs, 0.05, [-2, 0]);
    const unit = runs.find((r) => r.summary)?.summary?.unit;
    runs.forEach((run, j) => {
      const left = x(j);
      const color = runColor(pal, j);
      const box = { left, top: TRAIN.top + 8, width: colW, height: TRAIN.height - 8 };
      const f = drawAxes(
        p,
        pal,
        box,
        { lo: 0, hi: epochs, label: 'epoch' },
        { lo: Math.floor(lo), hi: Math.ceil(hi), label: j === 0 ? 'loss' : '', log10: true },
        { yTicks: 3, xTicks: 4 },
      );
      const line = (get: (q: TrainPoint) => number | null | undefined) =>
        run.points.flatMap((q) => {
          const v = get(q);
          return [f.x(q.epoch), typeof v === 'number' && v > 0 && Number.isFinite(v) ? f.y(Math.log10(v)) : NaN];
        });
      const base = run.summary?.baseline;
      if (base && base.loss > 0 && Number.isFinite(base.loss)) {
        const y = f.y(Math.log10(base.loss));
        p.polyline([box.left, y, box.left + box.width, y], pal.foreground, 1, [6, 4]);
        p.text(box.left + box.width - 2, y - 3, `baseline ${fmt(base.loss)}`, {
          color: pal.foreground,
          align: 'right',
          size: 9,
        });
      }
      p.polyline(
        line((q) => q.loss),
        color,
        2,
      );
      p.polyline(
        line((q) => q.heldOutLoss),
        color,
        1.5,
        [5, 3],
      );
      const bad = run.summary?.nonFinite;
      if (bad) {
        const at = Math.min(epochs, divergenceX(bad, run.points[run.points.length - 1]?.epoch ?? 0));
        p.polyline([f.x(at), box.top, f.x(at), box.top + box.height], pal.error, 2);
        p.text(Math.min(f.x(at) + 4, box.left + box.width - 4), box.top + 10, `✕ diverged: ${divergencePlace(bad)}`, {
          color: pal.error,
          size: 10,
          bold: true,
          align: f.x(at) > box.left + box.width / 2 ? 'right' : 'left',
        });
      }
      if (!rs[j])
        p.text(
          left,
          L.title,
          fitColumn(
            `run ${j + 1} · epoch ${run.points[run.points.length - 1]?.epoch ?? 0} / ${epochs} · training…`,
            colW,
            12,
          ),
          { color, size: 12, bold: true },
        );
    });
    p.text(
      L.left,
      TRAIN.top - 6,
      `Loss per epoch${unit ? ` (${unit})` : ''}: train solid, held-out dashed; the dashed line marked “baseline” is each run’s trivial predictor`,
      { color: pal.muted, size: 10 },
    );
  }

  protected paint(p: Painter): void {
    const rs = this.results();
    const pal = this.ctx.palette;
    const L = this.layout();
    p.clear(pal.background);
    if (!rs.length) {
      p.text(L.left, 16, `${this.runCount()} runs training on the same data and seed`, {
        color: pal.foreground,
        size: 11,
      });
      this.paintTraining(p, L);
      return;
    }
    this.ensureImages();
    const scale = this.scale!;
    const { colW, x } = this.columns(p.width);
    p.text(L.left, 16, `${rs.length} runs on the same data and seed · shared color range and axes`, {
      color: pal.foreground,
      size: 11,
    });
    if (L.training) this.paintTraining(p, L);
    const logNorms = rs.map((r) => Array.from(rowNorms(r.dLdh), (v) => Math.log10(v)));
    const [nlo, nhi] = range(logNorms.flat(), 0.08, [-3, 0]);
    const sel = this.ctx.settings.step;
    rs.forEach((r, j) => {
      const T = steps(r);
      const left = x(j);
      const diverged = r.training?.nonFinite || r.nonFinite;
      // Name and numbers on two lines, each cut to its column: long model-file names must not run into the next run's.
      const color = diverged ? pal.error : runColor(pal, j);
      p.text(left, L.title - 7, fitColumn(`${diverged ? '✕ ' : ''}${runName(r)}`, colW, 12), {
        color,
        size: 12,
        bold: true,
      });
      p.text(
        left,
        L.title + 8,
        fitColumn(
          `L = ${fmt(r.loss)} · horizon ${r.flow.decay.horizon ?? 'beyond range'}${diverged ? ' · diverged' : ''}`,
          colW,
          11,
        ),
        { color, size: 11 },
      );
      p.raster(left, L.mapTop, colW, L.mapH, this.images[j], true);
      p.rect(left, L.mapTop, colW, L.mapH, undefined, pal.border);
      p.text(left, L.mapTop + L.mapH + 12, `|∂L/∂h_t[i]|: ${r.dLdh.cols} units × ${T} steps`, {
        color: pal.muted,
        size: 10,
      });
      const f = drawAxes(
        p,
        pal,
        { left, top: L.lineTop, width: colW, height: L.lineH },
        { lo: 0, hi: T, label: 'step t' },
        { lo: Math.floor(nlo), hi: Math.ceil(nhi), label: j === 0 ? '‖∂L/∂h_t‖' : '', log10: true },
        { yTicks: 3, xTicks: 4 },
      );
      p.polyline(
        logNorms[j].flatMap((v, t) => [f.x(t + 0.5), Number.isFinite(v) ? f.y(v) : NaN]),
        runColor(pal, j),
        1.5,
      );
      const s = Math.min(sel, T - 1);
      const sx = left + ((s + 0.5) / T) * colW;
      markLine(p, pal, [sx, L.mapTop, sx, L.mapTop + L.mapH], 2);
      markLine(p, pal, [sx, L.lineTop, sx, L.lineTop + L.lineH], 1.5);
    });
    drawLegend(
      p,
      pal,
      { left: p.width - L.right + 18, top: L.mapTop + 8, width: 12, height: L.mapH - 8 },
      scale,
      lut(this.ctx.settings.colormap, false),
    );
    const [lo, hi] = legendRange(scale);
    this.root.dataset.legendLo = String(lo);
    this.root.dataset.legendHi = String(hi);

    // Decay curves overlaid on one axis.
    const maxD = Math.max(1, ...rs.map((r) => r.flow.decay.distance[r.flow.decay.distance.length - 1] ?? 1));
    const [dlo, dhi] = range(
      rs.flatMap((r) => r.flow.decay.meanLog10),
      0.06,
      [-4, 0],
    );
    const box = { left: L.left, top: L.decayTop, width: p.width - L.left - L.right, height: L.decayH };
    const xa: Axis = { lo: 0, hi: maxD, label: 'distance d = t − k' };
    const f = drawAxes(p, pal, box, xa, {
      lo: Math.floor(dlo),
      hi: Math.ceil(dhi),
      label: 'mean ‖∂ℓ_t/∂h_k‖',
      log10: true,
    });
    p.text(L.left, L.decayTop - 10, 'Decay by distance, all cells (mean of log10 over rows)', {
      color: pal.foreground,
      size: 11,
    });
    rs.forEach((r, j) => {
      const d = r.flow.decay;
      p.polyline(
        d.distance.flatMap((dist, i) => [f.x(dist), Number.isFinite(d.meanLog10[i]) ? f.y(d.meanLog10[i]) : NaN]),
        runColor(pal, j),
        2,
        j === 0 ? [] : [6 - j, 3],
      );
    });

    // The numbers that separate them.
    const last = (r: AnalysisResult) => r.training?.history[r.training.history.length - 1];
    const rows: [string, (r: AnalysisResult) => string][] = [
      ...(L.training
        ? ([
            [
              'weights',
              (r) =>
                r.training
                  ? `after ${r.training.epochs} epochs${r.training.nonFinite ? ', diverged' : ''}`
                  : 'at initialization',
            ],
            [
              'final train / held-out loss',
              (r) =>
                last(r)
                  ? `${fmt(last(r)!.loss)} / ${last(r)!.heldOutLoss === null ? '—' : fmt(last(r)!.heldOutLoss!)}`
                  : '—',
            ],
            ['baseline loss', (r) => (r.training ? fmt(r.training.baseline.loss) : '—')],
          ] as [string, (r: AnalysisResult) => string][])
        : []),
      ['fitted slope (decades/step)', (r) => fmt(r.flow.decay.slope)],
      [
        'memory horizon (steps)',
        (r) => (r.flow.decay.horizon === null ? 'beyond range' : String(r.flow.decay.horizon)),
      ],
      [
        'ρ / σ_max / 1/γ',
        (r) => `${fmt(r.spectral.radius)} / ${fmt(r.spectral.sigmaMax)} / ${fmt(1 / r.spectral.gamma)}`,
      ],
      ['steps with ‖∂L/∂h_k‖² > 1e-20', (r) => pct(r.aliveFraction)],
    ];
    rows.forEach(([label, value], i) => {
      const y = L.tableTop + i * 20;
      p.text(L.left, y, label, { color: pal.muted, size: 11 });
      rs.forEach((r, j) =>
        p.text(L.left + 230 + j * Math.max(150, (p.width - L.left - 230) / rs.length), y, value(r), {
          color: runColor(pal, j),
          size: 11,
        }),
      );
    });
  }

  protected override stepAt(px: number, py: number): number | undefined {
    const rs = this.results();
    const L = this.layout();
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
    const L = this.layout();
    if (L.training && py >= TRAIN.top && py < TRAIN.top + TRAIN.height) {
      const { colW, x } = this.columns(this.canvas.clientWidth);
      for (let j = 0; j < this.runCount(); j++) {
        if (px < x(j) || px >= x(j) + colW) continue;
        const pts = this.history(j);
        const q = pts[pts.length - 1];
        const r = rs[j];
        return q
          ? `${r ? runName(r) : `run ${j + 1}`} · epoch ${q.epoch}: train loss ${fmt(q.loss, 4)}${q.heldOutLoss !== null ? `, held-out ${fmt(q.heldOutLoss, 4)}` : ''}${r?.training ? ` · baseline ${fmt(r.training.baseline.loss, 4)} (${r.training.baseline.what})` : ''}`
          : undefined;
      }
    }
    const t = this.stepAt(px, py);
    if (t === undefined) return undefined;
    return (
      `step ${t} · ` +
      rs.map((r) => `${cellName(r)} ‖∂L/∂h_t‖ = ${fmt(rowNorms(r.dLdh)[Math.min(t, steps(r) - 1)], 4)}`).join(' · ')
    );
  }

  describe(): string {
    if (!this.results().length)
      return (
        `${this.runCount()} runs training: ` +
        Array.from({ length: this.runCount() }, (_, j) => {
          const q = this.history(j)[this.history(j).length - 1];
          return q
            ? `run ${j + 1} at epoch ${q.epoch}, train loss ${fmt(q.loss)}.`
            : `run ${j + 1} has not finished an epoch.`;
        }).join(' ')
      );
    return this.results()
      .map((r) => {
        const t = r.training;
        const q = t?.history[t.history.length - 1];
        const trained = t
          ? ` After ${t.epochs} epochs: train loss ${q ? fmt(q.loss) : '—'}${q?.heldOutLoss !== null && q?.heldOutLoss !== undefined ? `, held-out ${fmt(q.heldOutLoss)}` : ''} against a baseline of ${fmt(t.baseline.loss)} (${t.baseline.what})${t.nonFinite ? `; it diverged: ${t.nonFinite.what} (${divergencePlace(t.nonFinite)})` : ''}.`
          : '';
        return `${runName(r)}:${trained} Analysis: loss ${fmt(r.loss)}, decay slope ${fmt(r.flow.decay.slope)} per step, horizon ${r.flow.decay.horizon ?? 'beyond the measured range'}, ρ ${fmt(r.spectral.radius)}, σ_max ${fmt(r.spectral.sigmaMax)}.`;
      })
      .join(' ');
  }

  numbers(): unknown {
    return {
      view: 'compare',
      cells: this.results().map((r) => ({
        cell: r.model.cell,
        label: runName(r),
        training: r.training,
        loss: r.loss,
        gradNormPerStep: Array.from(rowNorms(r.dLdh)),
        decay: r.flow.decay,
        spectral: r.spectral,
        aliveFraction: r.aliveFraction,
      })),
    };
  }
}
