// Chrome colors for canvases. A canvas cannot use CSS variables, so read them into a palette and read them
// again when VS Code switches theme (it changes the body's class and the variables on <html>).
import { parseRgb } from './colormap';

export interface Palette {
  background: string;
  foreground: string;
  muted: string;
  grid: string;
  border: string;
  focus: string;
  accent: string;
  /** Series colors for lines (VS Code's chart colors). */
  series: string[];
  error: string;
  warning: string;
  font: string;
  /** Zero and non-finite cells in heatmaps: distinct from every colormap. */
  zeroRgb: [number, number, number];
  badRgb: [number, number, number];
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  /** A high-contrast theme: selections are outlined in `focus`, never shown by a fill that text sits on. */
  highContrast: boolean;
}

function cssVar(style: CSSStyleDeclaration, name: string): string {
  return style.getPropertyValue(name).trim();
}

export function themeKind(): Palette['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  if (c.contains('vscode-light')) return 'light';
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Our stylesheet defines --unroll-* from --vscode-* with fallbacks for the standalone report; read those. */
export function readPalette(): Palette {
  const style = getComputedStyle(document.body);
  const v = (name: string) => cssVar(style, `--unroll-${name}`);
  const background = v('bg') || '#ffffff';
  const bgRgb = parseRgb(background);
  const dark = bgRgb[0] + bgRgb[1] + bgRgb[2] < 384;
  const kind = themeKind();
  return {
    background,
    foreground: v('fg') || (dark ? '#cccccc' : '#333333'),
    muted: v('muted') || '#888888',
    grid: v('grid') || (dark ? '#3c3c3c' : '#e0e0e0'),
    border: v('border') || '#888888',
    focus: v('focus') || '#0078d4',
    accent: v('accent') || '#0078d4',
    series: ['series-1', 'series-2', 'series-3', 'series-4', 'series-5'].map(
      (s, i) => v(s) || ['#3794ff', '#f14c4c', '#89d185', '#cca700', '#b180d7'][i],
    ),
    error: v('error') || '#f14c4c',
    warning: v('warning') || '#cca700',
    font: cssVar(style, 'font-family') || 'sans-serif',
    zeroRgb: dark ? [70, 70, 70] : [205, 205, 205],
    badRgb: [255, 0, 160],
    kind,
    highContrast: kind === 'high-contrast' || kind === 'high-contrast-light',
  };
}

/** Call `onChange` when the theme changes (body class or the variables on <html>, as VS Code sets them). */
export function watchTheme(onChange: () => void): void {
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      onChange();
    });
  };
  new MutationObserver(schedule).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  new MutationObserver(schedule).observe(document.documentElement, {
    attributes: true,
    attributeFilter: ['style', 'class'],
  });
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', schedule);
}
