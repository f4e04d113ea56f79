// What every view shares: a canvas with a text alternative, a hover tooltip, keyboard stepping, export.
// Two kinds draw on it: CanvasView through the painter (the product's own pictures: network, heatmaps, flow
// matrix) and ChartView (views/chartView.ts) through chart.js (the plain charts).
import type { ViewContext, ViewId } from '../model';
import { steps } from '../model';
import type { Painter } from '../paint';
import { CanvasPainter, SvgPainter } from '../paint';

let nextId = 0;

export abstract class View {
  abstract readonly id: ViewId;
  abstract readonly title: string;
  /** Placed in the view's tab panel: controls, then the canvas, then the text alternative. */
  readonly root: HTMLElement;
  protected readonly controls: HTMLElement;
  /** Holds the canvas (and any companion canvas a view adds before it), the tooltip and the empty message. */
  protected readonly stage: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly description: HTMLParagraphElement;
  private readonly tooltip: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;
  private drawnWidth = 0;
  private dirty = true;
  private frameRequested = false;

  constructor(
    protected readonly ctx: ViewContext,
    ariaLabel: string,
  ) {
    const uid = `unroll-view-${nextId++}`;
    this.root = document.createElement('section');
    this.root.className = 'view';
    this.controls = document.createElement('div');
    this.controls.className = 'view-controls';
    const stage = (this.stage = document.createElement('div'));
    stage.className = 'stage';
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'view-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', ariaLabel);
    this.canvas.setAttribute('aria-describedby', `${uid}-text`);
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    this.empty = document.createElement('p');
    this.empty.className = 'empty';
    this.empty.hidden = true;
    stage.append(this.canvas, this.tooltip, this.empty);
    const details = document.createElement('details');
    details.className = 'text-alt';
    const summary = document.createElement('summary');
    summary.textContent = 'Text description';
    this.description = document.createElement('p');
    this.description.id = `${uid}-text`;
    details.append(summary, this.description);
    this.root.append(this.controls, stage, details);

    new ResizeObserver(() => {
      const w = this.availableWidth();
      if (w > 0 && (w !== this.drawnWidth || this.dirty)) this.render();
    }).observe(stage);
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    this.canvas.addEventListener('click', (e) => {
      const step = this.stepAt(e.offsetX, e.offsetY);
      if (step !== undefined) this.ctx.select(step);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Height of the picture at this width. */
  protected abstract layoutHeight(width: number): number;
  /** Draw the picture on the view's canvas at this CSS width. */
  protected abstract draw(width: number): void;
  /** The picture as an SVG document, at the width last drawn. */
  abstract toSvg(): string;
  /** PNG bytes, base64, at twice the CSS size for print. */
  abstract toPngBase64(): string;
  /** The text alternative: what a person would read off the picture. */
  abstract describe(): string;
  /** The numbers behind the picture, for JSON export. */
  abstract numbers(): unknown;
  /** Why there is nothing to draw, or undefined when there is. */
  protected abstract emptyMessage(): string | undefined;
  protected hoverText(_x: number, _y: number): string | undefined {
    return undefined;
  }
  protected stepAt(_x: number, _y: number): number | undefined {
    return undefined;
  }

  private availableWidth(): number {
    return Math.floor(this.canvas.parentElement?.clientWidth ?? 0);
  }

  /** Redraw on the next frame (coalesced); hidden views redraw when they become visible. */
  invalidate(): void {
    this.dirty = true;
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      if (this.dirty) this.render();
    });
  }

  /** Draw now if visible; returns whether it drew. */
  render(): boolean {
    const width = this.availableWidth();
    this.dirty = true;
    if (width <= 0) return false;
    const emptyText = this.emptyMessage();
    this.empty.hidden = emptyText === undefined;
    this.empty.textContent = emptyText ?? '';
    this.canvas.hidden = emptyText !== undefined;
    this.drawnWidth = width;
    this.dirty = false;
    const r = this.ctx.data.result;
    this.root.dataset.step = r ? String(Math.min(this.ctx.settings.step, steps(r) - 1)) : '';
    if (emptyText !== undefined) {
      this.description.textContent = emptyText;
      return true;
    }
    this.draw(width);
    this.description.textContent = this.describe();
    return true;
  }

  /** Redraw everything, reading the palette again (after a theme change). */
  refresh(): void {
    this.invalidate();
  }

  protected exportSize(): [number, number] {
    const width = this.drawnWidth || 900;
    return [width, this.layoutHeight(width)];
  }

  private onHover(e: MouseEvent): void {
    const text = this.hoverText(e.offsetX, e.offsetY);
    if (!text) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const stage = this.canvas.parentElement!;
    const left = Math.min(e.offsetX + 14, stage.clientWidth - this.tooltip.offsetWidth - 4);
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${e.offsetY + 16}px`;
  }

  protected onKey(e: KeyboardEvent): void {
    const r = this.ctx.data.result;
    if (!r) return;
    const last = steps(r) - 1;
    const s = this.ctx.settings.step;
    const jump = e.shiftKey ? 10 : 1;
    const moves: Record<string, number> = {
      ArrowLeft: s - jump,
      ArrowRight: s + jump,
      Home: 0,
      End: last,
      PageUp: s - 50,
      PageDown: s + 50,
    };
    if (!(e.key in moves)) return;
    e.preventDefault();
    this.ctx.select(Math.max(0, Math.min(last, moves[e.key])));
  }

  protected addSelect(
    label: string,
    options: [string, string][],
    value: string,
    onChange: (v: string) => void,
  ): HTMLElement {
    const wrap = document.createElement('label');
    wrap.className = 'control';
    const caption = document.createElement('span');
    caption.textContent = label;
    const select = document.createElement('vscode-single-select');
    select.setAttribute('aria-label', label);
    this.setOptions(select, options, value);
    select.addEventListener('change', () => onChange(select.value));
    wrap.append(caption, select);
    this.controls.append(wrap);
    return select;
  }

  protected setOptions(select: HTMLElement & { value?: string }, options: [string, string][], value: string): void {
    select.replaceChildren(
      ...options.map(([v, text]) => {
        const o = document.createElement('vscode-option');
        o.setAttribute('value', v);
        o.textContent = text;
        if (v === value) o.setAttribute('selected', '');
        return o;
      }),
    );
    select.value = value;
  }
}

/** A view drawn through the painter: the same code paints the canvas and writes the SVG. */
export abstract class CanvasView extends View {
  /** The whole picture, background included, through either back end. */
  protected abstract paint(p: Painter): void;

  protected draw(width: number): void {
    this.paint(new CanvasPainter(this.canvas, width, this.layoutHeight(width), this.ctx.palette.font));
  }

  toSvg(): string {
    const [w, h] = this.exportSize();
    const p = new SvgPainter(w, h, this.ctx.palette.font);
    this.paint(p);
    return p.toString();
  }

  /** The picture on a fresh canvas at `dpr` (exports use 2). */
  protected paintedCanvas(dpr: number): HTMLCanvasElement {
    const [w, h] = this.exportSize();
    const canvas = document.createElement('canvas');
    this.paint(new CanvasPainter(canvas, w, h, this.ctx.palette.font, dpr));
    return canvas;
  }

  toPngBase64(): string {
    return pngBase64(this.paintedCanvas(2));
  }
}

export function pngBase64(canvas: HTMLCanvasElement): string {
  return canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}
