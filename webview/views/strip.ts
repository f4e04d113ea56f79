// The strip above the heatmap: ‖∂L/∂h_t‖ and ℓ_t per step (log), a chart.js chart on its own canvas whose plot
// area is pinned to the heatmap's columns (same left and right margins), so step t sits over column t. A Result whose
// per-step loss is unknown (a trace replay: PyTorch's loss arrives as output gradients) charts ‖∂L/∂h_t‖ alone.
import type { Scale } from 'chart.js';
import type { AnalysisResult } from '../../src/protocol';
import { range } from '../chart';
import type { Config } from '../charts';
import { axis, baseOptions, Chart, chartCanvas, chartSvg, decadeLabel, decades, rule } from '../charts';
import { exact } from '../format';
import type { ViewContext } from '../model';
import { rowNorms, steps } from '../model';

export const STRIP_HEIGHT = 132;

/** Whether the Result knows its per-step loss ℓ_t (a trace replay does not: every entry is NaN). */
function lossKnown(r: AnalysisResult): boolean {
  return r.lossPerStep.some((v) => Number.isFinite(v));
}

export class StepStrip {
  readonly canvas = document.createElement('canvas');
  private chart?: Chart;
  private key: unknown[] = [];

  /** `margins`: the heatmap's left and right margins in CSS pixels. */
  constructor(
    private readonly ctx: ViewContext,
    private readonly margins: { left: number; right: number },
  ) {
    this.canvas.className = 'strip-canvas';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute(
      'aria-label',
      'Per-step gradient norm ‖∂L/∂h_t‖ and loss ℓ_t on a log scale, aligned with the heatmap’s steps',
    );
    this.canvas.addEventListener('click', (e) => {
      const t = this.stepAt(e.offsetX);
      if (t !== undefined) this.ctx.select(t);
    });
  }

  private stepAt(x: number): number | undefined {
    const r = this.ctx.data.result;
    if (!r || !this.chart) return undefined;
    const t = Math.floor(this.chart.scales.x.getValueForPixel(x) ?? NaN);
    return t >= 0 && t < steps(r) ? t : undefined;
  }

  config(r: AnalysisResult): Config {
    const pal = this.ctx.palette;
    const T = steps(r);
    const sel = Math.min(this.ctx.settings.step, T - 1);
    const norms = Array.from(rowNorms(r.dLdh));
    const known = lossKnown(r);
    const losses = known ? Array.from(r.lossPerStep) : [];
    const [ylo, yhi] = range([...norms, ...losses].filter((v) => v > 0).map(Math.log10), 0.08, [-1, 1]);
    const at = (vals: number[]) => vals.map((v, t) => ({ x: t + 0.5, y: v > 0 && Number.isFinite(v) ? v : NaN }));
    const options = baseOptions(
      pal,
      known
        ? 'Per-step gradient norm and loss (log). With L = Σ ℓ_t, later steps collect more terms.'
        : 'Per-step gradient norm (log). The per-step loss is not known here: it reached the layer as gradients.',
    );
    options.plugins.title.font = { ...options.plugins.title.font, size: 10 };
    options.plugins.title.color = pal.muted;
    options.plugins.legend.labels = { ...options.plugins.legend.labels, padding: 6 };
    options.plugins.annotation.annotations = {
      selected: rule(pal, { scaleID: 'x', value: sel + 0.5 }, pal.focus, undefined, [], 1.5),
    };
    options.plugins.tooltip.callbacks = {
      title: (items: { parsed: { x: number } }[]) => `step ${Math.floor(items[0]?.parsed.x ?? 0)}`,
      label: (item: { datasetIndex: number; dataIndex: number }) =>
        item.datasetIndex === 0
          ? `‖∂L/∂h_t‖ = ${exact(norms[item.dataIndex])}`
          : `ℓ_t = ${exact(losses[item.dataIndex])}`,
    } as unknown as typeof options.plugins.tooltip.callbacks;
    const { left, right } = this.margins;
    return {
      type: 'line',
      data: {
        datasets: [
          {
            label: '‖∂L/∂h_t‖',
            data: at(norms),
            borderColor: pal.series[0],
            backgroundColor: pal.series[0],
            borderWidth: 1.5,
            pointRadius: 0,
          },
          // Dots as well on short sequences: a sequence-to-one loss has a single non-zero ℓ_t, which a line alone would not show.
          ...(known
            ? [
                {
                  label: 'ℓ_t',
                  data: at(losses),
                  borderColor: pal.series[1],
                  backgroundColor: pal.series[1],
                  borderWidth: 1.5,
                  borderDash: [5, 3],
                  pointRadius: T <= 400 ? 2.5 : 0,
                },
              ]
            : []),
        ],
      },
      options: {
        ...options,
        layout: { padding: { left: 0, right, top: 0, bottom: 0 } },
        scales: {
          x: { type: 'linear', min: 0, max: T, display: false },
          y: {
            type: 'logarithmic',
            min: 10 ** ylo,
            max: 10 ** yhi,
            ...axis(pal, ''),
            ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, callback: decadeLabel },
            afterBuildTicks: (s: Scale) => decades(s, 4),
            // Pin the plot's left edge to the heatmap's.
            afterFit: (s: Scale) => (s.width = left),
          },
        },
      },
    } as Config;
  }

  /** Draw (or update in place) when the Result, the selected step, the palette or the width changed. */
  render(width: number): void {
    const r = this.ctx.data.result;
    if (!r) return;
    const key = [r, Math.min(this.ctx.settings.step, steps(r) - 1), this.ctx.palette, width];
    if (this.chart && key.every((k, i) => k === this.key[i])) return;
    this.key = key;
    const c = this.config(r);
    const known = lossKnown(r);
    this.canvas.dataset.series = known ? '‖∂L/∂h_t‖ ℓ_t' : '‖∂L/∂h_t‖';
    this.canvas.setAttribute(
      'aria-label',
      known
        ? 'Per-step gradient norm ‖∂L/∂h_t‖ and loss ℓ_t on a log scale, aligned with the heatmap’s steps'
        : 'Per-step gradient norm ‖∂L/∂h_t‖ on a log scale, aligned with the heatmap’s steps (the per-step loss is not known)',
    );
    if (!this.chart) {
      this.canvas.width = width;
      this.canvas.height = STRIP_HEIGHT;
      this.chart = new Chart(this.canvas, c as never);
      return;
    }
    this.chart.data = c.data as Chart['data'];
    this.chart.options = c.options as Chart['options'];
    if (this.chart.width !== width) this.chart.resize(width, STRIP_HEIGHT);
    this.chart.update('none');
  }

  toSvg(width: number): string {
    return chartSvg(this.config(this.ctx.data.result!), width, STRIP_HEIGHT);
  }

  toCanvas(width: number, dpr: number): HTMLCanvasElement {
    return chartCanvas(this.config(this.ctx.data.result!), width, STRIP_HEIGHT, dpr);
  }
}
