// The panel's plain charts (training curves, decay by distance, ∂L/∂W_hh by distance, the per-step strip) are
// chart.js charts. This module registers what they use, themes them from the palette, and renders a chart's
// configuration off screen: into a canvas for PNG, or into svgcanvas's SVG-recording 2D context for SVG.
import type { Chart as ChartType, ChartConfiguration, Plugin, Scale, ScaleOptionsByType, Tick } from 'chart.js';
import {
  BarController,
  BarElement,
  BasicPlatform,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  SubTitle,
  Title,
  Tooltip,
} from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';
import { Context as SvgContext } from 'svgcanvas';
import { GRID_DASH, pow10 } from './chart';
import { exact } from './format';
import type { Palette } from './theme';

/** Fills the whole canvas with the theme's background before anything is drawn (canvases start transparent). */
const background: Plugin = {
  id: 'unrollBackground',
  beforeDraw(chart, _args, options: { color?: string }) {
    if (!options.color) return;
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = options.color;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

Chart.register(
  LineController,
  LineElement,
  PointElement,
  BarController,
  BarElement,
  LinearScale,
  LogarithmicScale,
  Filler,
  Legend,
  Title,
  SubTitle,
  Tooltip,
  annotationPlugin,
  background,
);

export type Config = ChartConfiguration<'line' | 'bar', { x: number; y: number }[] | number[], unknown>;

const FONT_SIZE = 11;

/** Options every chart shares: no animation, the palette's colors and font, tooltips with exact values. */
export function baseOptions(pal: Palette, title?: string, subtitle?: string) {
  const font = { family: pal.font, size: FONT_SIZE };
  return {
    responsive: false,
    maintainAspectRatio: false,
    animation: false as const,
    normalized: true,
    color: pal.foreground,
    font,
    interaction: { mode: 'index' as const, intersect: false, axis: 'x' as const },
    plugins: {
      unrollBackground: { color: pal.background },
      title: {
        display: !!title,
        text: title ?? '',
        align: 'start' as const,
        color: pal.foreground,
        font: { ...font, size: 12, weight: 'normal' as const },
        padding: { top: 4, bottom: 2 },
      },
      subtitle: {
        display: !!subtitle,
        text: subtitle ?? '',
        align: 'start' as const,
        color: pal.muted,
        font: { ...font, size: 10 },
        padding: { bottom: 4 },
      },
      legend: {
        align: 'start' as const,
        labels: { color: pal.foreground, font: { ...font, size: 10 }, boxWidth: 22, boxHeight: 2, padding: 10 },
      },
      tooltip: {
        backgroundColor: pal.background,
        titleColor: pal.foreground,
        bodyColor: pal.foreground,
        borderColor: pal.border,
        borderWidth: 1,
        titleFont: { ...font, weight: 'bold' as const },
        bodyFont: font,
        usePointStyle: false,
        callbacks: {
          label: (item: { dataset: { label?: string }; parsed: { y: number } }) =>
            `${item.dataset.label ?? ''}: ${exact(item.parsed.y)}`,
        },
      },
      annotation: { annotations: {} as Record<string, unknown>, clip: true },
    },
  };
}

/** An axis in the palette's colors: title, ticks and grid. */
export function axis(pal: Palette, title: string, extra: Record<string, unknown> = {}) {
  const font = { family: pal.font, size: 10 };
  return {
    title: { display: !!title, text: title, color: pal.foreground, font: { family: pal.font, size: FONT_SIZE } },
    ticks: { color: pal.muted, font },
    grid: { color: pal.grid, tickColor: pal.muted },
    // Grid lines dotted in high contrast, where their color is the bright contrast border a series may share.
    border: { color: pal.border, ...(pal.highContrast ? { dash: GRID_DASH } : {}) },
    ...extra,
  };
}

/** Powers of ten between the axis bounds (about `max` of them): a log axis labelled 1, 10, 10⁻³, … like the other views. */
export function decades(scale: Scale, max = 8): void {
  const lo = Math.ceil(Math.log10(scale.min) - 1e-9),
    hi = Math.floor(Math.log10(scale.max) + 1e-9);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return;
  const step = Math.max(1, Math.ceil((hi - lo + 1) / max));
  const ticks: Tick[] = [];
  for (let k = lo; k <= hi; k += step) ticks.push({ value: 10 ** k, major: true });
  scale.ticks = ticks;
}

/** Tick label of a power of ten: 1, 10, 10⁻³, … */
export function decadeLabel(v: number | string): string {
  return pow10(Math.round(Math.log10(Number(v))));
}

/** A logarithmic axis from 10^lo to 10^hi, ticks at powers of ten. */
export function logAxis(
  pal: Palette,
  title: string,
  lo: number,
  hi: number,
  extra: Record<string, unknown> = {},
): Partial<ScaleOptionsByType<'logarithmic'>> {
  return {
    type: 'logarithmic',
    min: 10 ** lo,
    max: 10 ** hi,
    afterBuildTicks: (s: Scale) => decades(s),
    ...axis(pal, title),
    ...extra,
    ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, callback: decadeLabel },
  } as unknown as Partial<ScaleOptionsByType<'logarithmic'>>;
}

/** A line across the plot at a value (an annotation), with an optional label at its end. */
export function rule(
  pal: Palette,
  at: { scaleID: string; value: number },
  color: string,
  label?: string,
  dash: number[] = [4, 3],
  width = 1,
) {
  return {
    type: 'line' as const,
    scaleID: at.scaleID,
    value: at.value,
    borderColor: color,
    borderWidth: width,
    borderDash: dash,
    label: label
      ? {
          display: true,
          content: label,
          position: at.scaleID.startsWith('x') ? ('start' as const) : ('end' as const),
          color,
          backgroundColor: 'transparent',
          font: { family: pal.font, size: 10 },
          padding: 2,
          yAdjust: at.scaleID.startsWith('x') ? 0 : -8,
          xAdjust: at.scaleID.startsWith('x') ? 30 : 0,
        }
      : undefined,
  };
}

/**
 * svgcanvas parses `ctx.font` by setting a style *attribute* on a scratch element, which a strict CSP refuses (and
 * the font is then lost). This subclass writes text the same way but parses the font through the CSSOM, and
 * ignores fills of no path.
 */
class CspSafeSvgContext extends SvgContext {
  /** A canvas fills an empty path silently; svgcanvas logs an error (the annotation plugin fills after its labels). */
  override fill(...args: unknown[]): void {
    if (this.__currentElement?.nodeName === 'path') super.fill(...args);
  }

  override __applyText(text: string, x: number, y: number, action: 'fill' | 'stroke'): void {
    const probe = document.createElement('span').style;
    probe.font = this.font;
    const anchors: Record<string, string> = {
      left: 'start',
      start: 'start',
      right: 'end',
      end: 'end',
      center: 'middle',
    };
    const baselines: Record<string, string> = {
      top: 'text-before-edge',
      hanging: 'hanging',
      middle: 'central',
      bottom: 'text-after-edge',
      ideographic: 'ideographic',
      alphabetic: 'alphabetic',
    };
    const parent = this.__closestGroupOrSvg();
    const node = this.__createElement(
      'text',
      {
        'font-family': probe.fontFamily,
        'font-size': probe.fontSize,
        'font-style': probe.fontStyle,
        'font-weight': probe.fontWeight,
        x,
        y,
        'text-anchor': anchors[this.textAlign] ?? 'start',
        'dominant-baseline': baselines[this.textBaseline] ?? 'alphabetic',
      },
      true,
    );
    node.appendChild(document.createTextNode(text));
    this.__currentElement = node;
    this.__applyTransformation(node);
    this.__applyStyleToCurrentElement(action);
    parent.appendChild(node);
  }
}

/** Draw `config` once on a target chart.js can use, without the DOM platform (no events, no resizing). */
function drawOnce<T>(
  target: { width: number; height: number; getContext(kind: '2d'): unknown },
  config: Config,
  dpr: number,
  read: (chart: ChartType) => T,
  extra: Record<string, unknown> = {},
): T {
  const chart = new Chart(
    target as unknown as HTMLCanvasElement,
    {
      ...config,
      platform: BasicPlatform,
      options: { ...config.options, devicePixelRatio: dpr, responsive: false, animation: false, events: [], ...extra },
    } as ChartConfiguration,
  );
  try {
    return read(chart);
  } finally {
    chart.destroy();
  }
}

/** The chart as an SVG document: every line, bar and label a vector element. */
export function chartSvg(config: Config, width: number, height: number): string {
  const ctx = new CspSafeSvgContext({ width, height });
  const target = { width, height, getContext: () => ctx };
  // chart.js strokes lines through a cached Path2D, which a recording context cannot read; a `segment` option (even
  // an empty one) makes it issue moveTo/lineTo on the context instead.
  // Read before destroy(): it clears the context.
  return drawOnce(target, config, 1, () => ctx.getSerializedSvg(true), { datasets: { line: { segment: {} } } });
}

/** The chart drawn into a fresh canvas at `dpr` device pixels per CSS pixel. */
export function chartCanvas(config: Config, width: number, height: number, dpr = 2): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  // Copy the picture out before destroy() clears the chart's canvas.
  return drawOnce(canvas, config, dpr, () => {
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    copy.getContext('2d')!.drawImage(canvas, 0, 0);
    return copy;
  });
}

export { Chart };
