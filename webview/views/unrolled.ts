// View 1: the network unrolled in time. x_t → cell_t → o_t per step, cells chained by h; node color is
// ‖∂L/∂h_t‖ (log), edge width is ‖∂h_t/∂h_{t−1}‖_F, ℓ_t under each output. Scrolls and zooms, with a minimap.
import type { ColorScale } from '../colormap';
import { lut, lutColor, makeScale, paintImage, position } from '../colormap';
import { drawLegend } from '../chart';
import { exact, fmt } from '../format';
import type { ViewContext } from '../model';
import { cellName, rowNorms, steps } from '../model';
import type { Painter } from '../paint';
import { imageCanvas } from '../paint';
import { CanvasView } from './view';
import { exactRow, inputLabel, targetLabel } from '../inputs';

const LEFT = 44;
const LEGEND_SPACE = 96;
const Y = {
  header: 14,
  stepLabel: 40,
  x: 66,
  cPath: 104,
  cell: 142,
  o: 214,
  y: 238,
  loss: 260,
  mapTop: 292,
  mapHeight: 22,
  height: 338,
};
const MIN_ZOOM = 6;
const MAX_ZOOM = 160;
const MAX_EDGE = 12;

export class UnrolledView extends CanvasView {
  readonly id = 'unrolled' as const;
  readonly title = 'Unrolled network';
  private minimap?: HTMLCanvasElement;
  private minimapKey = '';
  private dragging = false;

  constructor(ctx: ViewContext) {
    super(ctx, 'Unrolled network: one column per time step, colored by the gradient norm reaching each hidden state');
    const button = (text: string, label: string, action: () => void) => {
      const b = document.createElement('vscode-button');
      b.textContent = text;
      b.setAttribute('secondary', '');
      b.setAttribute('aria-label', label);
      b.addEventListener('click', action);
      this.controls.append(b);
    };
    button('−', 'Zoom out', () => this.zoomBy(1 / 1.5));
    button('+', 'Zoom in', () => this.zoomBy(1.5));
    button('Fit', 'Fit the whole sequence', () => this.ctx.update({ zoom: this.fitZoom(), scroll: 0 }));
    const hint = document.createElement('span');
    hint.className = 'hint';
    hint.textContent = 'Click a step to select it; ←/→ move; wheel scrolls, Ctrl+wheel zooms; drag the minimap.';
    this.controls.append(hint);

    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('mousedown', (e) => {
      if (this.inMinimap(e.offsetY)) {
        this.dragging = true;
        this.centerOn(e.offsetX);
      }
    });
    this.canvas.addEventListener('mousemove', (e) => {
      if (this.dragging) this.centerOn(e.offsetX);
    });
    window.addEventListener('mouseup', () => (this.dragging = false));
  }

  private plotWidth(): number {
    return Math.max(50, this.canvas.parentElement!.clientWidth - LEFT - LEGEND_SPACE);
  }

  private fitZoom(): number {
    const r = this.ctx.data.result;
    return r ? Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.plotWidth() / steps(r))) : 48;
  }

  /** Pixels per step: the user's zoom, or on first sight the whole sequence if steps stay readable. */
  private zoom(): number {
    if (this.ctx.settings.zoom > 0) return this.ctx.settings.zoom;
    const fit = this.fitZoom();
    return fit >= 36 ? fit : 48;
  }

  private visibleSteps(): number {
    return this.plotWidth() / this.zoom();
  }

  private scroll(): number {
    const r = this.ctx.data.result;
    if (!r) return 0;
    return Math.max(0, Math.min(steps(r) - this.visibleSteps(), this.ctx.settings.scroll));
  }

  private zoomBy(factor: number, anchorX?: number): void {
    const old = this.zoom();
    const zoom = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, old * factor));
    const anchor = anchorX ?? LEFT + this.plotWidth() / 2;
    const stepAtAnchor = this.scroll() + (anchor - LEFT) / old;
    this.ctx.update({ zoom, scroll: Math.max(0, stepAtAnchor - (anchor - LEFT) / zoom) });
  }

  private onWheel(e: WheelEvent): void {
    if (!this.ctx.data.result) return;
    e.preventDefault();
    if (e.ctrlKey || e.metaKey) this.zoomBy(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX);
    else this.ctx.update({ scroll: Math.max(0, this.scroll() + (e.deltaX || e.deltaY) / this.zoom()) });
  }

  private inMinimap(y: number): boolean {
    return y >= Y.mapTop - 2 && y <= Y.mapTop + Y.mapHeight + 2;
  }

  private centerOn(x: number): void {
    const r = this.ctx.data.result;
    if (!r) return;
    const step = ((x - LEFT) / this.plotWidth()) * steps(r);
    this.ctx.update({ scroll: Math.max(0, step - this.visibleSteps() / 2) });
  }

  /** Keep the selected step on screen when it is chosen from another view or the keyboard. */
  revealStep(step: number): void {
    const first = this.scroll();
    const shown = this.visibleSteps();
    if (step < first || step > first + shown - 1) this.ctx.update({ scroll: Math.max(0, step - shown / 2) });
  }

  protected override onKey(e: KeyboardEvent): void {
    if (e.key === '+' || e.key === '=') this.zoomBy(1.5);
    else if (e.key === '-') this.zoomBy(1 / 1.5);
    else super.onKey(e);
  }

  private gradNorms(): Float64Array {
    return rowNorms(this.ctx.data.result!.dLdh);
  }

  private colorScale(norms: Float64Array): ColorScale {
    return makeScale([norms], 'log', false, '‖∂L/∂h_t‖');
  }

  protected emptyMessage(): string | undefined {
    return this.ctx.data.result
      ? undefined
      : 'No analysis yet: run “Unroll: Analyze Sequence File” on a sequence or model file.';
  }

  protected layoutHeight(): number {
    return Y.height;
  }

  private columnX(t: number): number {
    return LEFT + (t - this.scroll() + 0.5) * this.zoom();
  }

  protected override stepAt(x: number, y: number): number | undefined {
    const r = this.ctx.data.result;
    if (!r || this.inMinimap(y) || x < LEFT || x > LEFT + this.plotWidth()) return undefined;
    const t = Math.floor(this.scroll() + (x - LEFT) / this.zoom());
    return t >= 0 && t < steps(r) ? t : undefined;
  }

  protected override hoverText(x: number, y: number): string | undefined {
    const r = this.ctx.data.result;
    const t = this.stepAt(x, y);
    if (!r || t === undefined) return undefined;
    // A trace replay has no ℓ_t: its loss reached the layer from PyTorch, as gradients at the outputs.
    const parts = [
      `step ${t}`,
      `‖∂L/∂h_t‖ = ${exact(this.gradNorms()[t])}`,
      ...(r.trace ? [] : [`ℓ_t = ${exact(r.lossPerStep[t])}`]),
    ];
    const xl = inputLabel(r, t),
      xs = exactRow(r.input, t);
    if (xs !== undefined) parts.push(`x_t = ${xs}${xl?.text && xl.text !== xs ? ` (${xl.text})` : ''}`);
    const yl = targetLabel(r, t),
      ys = exactRow(r.target, t);
    if (ys !== undefined) parts.push(`target y_t = ${ys}${yl && yl.text !== ys ? ` (${yl.text})` : ''}`);
    if (t > 0) parts.push(`‖∂h_t/∂h_{t−1}‖_F = ${exact(r.stepJacobian[t])}`);
    if (r.forgetMean) parts.push(`mean f_t = ${exact(r.forgetMean[t])} (forget-gate approximation of the cell path)`);
    return parts.join(' · ');
  }

  protected paint(p: Painter): void {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const T = steps(r);
    const norms = this.gradNorms();
    const scale = this.colorScale(norms);
    const table = lut(this.ctx.settings.colormap, false);
    const zoom = this.zoom();
    const first = this.scroll();
    const plotW = this.plotWidth();
    const sel = Math.min(this.ctx.settings.step, T - 1);
    const radius = Math.max(2, Math.min(16, zoom * 0.3));
    const boxW = Math.max(3, Math.min(30, zoom * 0.55));
    const showText = zoom >= 30;
    const showInputs = zoom >= 22;
    const targets = r.target !== undefined;
    // A text: every step is a character, none stands out.
    const text = r.meta.vocab !== undefined;
    let maxJ = 0;
    for (let t = 1; t < T; t++) if (Number.isFinite(r.stepJacobian[t])) maxJ = Math.max(maxJ, r.stepJacobian[t]);

    p.clear(pal.background);
    const lstm = r.forgetMean !== undefined;
    p.text(
      LEFT,
      Y.header,
      `${cellName(r)} unrolled over ${T} steps · node color ‖∂L/∂h_t‖ (log) · h-edge width 3 px per unit of ‖∂h_t/∂h_{t−1}‖_F (max ${fmt(maxJ)})${lstm ? ' · dashed: cell path, forget-gate approximation diag(f_t), width = mean f_t' : ''}`,
      { color: pal.foreground, baseline: 'middle', size: 11 },
    );
    const firstT = Math.max(0, Math.floor(first));
    const lastT = Math.min(T - 1, Math.ceil(first + plotW / zoom));
    const xSel = this.columnX(sel);
    // The selected column: a soft fill in light and dark; in high contrast (where the grid color is the bright
    // contrast border, which text on it could not be read against) an outline in the focus color instead.
    const selBox = [xSel - zoom / 2, Y.stepLabel - 10, zoom, Y.loss - Y.stepLabel + 22] as const;
    if (sel >= firstT && sel <= lastT && !pal.highContrast) p.rect(...selBox, pal.grid);
    const labelEvery = Math.max(1, Math.ceil(40 / zoom));
    for (let t = firstT; t <= lastT; t++) {
      const x = this.columnX(t);
      if (t % labelEvery === 0 || t === sel)
        p.text(x, Y.stepLabel, String(t), {
          color: t === sel ? pal.foreground : pal.muted,
          align: 'center',
          baseline: 'middle',
          bold: t === sel,
          size: 10,
        });
      // Recurrent edges first, so nodes sit on top of them.
      if (t > 0) {
        const xPrev = this.columnX(t - 1);
        const j = r.stepJacobian[t];
        // An absolute scale (3 px per unit of norm), so widths compare across Results.
        const width = Number.isFinite(j) ? Math.min(MAX_EDGE, 0.75 + 3 * j) : 1;
        p.polyline(
          [xPrev + radius, Y.cell, x - radius, Y.cell],
          Number.isFinite(j) ? pal.foreground : pal.error,
          width,
        );
        if (showText)
          p.text((xPrev + x) / 2, Y.cell - radius - 2, fmt(j, 2), { color: pal.muted, align: 'center', size: 9 });
        if (lstm) {
          const f = r.forgetMean![t];
          p.polyline([xPrev, Y.cPath, x, Y.cPath], pal.series[1], 0.75 + 5 * (Number.isFinite(f) ? f : 0), [4, 3]);
        }
      }
      p.polyline([x, Y.x + 10, x, Y.cell - radius], pal.muted, 1);
      p.polyline([x, Y.cell + radius, x, Y.o - 10], pal.muted, 1);
      // What went in: readable once a column is wide enough for a few characters. The inputs the task is about (a
      // marked number, a symbol) get a wider box with a heavier frame and bold text; the rest stay quiet.
      const xl = showInputs ? inputLabel(r, t) : undefined;
      const key = !!xl?.text && xl.strong && xl.text.length > 2;
      const xW = key ? Math.max(boxW, Math.min(zoom - 4, 40)) : boxW;
      const heavy = !!xl?.strong && !text;
      p.rect(x - xW / 2, Y.x - 9, xW, 18, pal.background, heavy ? pal.foreground : pal.muted, heavy ? 2 : 1);
      p.rect(x - boxW / 2, Y.o - 9, boxW, 18, pal.background, pal.muted);
      if (xl?.text && (xl.strong || zoom >= 36))
        p.text(x, Y.x, xl.text, {
          color: xl.strong ? pal.foreground : pal.muted,
          align: 'center',
          baseline: 'middle',
          size: xl.strong ? 10 : 9,
          bold: xl.strong,
        });
      const yl = targets ? targetLabel(r, t) : undefined;
      if (yl) {
        if (zoom >= 24 || yl.text.length <= 2)
          p.text(x, Y.y, yl.text, {
            color: pal.foreground,
            align: 'center',
            baseline: 'middle',
            size: yl.text.length > 4 ? 9 : 10,
            bold: true,
          });
        else p.circle(x, Y.y, 2.5, pal.foreground, pal.foreground, 1);
      }
      const pos = position(scale, norms[t]);
      const fill = pos >= 0 ? lutColor(table, Number.isNaN(pos) ? 0 : pos) : pal.error;
      p.circle(x, Y.cell, radius, fill, t === sel ? pal.focus : pal.border, t === sel ? 3 : 1);
      if (showText)
        p.text(x, Y.loss, fmt(r.lossPerStep[t], 2), {
          color: pal.foreground,
          align: 'center',
          baseline: 'middle',
          size: 10,
        });
      else p.rect(x - 1, Y.loss - 4, 2, 8, pal.muted);
    }
    if (sel >= firstT && sel <= lastT && pal.highContrast)
      p.rect(selBox[0] + 1, selBox[1] + 1, selBox[2] - 2, selBox[3] - 2, undefined, pal.focus, 2);
    // Columns scrolled half out of view: cover what spills into the margins, then label the rows there.
    p.rect(0, Y.stepLabel - 12, LEFT, Y.loss - Y.stepLabel + 24, pal.background);
    p.rect(LEFT + plotW, Y.stepLabel - 12, p.width - LEFT - plotW, Y.loss - Y.stepLabel + 24, pal.background);
    const rowLabel = (y: number, s: string) =>
      p.text(LEFT - 8, y, s, { color: pal.muted, align: 'right', baseline: 'middle' });
    rowLabel(Y.stepLabel, 't');
    rowLabel(Y.x, 'x_t');
    rowLabel(Y.cell, 'h_t');
    if (lstm) rowLabel(Y.cPath, 'c_t');
    rowLabel(Y.o, 'o_t');
    if (targets) rowLabel(Y.y, 'y_t');
    rowLabel(Y.loss, 'ℓ_t');

    drawLegend(p, pal, { left: LEFT + plotW + 16, top: Y.x, width: 12, height: Y.o - Y.x }, scale, table);
    this.paintMinimap(p, norms, scale, table);
  }

  private paintMinimap(p: Painter, norms: Float64Array, scale: ColorScale, table: Uint8Array): void {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const T = steps(r);
    const key = `${this.ctx.settings.colormap}:${pal.kind}:${T}:${norms[T - 1]}`;
    if (!this.minimap || key !== this.minimapKey) {
      const { canvas, ctx, image } = imageCanvas(this.minimap, T, 1);
      paintImage(image.data, T, 1, norms, 1, 0, scale, table, { zero: pal.zeroRgb, bad: pal.badRgb });
      ctx.putImageData(image, 0, 0);
      this.minimap = canvas;
      this.minimapKey = key;
    }
    const plotW = this.plotWidth();
    p.raster(LEFT, Y.mapTop, plotW, Y.mapHeight, this.minimap);
    const a = LEFT + (this.scroll() / T) * plotW;
    const w = Math.min(plotW, (this.visibleSteps() / T) * plotW);
    p.rect(a, Y.mapTop - 2, w, Y.mapHeight + 4, undefined, pal.focus, 2);
    const sx = LEFT + ((Math.min(this.ctx.settings.step, T - 1) + 0.5) / T) * plotW;
    p.polyline([sx, Y.mapTop - 4, sx, Y.mapTop + Y.mapHeight + 4], pal.foreground, 2);
    p.text(LEFT, Y.mapTop + Y.mapHeight + 14, `minimap: all ${T} steps (‖∂L/∂h_t‖); the frame is what is shown above`, {
      color: pal.muted,
      size: 10,
    });
  }

  describe(): string {
    const r = this.ctx.data.result!;
    const T = steps(r);
    const norms = this.gradNorms();
    let lo = 0,
      hi = 0;
    for (let t = 0; t < T; t++) {
      if (norms[t] < norms[lo]) lo = t;
      if (norms[t] > norms[hi]) hi = t;
    }
    const js = Array.from(r.stepJacobian.subarray(1)).filter(Number.isFinite);
    const mean = js.reduce((a, b) => a + b, 0) / Math.max(1, js.length);
    const sel = Math.min(this.ctx.settings.step, T - 1);
    let s =
      `${cellName(r)} unrolled over ${T} steps. The gradient norm ‖∂L/∂h_t‖ is smallest at step ${lo} (${fmt(norms[lo])}) and largest at step ${hi} (${fmt(norms[hi])}). ` +
      `The step Jacobian norm ‖∂h_t/∂h_{t−1}‖_F averages ${fmt(mean)} (from ${fmt(Math.min(...js))} to ${fmt(Math.max(...js))}). `;
    if (r.forgetMean)
      s += `Mean forget gate (the cell path's forget-gate approximation) averages ${fmt(r.forgetMean.reduce((a, b) => a + b, 0) / T)}. `;
    s += `Selected step ${sel}: ${r.trace ? '' : `ℓ_t = ${fmt(r.lossPerStep[sel])}, `}‖∂L/∂h_t‖ = ${fmt(norms[sel])}.`;
    const list = (items: string[]) => `${items.slice(0, 12).join(', ')}${items.length > 12 ? ', …' : ''}`;
    const inputs: string[] = [],
      targets: string[] = [];
    for (let t = 0; t < T; t++) {
      const x = inputLabel(r, t),
        y = targetLabel(r, t);
      if (x?.strong) inputs.push(`${t}: ${x.text}`);
      if (y) targets.push(`${t}: ${y.text}`);
    }
    if (inputs.length) s += ` Inputs x_t (step: input): ${list(inputs)}.`;
    if (targets.length) s += ` Targets y_t${targets.length === T ? ' at every step' : ''}: ${list(targets)}.`;
    return s;
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    return {
      view: 'unrolled',
      cell: r.model.cell,
      gradNormPerStep: Array.from(this.gradNorms()),
      lossPerStep: Array.from(r.lossPerStep),
      stepJacobian: Array.from(r.stepJacobian),
      forgetMean: r.forgetMean && Array.from(r.forgetMean),
    };
  }
}
