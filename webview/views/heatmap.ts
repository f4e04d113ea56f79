// View 2: hidden units × steps of |∂L/∂h_t[i]| (log), signed, or the hidden states and gates.
// The picture is one ImageData written from the Result's typed array, then scaled; per-step ‖∂L/∂h_t‖ and ℓ_t
// sit above it on the same step axis, in a chart.js strip (views/strip.ts; with a summed loss the gradient norm
// grows with length: see both).
import type { AnalysisResult, Mat } from '../../src/protocol';
import type { ColorScale, ColormapName, ScaleMode } from '../colormap';
import { lut, makeScale, paintImage } from '../colormap';
import type { Axis } from '../chart';
import { drawAxes, drawLegend, indexTicks, legendRange, markSelection } from '../chart';
import { exact, fmt } from '../format';
import type { Metric, ViewContext } from '../model';
import { availableMetrics, metricLabels, metricMatrix, rowNorms, steps } from '../model';
import type { Painter } from '../paint';
import { imageCanvas } from '../paint';
import { STRIP_HEIGHT, StepStrip } from './strip';
import { CanvasView, pngBase64 } from './view';

const M = { left: 58, right: 104, mapTop: 30, bottom: 46 };

export function defaultScale(metric: Metric): ScaleMode {
  if (metric === 'dLdh') return 'log';
  if (metric === 'hidden' || metric === 'cell') return 'signed';
  return 'linear';
}

export function heatmapScale(m: Mat, metric: Metric, mode: ScaleMode): ColorScale {
  const name = metricLabels[metric];
  const label = mode === 'log' ? `|${name}|` : name;
  return makeScale([m.data], mode, metric === 'dLdh', label);
}

export class HeatmapView extends CanvasView {
  readonly id = 'heatmap' as const;
  readonly title = 'Gradient heatmap';
  private image?: HTMLCanvasElement;
  private imageKey: unknown[] = [];
  private scale?: ColorScale;
  private readonly metricSelect: HTMLElement;
  private readonly scaleSelect: HTMLElement;
  private readonly strip: StepStrip;

  constructor(ctx: ViewContext) {
    super(ctx, 'Heatmap of hidden units by time step');
    this.strip = new StepStrip(ctx, { left: M.left, right: M.right });
    this.strip.canvas.hidden = true;
    this.stage.insertBefore(this.strip.canvas, this.canvas);
    this.metricSelect = this.addSelect('Show', [], ctx.settings.metric, (v) =>
      this.ctx.update({ metric: v as Metric, scale: defaultScale(v as Metric) }),
    );
    this.scaleSelect = this.addSelect(
      'Scale',
      [
        ['log', 'log |value|'],
        ['linear', 'linear'],
        ['signed', 'signed'],
      ],
      ctx.settings.scale,
      (v) => this.ctx.update({ scale: v as ScaleMode }),
    );
    this.addSelect(
      'Colormap',
      [
        ['viridis', 'viridis'],
        ['magma', 'magma'],
        ['cividis', 'cividis'],
      ],
      ctx.settings.colormap,
      (v) => this.ctx.update({ colormap: v as ColormapName }),
    );
  }

  /** Keep the selectors in step with the Result (which metrics exist) and the settings. */
  syncControls(): void {
    const r = this.ctx.data.result;
    const metrics = availableMetrics(r);
    this.setOptions(
      this.metricSelect,
      metrics.map((m) => [m, metricLabels[m]]),
      this.metric(),
    );
    (this.scaleSelect as HTMLElement & { value: string }).value = this.ctx.settings.scale;
  }

  private metric(): Metric {
    const r = this.ctx.data.result;
    return r && metricMatrix(r, this.ctx.settings.metric) ? this.ctx.settings.metric : 'dLdh';
  }

  protected emptyMessage(): string | undefined {
    return this.ctx.data.result ? undefined : 'No analysis yet.';
  }

  protected layoutHeight(): number {
    const H = this.ctx.data.result?.dLdh.cols ?? 32;
    return M.mapTop + this.mapHeight(H) + M.bottom;
  }

  private mapHeight(H: number): number {
    return Math.max(160, Math.min(420, H * 8));
  }

  private geometry(width: number, r: AnalysisResult) {
    const plotW = Math.max(40, width - M.left - M.right);
    const T = steps(r);
    const H = r.dLdh.cols;
    return { plotW, T, H, cellW: plotW / T, mapH: this.mapHeight(H), cellH: this.mapHeight(H) / H };
  }

  /** The colored cells, recomputed only when the data, metric, scale, colormap or theme change. */
  private cells(r: AnalysisResult, m: Mat, metric: Metric): HTMLCanvasElement {
    const s = this.ctx.settings;
    const pal = this.ctx.palette;
    const key = [m, metric, s.scale, s.colormap, pal.kind, pal.background];
    if (this.image && this.scale && key.every((k, i) => k === this.imageKey[i])) return this.image;
    const start = performance.now();
    this.scale = heatmapScale(m, metric, s.scale);
    const table = lut(s.colormap, s.scale === 'signed');
    // One image row per step, one column per unit: the matrix's own order, so one linear pass; drawn transposed.
    const { canvas, ctx, image } = imageCanvas(this.image, m.cols, steps(r));
    paintImage(image.data, m.cols, steps(r), m.data, 1, m.cols, this.scale, table, {
      zero: pal.zeroRgb,
      bad: pal.badRgb,
    });
    ctx.putImageData(image, 0, 0);
    this.image = canvas;
    this.imageKey = key;
    performance.measure('unroll:heatmap-cells', { start });
    return canvas;
  }

  protected paint(p: Painter): void {
    const start = performance.now();
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const metric = this.metric();
    const m = metricMatrix(r, metric)!;
    const g = this.geometry(p.width, r);
    const cells = this.cells(r, m, metric);
    const scale = this.scale!;
    const sel = Math.min(this.ctx.settings.step, g.T - 1);
    p.clear(pal.background);

    // Heatmap.
    p.raster(M.left, M.mapTop, g.plotW, g.mapH, cells, true);
    // Axis coordinates: step t spans [t, t + 1] left to right; unit i spans [H − i − 1, H − i] bottom to top.
    const stepAxis: Axis = {
      lo: 0,
      hi: g.T,
      label: `time step t (0 … ${g.T - 1})`,
      ticks: indexTicks(g.T).map((t) => t + 0.5),
      format: (v) => String(v - 0.5),
    };
    const unitAxis: Axis = {
      lo: 0,
      hi: g.H,
      label: 'hidden unit i',
      ticks: indexTicks(g.H).map((i) => g.H - i - 0.5),
      format: (v) => String(g.H - v - 0.5),
    };
    drawAxes(p, pal, { left: M.left, top: M.mapTop, width: g.plotW, height: g.mapH }, stepAxis, unitAxis, {
      grid: false,
    });
    p.text(
      M.left,
      M.mapTop - 8,
      `${scale.label}${scale.mode === 'log' ? ', log scale' : scale.mode === 'signed' ? (scale.symlog ? ', signed, log magnitude' : ', signed') : ''} · ${g.H} units × ${g.T} steps`,
      { color: pal.foreground, size: 11 },
    );

    // The selected step (the strip marks it too).
    const sx = M.left + sel * g.cellW;
    markSelection(p, pal, sx, M.mapTop, Math.max(2, g.cellW), g.mapH);

    const table = lut(this.ctx.settings.colormap, this.ctx.settings.scale === 'signed');
    drawLegend(
      p,
      pal,
      { left: M.left + g.plotW + 14, top: M.mapTop + 10, width: 12, height: g.mapH - 20 },
      scale,
      table,
      scale.mode === 'log' ? 'grey: exactly 0' : undefined,
    );
    const [lo, hi] = legendRange(scale);
    this.root.dataset.legendLo = String(lo);
    this.root.dataset.legendHi = String(hi);
    performance.measure('unroll:heatmap-redraw', { start });
  }

  private cellAt(x: number, y: number): { t: number; i: number } | undefined {
    const r = this.ctx.data.result;
    if (!r) return undefined;
    const g = this.geometry(this.canvas.clientWidth, r);
    const t = Math.floor((x - M.left) / g.cellW);
    const i = Math.floor((y - M.mapTop) / g.cellH);
    return t >= 0 && t < g.T && i >= 0 && i < g.H ? { t, i } : undefined;
  }

  protected override stepAt(x: number, y: number): number | undefined {
    const r = this.ctx.data.result;
    if (!r) return undefined;
    const g = this.geometry(this.canvas.clientWidth, r);
    const t = Math.floor((x - M.left) / g.cellW);
    return y >= M.mapTop && y <= M.mapTop + g.mapH && t >= 0 && t < g.T ? t : undefined;
  }

  protected override hoverText(x: number, y: number): string | undefined {
    const r = this.ctx.data.result;
    const c = this.cellAt(x, y);
    if (!r || !c) return undefined;
    const metric = this.metric();
    const m = metricMatrix(r, metric)!;
    return `step ${c.t} · unit ${c.i} · ${metricLabels[metric]} = ${exact(m.data[c.t * m.cols + c.i])}`;
  }

  protected override draw(width: number): void {
    this.strip.canvas.hidden = false;
    this.strip.render(width);
    super.draw(width);
  }

  /** The strip's SVG over the heatmap's, as one document. */
  override toSvg(): string {
    const [w, h] = this.exportSize();
    const strip = this.strip.toSvg(w).replace(/^<svg\b/, `<svg x="0" y="0"`);
    const map = super.toSvg().replace(/^<svg\b/, `<svg x="0" y="${STRIP_HEIGHT}"`);
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${STRIP_HEIGHT + h}" viewBox="0 0 ${w} ${STRIP_HEIGHT + h}">${strip}${map}</svg>`;
  }

  override toPngBase64(): string {
    const dpr = 2;
    const strip = this.strip.toCanvas(this.exportSize()[0], dpr);
    const map = this.paintedCanvas(dpr);
    const out = document.createElement('canvas');
    out.width = map.width;
    out.height = strip.height + map.height;
    const c = out.getContext('2d')!;
    c.drawImage(strip, 0, 0);
    c.drawImage(map, 0, strip.height);
    return pngBase64(out);
  }

  describe(): string {
    const r = this.ctx.data.result!;
    const metric = this.metric();
    const m = metricMatrix(r, metric)!;
    let best = 0,
      worst = -1;
    for (let k = 0; k < m.data.length; k++) {
      const a = Math.abs(m.data[k]);
      if (a > Math.abs(m.data[best])) best = k;
      if (a > 0 && (worst < 0 || a < Math.abs(m.data[worst]))) worst = k;
    }
    const at = (k: number) => `step ${Math.floor(k / m.cols)}, unit ${k % m.cols}`;
    const norms = rowNorms(r.dLdh);
    const T = steps(r);
    return (
      `Heatmap of ${metricLabels[metric]} for ${m.cols} units over ${T} steps. Largest magnitude ${fmt(m.data[best])} at ${at(best)}` +
      (worst >= 0 ? `; smallest non-zero magnitude ${fmt(m.data[worst])} at ${at(worst)}. ` : '. ') +
      `‖∂L/∂h_t‖ goes from ${fmt(norms[0])} at step 0 to ${fmt(norms[T - 1])} at step ${T - 1}; ℓ_t from ${fmt(r.lossPerStep[0])} to ${fmt(r.lossPerStep[T - 1])}.`
    );
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    const metric = this.metric();
    const m = metricMatrix(r, metric)!;
    const rows: number[][] = [];
    for (let t = 0; t < m.rows; t++) rows.push(Array.from(m.data.subarray(t * m.cols, (t + 1) * m.cols)));
    return {
      view: 'heatmap',
      metric: metricLabels[metric],
      layout: '[step][unit]',
      values: rows,
      gradNormPerStep: Array.from(rowNorms(r.dLdh)),
      lossPerStep: Array.from(r.lossPerStep),
    };
  }
}
