// View 3: the flow matrix ‖∂ℓ_t/∂h_k‖ for k ≤ t. Row t shows how far back the loss at step t reaches;
// truncated BPTT's cut shows as exact zeros beyond the cut line.
import type { AnalysisResult } from '../../src/protocol';
import type { ColorScale } from '../colormap';
import { lut, makeScale, parseRgb, position } from '../colormap';
import type { Axis } from '../chart';
import { drawAxes, drawLegend, indexTicks, LEGEND_MIN_HEIGHT, legendRange, markLine, markSelection } from '../chart';
import { exact, fmt } from '../format';
import type { ViewContext } from '../model';
import { steps } from '../model';
import type { Painter } from '../paint';
import { imageCanvas } from '../paint';
import { CanvasView } from './view';
import { termBar } from '../terms';

const M = { left: 58, right: 110, top: 46, bottom: 48 };

export class FlowView extends CanvasView {
  readonly id = 'flow' as const;
  readonly title = 'Flow matrix';
  private image?: HTMLCanvasElement;
  private imageKey: unknown[] = [];
  private scale?: ColorScale;

  constructor(ctx: ViewContext) {
    super(ctx, 'Flow matrix: how strongly the loss at each step t reaches each earlier hidden state h_k');
    this.controls.append(
      termBar([
        ['flow row', ['flowRow']],
        ['horizon', ['horizon']],
      ]),
    );
  }

  protected emptyMessage(): string | undefined {
    const r = this.ctx.data.result;
    if (!r) return 'No analysis yet.';
    return r.flow.steps.length ? undefined : 'This analysis computed no flow rows.';
  }

  protected layoutHeight(width: number): number {
    const mapH = this.mapHeight(width, this.ctx.data.result?.flow.steps.length ?? 1);
    // The colour bar may reach below a short map (one row): leave room for it and its note.
    return Math.max(M.top + mapH + M.bottom, M.top + 10 + this.legendHeight(mapH) + 24);
  }

  /** The colour bar: 40 px shorter than the map, but never too short for its labels. */
  private legendHeight(mapH: number): number {
    return Math.max(LEGEND_MIN_HEIGHT, mapH - 40);
  }

  /** Square-ish, but no taller than 12 px per row: a sequence-to-one loss has a single row. */
  private mapHeight(width: number, rows: number): number {
    return Math.max(60, Math.min(460, width - M.left - M.right, rows * 12));
  }

  private geometry(width: number, r: AnalysisResult) {
    const plotW = Math.max(40, width - M.left - M.right);
    const rows = r.flow.steps.length;
    const mapH = this.mapHeight(width, rows);
    const T = steps(r);
    return { plotW, mapH, T, rows, cellW: plotW / T, rowH: mapH / rows };
  }

  private cells(r: AnalysisResult): HTMLCanvasElement {
    const s = this.ctx.settings;
    const pal = this.ctx.palette;
    const key = [r.flow, s.colormap, pal.kind, pal.background];
    if (this.image && this.scale && key.every((k, i) => k === this.imageKey[i])) return this.image;
    const T = steps(r);
    const rows = r.flow.matrix;
    this.scale = makeScale(rows, 'log', false, '‖∂ℓ_t/∂h_k‖');
    const table = lut(s.colormap, false);
    const empty = parseRgb(pal.background);
    const { canvas, ctx, image } = imageCanvas(this.image, T, rows.length);
    const px = image.data;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      for (let k = 0; k < T; k++) {
        const o = (i * T + k) * 4;
        let rgb: ArrayLike<number>;
        if (k >= row.length) rgb = empty;
        else {
          const p = position(this.scale, row[k]);
          if (p < 0) rgb = pal.badRgb;
          else if (Number.isNaN(p)) rgb = pal.zeroRgb;
          else {
            const j = Math.round(p * 255) * 3;
            rgb = table.subarray(j, j + 3);
          }
        }
        px[o] = rgb[0];
        px[o + 1] = rgb[1];
        px[o + 2] = rgb[2];
        px[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    this.image = canvas;
    this.imageKey = key;
    return canvas;
  }

  /** Index of the computed row closest to step t. */
  private rowFor(r: AnalysisResult, t: number): number {
    let best = 0;
    r.flow.steps.forEach((s, i) => {
      if (Math.abs(s - t) < Math.abs(r.flow.steps[best] - t)) best = i;
    });
    return best;
  }

  protected paint(p: Painter): void {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const g = this.geometry(p.width, r);
    const cells = this.cells(r);
    const scale = this.scale!;
    p.clear(pal.background);
    p.raster(M.left, M.top, g.plotW, g.mapH, cells);
    const kAxis: Axis = {
      lo: 0,
      hi: g.T,
      label: 'k: the hidden state h_k the gradient reaches',
      ticks: indexTicks(g.T).map((k) => k + 0.5),
      format: (v) => String(v - 0.5),
    };
    const rowTicks = indexTicks(g.rows);
    const tAxis: Axis = {
      lo: 0,
      hi: g.rows,
      label: 't: step of the loss ℓ_t',
      ticks: rowTicks.map((i) => g.rows - i - 0.5),
      format: (v) => String(r.flow.steps[Math.round(g.rows - v - 0.5)]),
    };
    drawAxes(p, pal, { left: M.left, top: M.top, width: g.plotW, height: g.mapH }, kAxis, tAxis, { grid: false });

    const header = [`‖∂ℓ_t/∂h_k‖ for k ≤ t (log scale)`];
    if (!r.flow.exact) header.push(`rows are an evenly spaced subset: ${g.rows} of ${g.T} steps`);
    if (g.rows === 1) header.push(`one row: only ℓ_${r.flow.steps[0]} has a target`);
    if (r.flow.truncate !== null)
      header.push(`truncated BPTT, k = ${r.flow.truncate}: nothing reaches further back than the dashed cut`);
    p.text(M.left, 14, header.join(' · '), { color: pal.foreground, size: 11 });
    p.text(M.left, 30, 'Each row is one loss term; read it right to left to see how far back its gradient reaches.', {
      color: pal.muted,
      size: 10,
    });

    const rowY = (i: number) => M.top + (i + 0.5) * g.rowH;
    const colX = (k: number) => M.left + k * g.cellW;
    if (r.flow.truncate !== null) {
      const cut: number[] = [];
      r.flow.steps.forEach((t, i) => {
        const k = t - r.flow.truncate! + 1;
        if (k > 0) cut.push(colX(k), rowY(i));
      });
      p.polyline(cut, pal.error, 2, [6, 4]);
    }
    const sel = Math.min(this.ctx.settings.step, g.T - 1);
    const row = this.rowFor(r, sel);
    markSelection(p, pal, M.left, M.top + row * g.rowH, g.plotW, Math.max(2, g.rowH));
    markLine(p, pal, [colX(sel + 0.5), M.top, colX(sel + 0.5), M.top + g.mapH], pal.highContrast ? 2 : 1, [2, 3]);

    drawLegend(
      p,
      pal,
      { left: M.left + g.plotW + 14, top: M.top + 10, width: 12, height: this.legendHeight(g.mapH) },
      scale,
      lut(this.ctx.settings.colormap, false),
      'grey: exactly 0',
    );
    const [lo, hi] = legendRange(scale);
    this.root.dataset.legendLo = String(lo);
    this.root.dataset.legendHi = String(hi);
  }

  private cellAt(x: number, y: number): { i: number; k: number } | undefined {
    const r = this.ctx.data.result;
    if (!r) return undefined;
    const g = this.geometry(this.canvas.clientWidth, r);
    const k = Math.floor((x - M.left) / g.cellW);
    const i = Math.floor((y - M.top) / g.rowH);
    return k >= 0 && k < g.T && i >= 0 && i < g.rows ? { i, k } : undefined;
  }

  protected override stepAt(x: number, y: number): number | undefined {
    const c = this.cellAt(x, y);
    return c && this.ctx.data.result!.flow.steps[c.i];
  }

  protected override hoverText(x: number, y: number): string | undefined {
    const c = this.cellAt(x, y);
    if (!c) return undefined;
    const r = this.ctx.data.result!;
    const t = r.flow.steps[c.i];
    if (c.k > t) return `t = ${t}, k = ${c.k}: ℓ_t does not depend on later states`;
    return `t = ${t} · k = ${c.k} · d = ${t - c.k} · ‖∂ℓ_t/∂h_k‖ = ${exact(r.flow.matrix[c.i][c.k])}`;
  }

  describe(): string {
    const r = this.ctx.data.result!;
    const sel = Math.min(this.ctx.settings.step, steps(r) - 1);
    const i = this.rowFor(r, sel);
    const row = r.flow.matrix[i];
    const t = r.flow.steps[i];
    const top = row[t];
    let reach = 0;
    for (let k = t; k >= 0; k--) if (row[k] >= top * 1e-3) reach = t - k;
    let s = `Flow matrix with ${r.flow.steps.length} rows (${r.flow.exact ? 'every step' : 'an evenly spaced subset of steps'}). `;
    if (r.flow.truncate !== null)
      s += `Truncated BPTT with k = ${r.flow.truncate}: entries further back are exactly zero. `;
    s += `For step ${t}, ‖∂ℓ_t/∂h_t‖ = ${fmt(top)}; it stays within a factor 1000 of that for ${reach} steps back.`;
    return s;
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    return {
      view: 'flow',
      steps: r.flow.steps,
      exact: r.flow.exact,
      truncate: r.flow.truncate,
      matrix: r.flow.matrix.map((row) => Array.from(row)),
    };
  }
}
