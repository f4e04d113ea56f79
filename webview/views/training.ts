// View 6: training over epochs, live: loss, global gradient norm (clipped epochs marked), how often clipping
// fired, and the recurrent matrix's spectral radius and σ_max against 1/γ. One chart.js chart with four value
// axes stacked over one epoch axis; each trainProgress appends a point to every series and redraws in place.
import { describeNonFinite, type TrainPoint } from '../../src/protocol';
import type { Chart, Config } from '../charts';
import type { Scale } from 'chart.js';
import { axis, baseOptions, decades, logAxis, rule } from '../charts';
import { range } from '../chart';
import { fmt } from '../format';
import type { Training, ViewContext } from '../model';
import type { Palette } from '../theme';
import { ChartView } from './chartView';

const HEIGHT = 580;

type XY = { x: number; y: number };

/** Whole decades around the finite positive values (at least one decade). */
function decadeRange(values: number[]): [number, number] {
  const logs = values.filter((v) => v > 0 && Number.isFinite(v)).map(Math.log10);
  const [lo, hi] = range(logs, 0, [-1, 1]);
  const a = Math.floor(lo), b = Math.ceil(hi);
  return [a, b > a ? b : a + 1];
}

export class TrainingView extends ChartView {
  readonly id = 'training' as const;
  readonly title = 'Training';
  /** What the live chart was last built from; points after `count` are appended on the next redraw. */
  private synced?: { run: Training; palette: Palette; clip?: number; gamma: number; count: number };

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
    return HEIGHT;
  }

  private clipNorm(): number | undefined {
    return this.ctx.data.result?.model.clip?.norm ?? undefined;
  }

  private gamma(): number {
    return this.ctx.data.result?.spectral.gamma ?? 1;
  }

  private heading(): { text: string; color: string; sub: string } {
    const pal = this.ctx.palette;
    const tr = this.ctx.data.training!;
    const last = this.points()[this.points().length - 1];
    const state = tr.running ? 'running' : tr.end?.reason === 'nonFinite' ? `stopped: non-finite values${tr.end.nonFinite ? ` (${describeNonFinite(tr.end.nonFinite)})` : ''}` : tr.end?.reason === 'cancelled' ? 'stopped' : 'finished';
    const clip = this.ctx.data.result?.model.clip;
    const clipping = clip?.norm ? `clipping by global norm τ = ${fmt(clip.norm)}` : clip?.value ? 'element-wise clipping (changes the direction)' : 'clipping off';
    return {
      text: `Training ${tr.model}: epoch ${last?.epoch ?? 0} / ${tr.epochs} · ${state}${last ? ` · loss ${fmt(last.loss)} · ${fmt(last.elapsedMs / 1000)} s` : ''}`,
      color: tr.end?.reason === 'nonFinite' ? pal.error : pal.foreground,
      sub: `${clipping}; red points mark epochs where it fired. ρ: spectral radius, σ_max: largest singular value of the recurrent matrix.`,
    };
  }

  /** Axis bounds for the current points (log axes in whole decades). */
  private bounds(pts: TrainPoint[]) {
    const clip = this.clipNorm();
    const gamma = this.gamma();
    const [slo, shi] = range([...pts.map((q) => q.radius), ...pts.map((q) => q.sigmaMax), 1 / gamma, 0], 0.08);
    return {
      epochs: Math.max(this.ctx.data.training?.epochs ?? 1, pts[pts.length - 1]?.epoch ?? 1, 1),
      loss: decadeRange(pts.map((q) => q.loss)),
      grad: decadeRange(clip ? [...pts.map((q) => q.gradNorm), clip] : pts.map((q) => q.gradNorm)),
      clips: Math.max(1, ...pts.map((q) => q.clipped)),
      spec: [Math.max(0, slo), shi] as [number, number],
    };
  }

  protected config(): Config {
    const pal = this.ctx.palette;
    const pts = this.points();
    const b = this.bounds(pts);
    const head = this.heading();
    const clip = this.clipNorm();
    const gamma = this.gamma();
    const series = (f: (q: TrainPoint) => number): XY[] => pts.map((q) => ({ x: q.epoch, y: f(q) }));
    const clippedAt = (i: number) => (this.points()[i]?.clipped ?? 0) > 0;
    const options = baseOptions(pal, head.text, head.sub);
    options.plugins.title.color = head.color;
    const annotations: Record<string, unknown> = { tau: clip ? rule(pal, { scaleID: 'grad', value: clip }, pal.warning, `clip τ = ${fmt(clip)}`, [5, 3]) : undefined, invGamma: rule(pal, { scaleID: 'spec', value: 1 / gamma }, pal.foreground, `1/γ = ${fmt(1 / gamma)}`) };
    options.plugins.annotation.annotations = Object.fromEntries(Object.entries(annotations).filter(([, v]) => v));
    // Stacked axes meet where one's bottom tick would print over the next one's top tick: drop the bottom label
    // of every axis but the lowest.
    const dropBottom = (s: Scale) => (s.ticks = s.ticks.filter((t) => t.value > s.min * (1 + 1e-9) + 1e-12));
    const stacked = { stack: 'epochs', stackWeight: 1, offset: true };
    return {
      type: 'line',
      data: {
        datasets: [
          { label: 'loss L = Σ ℓ_t', data: series((q) => q.loss), yAxisID: 'loss', borderColor: pal.series[0], backgroundColor: pal.series[0], borderWidth: 2, pointRadius: 0 },
          {
            label: 'global gradient norm ‖∇L‖ before clipping',
            data: series((q) => q.gradNorm),
            yAxisID: 'grad',
            borderColor: pal.series[4],
            backgroundColor: pal.series[4],
            borderWidth: 2,
            pointRadius: (c: { dataIndex: number }) => (clippedAt(c.dataIndex) ? 3.5 : 0),
            pointBackgroundColor: pal.error,
            pointBorderColor: pal.error,
          },
          { type: 'bar', label: 'clip events per epoch', data: series((q) => q.clipped), yAxisID: 'clips', backgroundColor: pal.error, borderColor: pal.error, barPercentage: 0.8, categoryPercentage: 1 },
          { label: 'spectral radius ρ', data: series((q) => q.radius), yAxisID: 'spec', borderColor: pal.series[2], backgroundColor: pal.series[2], borderWidth: 2, pointRadius: 0 },
          { label: 'σ_max', data: series((q) => q.sigmaMax), yAxisID: 'spec', borderColor: pal.series[1], backgroundColor: pal.series[1], borderWidth: 2, borderDash: [6, 3], pointRadius: 0 },
        ],
      },
      options: {
        ...options,
        layout: { padding: { right: 16, left: 4 } },
        scales: {
          x: { type: 'linear', min: 0, max: b.epochs, offset: false, ...axis(pal, 'epoch'), grid: { color: pal.grid, tickColor: pal.muted, offset: false }, ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, precision: 0 } },
          spec: { type: 'linear', min: b.spec[0], max: b.spec[1], ...axis(pal, 'ρ, σ_max'), ...stacked },
          clips: { type: 'linear', min: 0, max: b.clips, ...axis(pal, 'clip events'), ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, precision: 0, maxTicksLimit: 3 }, afterBuildTicks: dropBottom, ...stacked },
          grad: { ...logAxis(pal, '‖∇L‖', b.grad[0], b.grad[1]), afterBuildTicks: (s: Scale) => (decades(s), dropBottom(s)), ...stacked },
          loss: { ...logAxis(pal, 'loss L', b.loss[0], b.loss[1]), afterBuildTicks: (s: Scale) => (decades(s), dropBottom(s)), ...stacked },
        },
      },
    } as Config;
  }

  /** Same run and theme: append the new epochs to every series and move the bounds; otherwise rebuild. */
  protected override sync(chart: Chart, width: number): void {
    const run = this.ctx.data.training!;
    const s = this.synced;
    const key = { run, palette: this.ctx.palette, clip: this.clipNorm(), gamma: this.gamma() };
    if (!s || s.run !== key.run || s.palette !== key.palette || s.clip !== key.clip || s.gamma !== key.gamma || s.count > run.points.length) {
      super.sync(chart, width);
      this.synced = { ...key, count: run.points.length };
      return;
    }
    const fields: ((q: TrainPoint) => number)[] = [(q) => q.loss, (q) => q.gradNorm, (q) => q.clipped, (q) => q.radius, (q) => q.sigmaMax];
    for (const q of run.points.slice(s.count)) chart.data.datasets.forEach((ds, i) => (ds.data as XY[]).push({ x: q.epoch, y: fields[i](q) }));
    s.count = run.points.length;
    const b = this.bounds(run.points);
    const scales = chart.options.scales as Record<string, { min?: number; max?: number }>;
    scales.x.max = b.epochs;
    [scales.loss.min, scales.loss.max] = [10 ** b.loss[0], 10 ** b.loss[1]];
    [scales.grad.min, scales.grad.max] = [10 ** b.grad[0], 10 ** b.grad[1]];
    scales.clips.max = b.clips;
    [scales.spec.min, scales.spec.max] = b.spec;
    const head = this.heading();
    const title = chart.options.plugins!.title!;
    title.text = head.text;
    title.color = head.color;
  }

  protected override draw(width: number): void {
    const first = !this.chart;
    super.draw(width);
    if (first) this.synced = { run: this.ctx.data.training!, palette: this.ctx.palette, clip: this.clipNorm(), gamma: this.gamma(), count: this.points().length };
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
