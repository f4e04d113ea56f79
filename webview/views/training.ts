// View 6: training over epochs, live: train and held-out loss (per target step, in the run's unit) against the
// trivial predictor's baseline, the global gradient norm before clipping (mean and largest over the epoch's batches),
// how many batches clipping touched, and the recurrent matrix's spectral radius and σ_max against 1/γ. One chart.js
// chart with four value axes stacked over one epoch axis; each trainProgress appends a point to every series and
// redraws in place. A run that diverged is marked at the epoch and batch where its first non-finite value appeared.
import { describeNonFinite, type NonFinite, type TrainPoint } from '../../src/protocol';
import type { Chart, Config } from '../charts';
import type { Scale } from 'chart.js';
import { axis, baseOptions, decades, logAxis, rule } from '../charts';
import { range } from '../chart';
import { fmt } from '../format';
import type { Training, ViewContext } from '../model';
import type { Palette } from '../theme';
import { ChartView } from './chartView';
import { termBar } from '../terms';

const HEIGHT = 640;

type XY = { x: number; y: number | null };

/** Whole decades around the finite positive values (at least one decade). */
function decadeRange(values: (number | null | undefined)[]): [number, number] {
  const logs = values.filter((v): v is number => typeof v === 'number' && v > 0 && Number.isFinite(v)).map(Math.log10);
  const [lo, hi] = range(logs, 0, [-1, 1]);
  const a = Math.floor(lo),
    b = Math.ceil(hi);
  return [a, b > a ? b : a + 1];
}

/** A value a log axis can draw, or a gap. */
function logValue(v: number | null | undefined): number | null {
  return typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : null;
}

/** Where on the epoch axis a divergence happened: inside its epoch, at its batch when known. */
export function divergenceX(n: NonFinite, lastEpoch: number): number {
  const epoch = n.epoch ?? lastEpoch + 1;
  return n.batch !== undefined && n.batches ? epoch - 1 + n.batch / n.batches : epoch;
}

/** "epoch 3, batch 5 of 16, in rnn.weight_hh_l0" (what h1's training records), or the step and what. */
export function divergencePlace(n: NonFinite): string {
  const parts: string[] = [];
  if (n.epoch !== undefined)
    parts.push(
      `epoch ${n.epoch}${n.batch !== undefined ? `, batch ${n.batch}${n.batches ? ` of ${n.batches}` : ''}` : ''}`,
    );
  if (n.step >= 0) parts.push(`step ${n.step}`);
  if (n.tensor) parts.push(`in ${n.tensor}`);
  return parts.length ? parts.join(', ') : describeNonFinite(n);
}

/** "clipped 3 of 16 batches" (older points without a batch count: "clipped 3 batches"). */
export function clippedText(clipped: number, batches: number | undefined): string {
  return batches
    ? `clipped ${clipped} of ${batches} batch${batches === 1 ? '' : 'es'}`
    : `clipped ${clipped} batch${clipped === 1 ? '' : 'es'}`;
}

/** The loss axis title: the run's unit when it fits along the axis. */
function lossAxisTitle(unit: string | undefined): string {
  if (!unit) return 'loss';
  return unit.length <= 40 ? unit : 'loss per target step';
}

export class TrainingView extends ChartView {
  readonly id = 'training' as const;
  readonly title = 'Training';
  /** What the live chart was last built from; points after `count` are appended on the next redraw. */
  private synced?: {
    run: Training;
    palette: Palette;
    clip?: number;
    gamma: number;
    baseline?: number;
    end?: unknown;
    count: number;
  };

  constructor(ctx: ViewContext) {
    super(
      ctx,
      'Training curves over epochs: train and held-out loss against a baseline, gradient norm, clipped batches, spectral radius and largest singular value',
    );
    this.controls.append(
      termBar([
        ['ρ', ['radius']],
        ['σ_max', ['sigmaMax']],
        ['1/γ', ['gamma']],
      ]),
    );
  }

  private points(): TrainPoint[] {
    return this.ctx.data.training?.points ?? [];
  }

  protected emptyMessage(): string | undefined {
    const t = this.ctx.data.training;
    if (t && (t.points.length || t.running || t.end)) return undefined;
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

  private key() {
    const run = this.ctx.data.training!;
    return {
      run,
      palette: this.ctx.palette,
      clip: this.clipNorm(),
      gamma: this.gamma(),
      baseline: run.baseline?.loss,
      end: run.end,
    };
  }

  private heading(): { text: string; color: string; sub: string[] } {
    const pal = this.ctx.palette;
    const tr = this.ctx.data.training!;
    const pts = this.points();
    const last = pts[pts.length - 1];
    const n = tr.end?.nonFinite;
    const state = tr.running
      ? 'running'
      : tr.end?.reason === 'nonFinite'
        ? `diverged${n ? `: ${n.what} (${divergencePlace(n)})` : ''}`
        : tr.end?.reason === 'cancelled'
          ? 'stopped'
          : 'finished';
    const clip = this.ctx.data.result?.model.clip;
    const clipping = clip?.norm
      ? `clipping by global norm τ = ${fmt(clip.norm)}`
      : clip?.value
        ? `element-wise clipping at ±${fmt(clip.value)} (changes the direction)`
        : 'clipping off';
    const clippedNow = last ? `; ${clippedText(last.clipped, last.batches)} in epoch ${last.epoch}` : '';
    const losses = last
      ? ` · train loss ${fmt(last.loss)}${last.heldOutLoss !== null && last.heldOutLoss !== undefined ? ` · held-out ${fmt(last.heldOutLoss)}` : ''}`
      : '';
    const b = tr.baseline;
    return {
      text: `Training ${tr.model}: epoch ${last?.epoch ?? 0} / ${tr.epochs} · ${state}${losses}${last ? ` · ${fmt(last.elapsedMs / 1000)} s` : ''}`,
      color: tr.end?.reason === 'nonFinite' ? pal.error : pal.foreground,
      sub: [
        `Loss: ${tr.unit ?? 'per target step'}${b ? `; baseline ${fmt(b.loss)}: ${b.what}` : ''}. Held-out loss is measured on sequences training never sees.`,
        `‖∇L‖ before clipping, mean and largest over each epoch’s batches; ${clipping}${clippedNow}. ρ, σ_max: the recurrent matrix against 1/γ.`,
      ],
    };
  }

  /** Axis bounds for the current points (log axes in whole decades). */
  private bounds(pts: TrainPoint[]) {
    const clip = this.clipNorm();
    const gamma = this.gamma();
    const base = this.ctx.data.training?.baseline?.loss;
    const [slo, shi] = range([...pts.map((q) => q.radius), ...pts.map((q) => q.sigmaMax), 1 / gamma, 0], 0.08);
    return {
      epochs: Math.max(this.ctx.data.training?.epochs ?? 1, pts[pts.length - 1]?.epoch ?? 1, 1),
      loss: decadeRange([...pts.map((q) => q.loss), ...pts.map((q) => q.heldOutLoss), base]),
      grad: decadeRange([...pts.map((q) => q.gradNorm), ...pts.map((q) => q.gradNormMax), clip]),
      clips: Math.max(1, ...pts.map((q) => q.batches ?? 0), ...pts.map((q) => q.clipped)),
      spec: [Math.max(0, slo), shi] as [number, number],
    };
  }

  /** One value per dataset, in the order of `config`'s datasets. */
  private static readonly fields: ((q: TrainPoint) => number | null)[] = [
    (q) => logValue(q.loss),
    (q) => logValue(q.heldOutLoss),
    (q) => logValue(q.gradNorm),
    (q) => logValue(q.gradNormMax),
    (q) => q.clipped,
    (q) => q.radius,
    (q) => q.sigmaMax,
  ];

  protected config(): Config {
    const pal = this.ctx.palette;
    const pts = this.points();
    const run = this.ctx.data.training!;
    const b = this.bounds(pts);
    const head = this.heading();
    const clip = this.clipNorm();
    const gamma = this.gamma();
    const f = TrainingView.fields;
    const series = (i: number): XY[] => pts.map((q) => ({ x: q.epoch, y: f[i](q) }));
    const clippedAt = (i: number) => (this.points()[i]?.clipped ?? 0) > 0;
    const options = baseOptions(pal, head.text, head.sub as unknown as string);
    options.plugins.title.color = head.color;
    const label = options.plugins.tooltip.callbacks.label;
    (options.plugins.tooltip.callbacks as Record<string, unknown>).label = (item: {
      dataset: { label?: string };
      parsed: { y: number };
      dataIndex: number;
      datasetIndex: number;
    }) => {
      const q = this.points()[item.dataIndex];
      if (item.datasetIndex === 4 && q) return clippedText(q.clipped, q.batches);
      return label(item);
    };
    const annotations: Record<string, unknown> = {
      tau: clip ? rule(pal, { scaleID: 'grad', value: clip }, pal.warning, `clip τ = ${fmt(clip)}`, [5, 3]) : undefined,
      invGamma: rule(pal, { scaleID: 'spec', value: 1 / gamma }, pal.foreground, `1/γ = ${fmt(1 / gamma)}`),
      baseline:
        run.baseline && Number.isFinite(run.baseline.loss) && run.baseline.loss > 0
          ? rule(
              pal,
              { scaleID: 'loss', value: run.baseline.loss },
              pal.foreground,
              `baseline ${fmt(run.baseline.loss)}: ${run.baseline.what}`,
              [8, 4],
              1.5,
            )
          : undefined,
    };
    const n = run.end?.nonFinite;
    if (n) {
      const at = divergenceX(n, pts[pts.length - 1]?.epoch ?? 0);
      annotations.diverged = {
        ...rule(pal, { scaleID: 'x', value: at }, pal.error, `diverged: ${divergencePlace(n)}`, [], 2),
        label: {
          display: true,
          content: `✕ diverged: ${divergencePlace(n)}`,
          position: 'start',
          color: pal.error,
          backgroundColor: pal.background,
          font: { family: pal.font, size: 10, weight: 'bold' },
          padding: 2,
          xAdjust: 0,
          yAdjust: 0,
        },
      };
      b.epochs = Math.max(b.epochs, Math.ceil(at));
    }
    options.plugins.annotation.annotations = Object.fromEntries(Object.entries(annotations).filter(([, v]) => v));
    // Stacked axes meet where one's bottom tick would print over the next one's top tick: drop the bottom label
    // of every axis but the lowest.
    const dropBottom = (s: Scale) => (s.ticks = s.ticks.filter((t) => t.value > s.min * (1 + 1e-9) + 1e-12));
    const stacked = { stack: 'epochs', stackWeight: 1, offset: true };
    return {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'train loss',
            data: series(0),
            yAxisID: 'loss',
            borderColor: pal.series[0],
            backgroundColor: pal.series[0],
            borderWidth: 2,
            pointRadius: 0,
          },
          {
            label:
              pts.some((q) => q.heldOutLoss !== null && q.heldOutLoss !== undefined) || !pts.length
                ? 'held-out loss'
                : 'held-out loss (nothing held out)',
            data: series(1),
            yAxisID: 'loss',
            borderColor: pal.series[2],
            backgroundColor: pal.series[2],
            borderWidth: 2,
            borderDash: [5, 3],
            pointRadius: 0,
          },
          {
            label: '‖∇L‖ before clipping, mean over batches',
            data: series(2),
            yAxisID: 'grad',
            borderColor: pal.series[4],
            backgroundColor: pal.series[4],
            borderWidth: 2,
            pointRadius: (c: { dataIndex: number }) => (clippedAt(c.dataIndex) ? 3.5 : 0),
            pointBackgroundColor: pal.error,
            pointBorderColor: pal.error,
          },
          {
            label: '‖∇L‖ largest batch',
            data: series(3),
            yAxisID: 'grad',
            borderColor: pal.series[4],
            backgroundColor: pal.series[4],
            borderWidth: 1,
            borderDash: [2, 2],
            pointRadius: 0,
          },
          {
            type: 'bar',
            label: 'batches clipped',
            data: series(4),
            yAxisID: 'clips',
            backgroundColor: pal.error,
            borderColor: pal.error,
            barPercentage: 0.8,
            categoryPercentage: 1,
          },
          {
            label: 'spectral radius ρ',
            data: series(5),
            yAxisID: 'spec',
            borderColor: pal.series[2],
            backgroundColor: pal.series[2],
            borderWidth: 2,
            pointRadius: 0,
          },
          {
            label: 'σ_max',
            data: series(6),
            yAxisID: 'spec',
            borderColor: pal.series[1],
            backgroundColor: pal.series[1],
            borderWidth: 2,
            borderDash: [6, 3],
            pointRadius: 0,
          },
        ],
      },
      options: {
        ...options,
        layout: { padding: { right: 16, left: 4 } },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: b.epochs,
            offset: false,
            ...axis(pal, 'epoch'),
            grid: { color: pal.grid, tickColor: pal.muted, offset: false },
            ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, precision: 0 },
          },
          spec: { type: 'linear', min: b.spec[0], max: b.spec[1], ...axis(pal, 'ρ, σ_max'), ...stacked },
          clips: {
            type: 'linear',
            min: 0,
            max: b.clips,
            ...axis(pal, 'batches clipped'),
            ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, precision: 0, maxTicksLimit: 3 },
            afterBuildTicks: dropBottom,
            ...stacked,
          },
          grad: {
            ...logAxis(pal, '‖∇L‖', b.grad[0], b.grad[1]),
            afterBuildTicks: (s: Scale) => (decades(s), dropBottom(s)),
            ...stacked,
          },
          loss: {
            ...logAxis(pal, lossAxisTitle(run.unit), b.loss[0], b.loss[1]),
            afterBuildTicks: (s: Scale) => (decades(s), dropBottom(s)),
            ...stacked,
            stackWeight: 2,
          },
        },
      },
    } as Config;
  }

  /** Same run and theme: append the new epochs to every series and move the bounds; otherwise rebuild. */
  protected override sync(chart: Chart, width: number): void {
    const run = this.ctx.data.training!;
    const s = this.synced;
    const key = this.key();
    if (
      !s ||
      s.run !== key.run ||
      s.palette !== key.palette ||
      s.clip !== key.clip ||
      s.gamma !== key.gamma ||
      s.baseline !== key.baseline ||
      s.end !== key.end ||
      s.count > run.points.length
    ) {
      super.sync(chart, width);
      this.synced = { ...key, count: run.points.length };
      return;
    }
    for (const q of run.points.slice(s.count))
      chart.data.datasets.forEach((ds, i) => (ds.data as XY[]).push({ x: q.epoch, y: TrainingView.fields[i](q) }));
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
    chart.options.plugins!.subtitle!.text = head.sub;
  }

  protected override draw(width: number): void {
    const first = !this.chart;
    super.draw(width);
    if (first) this.synced = { ...this.key(), count: this.points().length };
    const run = this.ctx.data.training;
    this.root.dataset.baseline = run?.baseline ? String(run.baseline.loss) : '';
    const n = run?.end?.nonFinite;
    this.root.dataset.diverged = n ? String(divergenceX(n, this.points()[this.points().length - 1]?.epoch ?? 0)) : '';
  }

  describe(): string {
    const pts = this.points();
    const tr = this.ctx.data.training!;
    const n = tr.end?.nonFinite;
    const diverged = n ? ` It diverged: ${n.what} (${divergencePlace(n)}).` : '';
    if (!pts.length) return `Training ${tr.model} has started; no epoch has finished yet.${diverged}`;
    const a = pts[0],
      b = pts[pts.length - 1];
    const clipped = pts.reduce((s, q) => s + q.clipped, 0);
    const batches = pts.reduce((s, q) => s + (q.batches ?? 0), 0);
    const held =
      b.heldOutLoss !== null && b.heldOutLoss !== undefined && a.heldOutLoss !== null && a.heldOutLoss !== undefined
        ? ` held-out loss from ${fmt(a.heldOutLoss)} to ${fmt(b.heldOutLoss)};`
        : ' nothing held out;';
    const base = tr.baseline
      ? ` The baseline (${tr.baseline.what}) has loss ${fmt(tr.baseline.loss)}; the last ${b.heldOutLoss !== null && b.heldOutLoss !== undefined ? 'held-out' : 'train'} loss is ${(b.heldOutLoss ?? b.loss) < tr.baseline.loss ? 'below' : 'not below'} it.`
      : '';
    return (
      `Training over ${b.epoch} of ${tr.epochs} epochs${tr.unit ? ` (loss in ${tr.unit})` : ''}: train loss from ${fmt(a.loss)} to ${fmt(b.loss)};${held} gradient norm before clipping from ${fmt(a.gradNorm)} to ${fmt(b.gradNorm)} (mean over batches; largest ${fmt(Math.max(...pts.map((q) => q.gradNormMax ?? q.gradNorm)))}); ` +
      `${clippedText(clipped, batches)}; spectral radius from ${fmt(a.radius)} to ${fmt(b.radius)}, σ_max from ${fmt(a.sigmaMax)} to ${fmt(b.sigmaMax)}.${base}${diverged}`
    );
  }

  numbers(): unknown {
    const tr = this.ctx.data.training;
    return {
      view: 'training',
      model: tr?.model,
      unit: tr?.unit,
      baseline: tr?.baseline,
      end: tr?.end,
      points: this.points(),
    };
  }
}
