// View 4: log10‖∂ℓ_t/∂h_{t−d}‖ against the distance d (mean ± spread over rows), the fitted slope, the memory
// horizon, and the bound (γσ_max)^d drawn as a line of slope log10(γσ_max) from d = 0 (Pascanu et al. 2013).
// A chart.js chart; the spectral numbers and their gauge are drawn beside the plot by a small plugin through the
// painter, so the PNG and SVG exports carry them too.
import type { AnalysisResult } from '../../src/protocol';
import { range } from '../chart';
import type { Chart, Config } from '../charts';
import { axis, baseOptions, logAxis, rule } from '../charts';
import { parseRgb } from '../colormap';
import { exact, fmt } from '../format';
import type { ViewContext } from '../model';
import { cellName, steps } from '../model';
import type { Painter } from '../paint';
import { ContextPainter } from '../paint';
import type { Palette } from '../theme';
import { ChartView } from './chartView';
import { termBar } from '../terms';

const HEIGHT = 420;
/** Room right of the plot for the spectral numbers. */
const SIDE = 270;

function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = parseRgb(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Intercept of the least-squares line with the given slope through the finite (d, mean) points. */
export function fitIntercept(distance: number[], meanLog10: number[], slope: number): number {
  let sd = 0,
    sy = 0,
    n = 0;
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
  // For gated cells σ_max is the candidate block's: the bound is not the gated step's, so it may not claim explosion.
  if (r.model.cell !== 'rnn') {
    const gain = r.spectral.stepGain;
    return [
      `γσ_max = ${fmt(g)} (candidate block only);`,
      gain === null
        ? 'step gain not measured'
        : `measured step gain ${fmt(gain)}${gain < 1 ? ' < 1: must shrink' : ' ≥ 1: growth allowed'}`,
    ];
  }
  return g < 1
    ? [`γσ_max = ${fmt(g)} < 1:`, 'long-term components must vanish']
    : [`γσ_max = ${fmt(g)} ≥ 1:`, 'no vanishing guarantee;', 'explosion is possible'];
}

export class DecayView extends ChartView {
  readonly id = 'decay' as const;
  readonly title = 'Decay by distance';

  constructor(ctx: ViewContext) {
    super(ctx, 'Decay of the gradient with temporal distance, against the theoretical bound');
    this.controls.append(
      termBar([
        ['decay slope', ['slope']],
        ['horizon', ['horizon']],
        ['bound (γσ_max)^d', ['bound', 'gamma', 'sigmaMax']],
        ['step gain', ['stepGain']],
      ]),
    );
  }

  protected emptyMessage(): string | undefined {
    const r = this.ctx.data.result;
    if (!r) return 'No analysis yet.';
    return r.flow.decay.distance.length ? undefined : 'This analysis measured no distances.';
  }

  protected layoutHeight(): number {
    return HEIGHT;
  }

  protected config(): Config {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const dec = r.flow.decay;
    const maxD = Math.max(1, dec.distance[dec.distance.length - 1] ?? 1);
    const sel = rowByDistance(r, Math.min(this.ctx.settings.step, steps(r) - 1));
    const intercept = fitIntercept(dec.distance, dec.meanLog10, dec.slope);
    const y0 = dec.meanLog10[0];
    const lows = dec.meanLog10.map((m, i) => m - (dec.stdLog10[i] || 0));
    const highs = dec.meanLog10.map((m, i) => m + (dec.stdLog10[i] || 0));
    const [ylo, yhi] = range(
      [...lows, ...highs, ...sel.values.slice(0, maxD + 1), intercept, intercept + dec.slope * maxD],
      0.06,
      [-4, 1],
    );
    const [lo, hi] = [Math.floor(ylo), Math.ceil(yhi)];
    // Values are log10 in the Result; the axis is logarithmic, so plot 10^value.
    const pts = (logs: number[], at: (i: number) => number = (i) => dec.distance[i]) =>
      logs.map((v, i) => ({ x: at(i), y: Number.isFinite(v) ? 10 ** v : NaN }));
    const line = (a: number, slope: number) =>
      Number.isFinite(a) && Number.isFinite(slope)
        ? [
            { x: 0, y: 10 ** a },
            { x: maxD, y: 10 ** (a + slope * maxD) },
          ]
        : [];
    const subtitle = `${cellName(r)} · ${dec.horizon === null ? 'the gradient never falls below 1/1000 within the distances measured' : `the gradient falls below 1/1000 after ${dec.horizon} steps`} · hover for exact values`;
    const options = baseOptions(
      pal,
      '‖∂ℓ_t/∂h_{t−d}‖ by distance d: mean of log10 over the flow rows ± 1 s.d.',
      subtitle,
    );
    options.plugins.legend.labels = {
      ...options.plugins.legend.labels,
      filter: (item: { text: string }) => item.text !== '',
    } as typeof options.plugins.legend.labels;
    options.plugins.tooltip.callbacks = {
      label: (item) => this.tooltipLine(item as never),
    } as typeof options.plugins.tooltip.callbacks;
    const annotations: Record<string, unknown> = {};
    if (Number.isFinite(y0) && y0 - 3 >= lo)
      annotations.thousandth = rule(pal, { scaleID: 'y', value: 10 ** (y0 - 3) }, pal.muted, '1/1000 of d = 0', [1, 3]);
    if (dec.horizon !== null)
      annotations.horizon = rule(
        pal,
        { scaleID: 'x', value: dec.horizon },
        pal.warning,
        `horizon ${dec.horizon}`,
        [],
        1.5,
      );
    options.plugins.annotation.annotations = annotations;
    const band = withAlpha(pal.series[0], 0.18);
    return {
      type: 'line',
      data: {
        datasets: [
          {
            label: 'mean over rows ± 1 s.d.',
            data: pts(dec.meanLog10),
            borderColor: pal.series[0],
            backgroundColor: pal.series[0],
            borderWidth: 2.5,
            pointRadius: 0,
            order: 1,
          },
          {
            label: `fit: ${fmt(dec.slope)} decades/step`,
            data: line(intercept, dec.slope),
            borderColor: pal.series[2],
            backgroundColor: pal.series[2],
            borderDash: [7, 4],
            borderWidth: 2,
            pointRadius: 0,
            order: 2,
          },
          {
            label: `bound (γσ_max)^d: slope ${fmt(r.spectral.boundSlope)}`,
            data: line(y0, r.spectral.boundSlope),
            borderColor: pal.series[1],
            backgroundColor: pal.series[1],
            borderDash: [2, 3],
            borderWidth: 2,
            pointRadius: 0,
            order: 3,
          },
          {
            label: `row t = ${sel.t}`,
            data: pts(sel.values.slice(0, maxD + 1), (d) => d),
            borderColor: pal.muted,
            backgroundColor: pal.muted,
            borderWidth: 1,
            pointRadius: 0,
            order: 4,
          },
          // The spread: the upper edge, then the lower edge filled up to it.
          {
            label: '',
            data: pts(highs),
            borderWidth: 0,
            pointRadius: 0,
            borderColor: band,
            backgroundColor: band,
            order: 5,
          },
          {
            label: '',
            data: pts(lows),
            borderWidth: 0,
            pointRadius: 0,
            borderColor: band,
            backgroundColor: band,
            fill: '-1',
            order: 5,
          },
        ],
      },
      options: {
        ...options,
        spanGaps: false,
        layout: { padding: { right: SIDE, left: 4 } },
        scales: {
          x: {
            type: 'linear',
            min: 0,
            max: maxD,
            ...axis(pal, 'distance d = t − k (steps back)'),
            ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, precision: 0 },
          },
          y: logAxis(pal, '‖∂ℓ_t/∂h_k‖ (log)', lo, hi),
        },
      },
      plugins: [
        {
          id: 'unrollSpectral',
          afterDraw: (chart: Chart) =>
            this.paintSpectral(
              new ContextPainter(chart.ctx, chart.width, chart.height, pal.font),
              pal,
              r,
              chart.chartArea.right + 28,
              chart.chartArea.top,
            ),
        },
      ],
    } as Config;
  }

  private tooltipLine(item: {
    datasetIndex: number;
    dataIndex: number;
    parsed: { x: number; y: number };
    dataset: { label?: string };
  }): string | undefined {
    const r = this.ctx.data.result!;
    const dec = r.flow.decay;
    const i = item.dataIndex;
    switch (item.datasetIndex) {
      case 0:
        return `d = ${dec.distance[i]}: mean log10 ‖∂ℓ_t/∂h_k‖ = ${exact(dec.meanLog10[i])} ± ${exact(dec.stdLog10[i])}`;
      case 3:
        return `${item.dataset.label}: ‖∂ℓ_t/∂h_{t−${item.parsed.x}}‖ = ${exact(item.parsed.y)}`;
      default:
        return undefined;
    }
  }

  /** ρ and σ_max against 1/γ: the numbers that decide vanishing, with a small gauge. */
  private paintSpectral(p: Painter, pal: Palette, r: AnalysisResult, x: number, plotTop: number): void {
    const s = r.spectral;
    const lines = [
      `Recurrent matrix: ${s.matrix}`,
      `spectral radius ρ = ${fmt(s.radius)}`,
      `largest singular value σ_max = ${fmt(s.sigmaMax)}`,
      `γ = ${fmt(s.gamma)} (bound on |f′|), 1/γ = ${fmt(1 / s.gamma)}`,
      s.radius < 1 / s.gamma ? 'ρ < 1/γ' : 'ρ ≥ 1/γ',
    ];
    let y = plotTop + 4;
    for (const line of lines) {
      p.text(x, y, line, { color: pal.muted, size: 11 });
      y += 18;
    }
    for (const line of spectralVerdict(r)) {
      p.text(x, y, line, { color: pal.foreground, size: 11, bold: true });
      y += 18;
    }
    // Gauge: 0 … max on one axis, 1/γ marked; σ_max > 1/γ is needed for explosion.
    const w = SIDE - 40;
    const top = y + 16;
    const hi = Math.max(
      2 / s.gamma,
      (Number.isFinite(s.sigmaMax) ? s.sigmaMax : 0) * 1.15,
      (Number.isFinite(s.radius) ? s.radius : 0) * 1.15,
    );
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
    return (
      `Gradient decay over ${d.distance.length} distances: log10‖∂ℓ_t/∂h_k‖ falls by ${fmt(-d.slope)} per step back on average (fitted slope ${fmt(d.slope)}). ` +
      (d.horizon === null
        ? 'It never falls below 1/1000 of its d = 0 value within range. '
        : `It falls below 1/1000 of its d = 0 value at distance ${d.horizon}. `) +
      `The bound (γσ_max)^d has slope ${fmt(r.spectral.boundSlope)}. Spectral radius ρ = ${fmt(r.spectral.radius)}, σ_max = ${fmt(r.spectral.sigmaMax)}, 1/γ = ${fmt(1 / r.spectral.gamma)}. ${spectralVerdict(r).join(' ')}.`
    );
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    return {
      view: 'decay',
      ...r.flow.decay,
      intercept: fitIntercept(r.flow.decay.distance, r.flow.decay.meanLog10, r.flow.decay.slope),
      spectral: r.spectral,
    };
  }
}
