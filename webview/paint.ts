// One drawing interface, two back ends: a canvas for the screen and an SVG string for export.
// Every view draws through it, so the exported SVG is the same picture as the panel, in vectors.

export interface TextStyle {
  color: string;
  size?: number;
  align?: 'left' | 'center' | 'right';
  baseline?: 'top' | 'middle' | 'bottom' | 'alphabetic';
  bold?: boolean;
  /** Rotation in degrees around (x, y). */
  rotate?: number;
}

export interface Painter {
  readonly width: number;
  readonly height: number;
  readonly font: string;
  clear(color: string): void;
  rect(x: number, y: number, w: number, h: number, fill?: string, stroke?: string, lineWidth?: number): void;
  /** Points as a flat list x0, y0, x1, y1, …; NaN breaks the line. */
  polyline(points: number[], stroke: string, lineWidth: number, dash?: number[]): void;
  circle(cx: number, cy: number, r: number, fill?: string, stroke?: string, lineWidth?: number): void;
  text(x: number, y: number, s: string, style: TextStyle): void;
  /**
   * A raster (an offscreen canvas holding one ImageData write) scaled into the box without smoothing.
   * `transposed`: the source's rows run along x (a [T][H] matrix stored row by row, drawn with t across).
   */
  raster(x: number, y: number, w: number, h: number, source: HTMLCanvasElement, transposed?: boolean): void;
}

const DEFAULT_SIZE = 11;

/** Draws on any 2D context: a canvas's, or svgcanvas's inside a chart.js plugin (see views/decay.ts). */
export class ContextPainter implements Painter {
  constructor(
    protected readonly ctx: CanvasRenderingContext2D,
    readonly width: number,
    readonly height: number,
    readonly font: string,
  ) {}

  clear(color: string): void {
    this.ctx.fillStyle = color;
    this.ctx.fillRect(0, 0, this.width, this.height);
  }

  rect(x: number, y: number, w: number, h: number, fill?: string, stroke?: string, lineWidth = 1): void {
    const c = this.ctx;
    if (fill) {
      c.fillStyle = fill;
      c.fillRect(x, y, w, h);
    }
    if (stroke) {
      c.strokeStyle = stroke;
      c.lineWidth = lineWidth;
      c.setLineDash([]);
      c.strokeRect(x, y, w, h);
    }
  }

  polyline(points: number[], stroke: string, lineWidth: number, dash: number[] = []): void {
    const c = this.ctx;
    c.strokeStyle = stroke;
    c.lineWidth = lineWidth;
    c.setLineDash(dash);
    c.lineJoin = 'round';
    c.beginPath();
    let pen = false;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = points[i],
        y = points[i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      if (pen) c.lineTo(x, y);
      else c.moveTo(x, y);
      pen = true;
    }
    c.stroke();
    c.setLineDash([]);
  }

  circle(cx: number, cy: number, r: number, fill?: string, stroke?: string, lineWidth = 1): void {
    const c = this.ctx;
    c.beginPath();
    c.arc(cx, cy, r, 0, Math.PI * 2);
    if (fill) {
      c.fillStyle = fill;
      c.fill();
    }
    if (stroke) {
      c.strokeStyle = stroke;
      c.lineWidth = lineWidth;
      c.setLineDash([]);
      c.stroke();
    }
  }

  text(x: number, y: number, s: string, st: TextStyle): void {
    const c = this.ctx;
    c.save();
    c.font = `${st.bold ? 'bold ' : ''}${st.size ?? DEFAULT_SIZE}px ${this.font}`;
    c.fillStyle = st.color;
    c.textAlign = st.align ?? 'left';
    c.textBaseline = st.baseline ?? 'alphabetic';
    c.translate(x, y);
    if (st.rotate) c.rotate((st.rotate * Math.PI) / 180);
    c.fillText(s, 0, 0);
    c.restore();
  }

  raster(x: number, y: number, w: number, h: number, source: HTMLCanvasElement, transposed = false): void {
    const c = this.ctx;
    c.imageSmoothingEnabled = false;
    if (transposed) {
      c.save();
      // Swap the axes: source x (columns) goes down, source y (rows) goes across.
      c.transform(0, 1, 1, 0, x, y);
      c.drawImage(source, 0, 0, h, w);
      c.restore();
    } else c.drawImage(source, x, y, w, h);
    c.imageSmoothingEnabled = true;
  }
}

/** Draws on a canvas sized to width × height CSS pixels at `dpr` device pixels each. */
export class CanvasPainter extends ContextPainter {
  constructor(
    canvas: HTMLCanvasElement,
    width: number,
    height: number,
    font: string,
    dpr = window.devicePixelRatio || 1,
  ) {
    const pw = Math.max(1, Math.round(width * dpr));
    const ph = Math.max(1, Math.round(height * dpr));
    if (canvas.width !== pw) canvas.width = pw;
    if (canvas.height !== ph) canvas.height = ph;
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser gives no 2D canvas context.');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    super(ctx, width, height, font);
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function n(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

export class SvgPainter implements Painter {
  private readonly parts: string[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    readonly font: string,
  ) {}

  clear(color: string): void {
    this.parts.length = 0;
    this.rect(0, 0, this.width, this.height, color);
  }

  rect(x: number, y: number, w: number, h: number, fill?: string, stroke?: string, lineWidth = 1): void {
    this.parts.push(
      `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill ? esc(fill) : 'none'}"${stroke ? ` stroke="${esc(stroke)}" stroke-width="${lineWidth}"` : ''}/>`,
    );
  }

  polyline(points: number[], stroke: string, lineWidth: number, dash: number[] = []): void {
    let d = '';
    let pen = false;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const x = points[i],
        y = points[i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${n(x)} ${n(y)}`;
      pen = true;
    }
    if (!d) return;
    const dashAttr = dash.length ? ` stroke-dasharray="${dash.join(' ')}"` : '';
    this.parts.push(
      `<path d="${d}" fill="none" stroke="${esc(stroke)}" stroke-width="${lineWidth}" stroke-linejoin="round"${dashAttr}/>`,
    );
  }

  circle(cx: number, cy: number, r: number, fill?: string, stroke?: string, lineWidth = 1): void {
    this.parts.push(
      `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}" fill="${fill ? esc(fill) : 'none'}"${stroke ? ` stroke="${esc(stroke)}" stroke-width="${lineWidth}"` : ''}/>`,
    );
  }

  text(x: number, y: number, s: string, st: TextStyle): void {
    const anchor = { left: 'start', center: 'middle', right: 'end' }[st.align ?? 'left'];
    const baseline = { top: 'hanging', middle: 'central', bottom: 'text-after-edge', alphabetic: 'alphabetic' }[
      st.baseline ?? 'alphabetic'
    ];
    const rot = st.rotate ? ` transform="rotate(${st.rotate} ${n(x)} ${n(y)})"` : '';
    this.parts.push(
      `<text x="${n(x)}" y="${n(y)}" fill="${esc(st.color)}" font-size="${st.size ?? DEFAULT_SIZE}" text-anchor="${anchor}" dominant-baseline="${baseline}"${st.bold ? ' font-weight="bold"' : ''}${rot}>${esc(s)}</text>`,
    );
  }

  raster(x: number, y: number, w: number, h: number, source: HTMLCanvasElement, transposed = false): void {
    const href = source.toDataURL('image/png');
    const [iw, ih, transform] = transposed ? [h, w, ` transform="matrix(0 1 1 0 ${n(x)} ${n(y)})"`] : [w, h, ''];
    const [ix, iy] = transposed ? [0, 0] : [x, y];
    this.parts.push(
      `<image x="${n(ix)}" y="${n(iy)}" width="${n(iw)}" height="${n(ih)}"${transform} preserveAspectRatio="none" style="image-rendering:pixelated" href="${href}"/>`,
    );
  }

  toString(): string {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}" font-family="${esc(this.font)}">${this.parts.join('')}</svg>`;
  }
}

/** An offscreen canvas holding one ImageData: what `raster` draws. Reused while the size stays the same. */
export function imageCanvas(
  previous: HTMLCanvasElement | undefined,
  width: number,
  height: number,
): { canvas: HTMLCanvasElement; ctx: CanvasRenderingContext2D; image: ImageData } {
  const canvas = previous ?? document.createElement('canvas');
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser gives no 2D canvas context.');
  return { canvas, ctx, image: ctx.createImageData(width, height) };
}
