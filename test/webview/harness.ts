/// <reference lib="dom" />
// Loads the built panel (dist/webview.js, dist/webview.css) in headless Chromium inside a page shaped like the
// extension's host page: same CSP, a stubbed acquireVsCodeApi that records what the panel posts, VS Code's theme
// classes and --vscode-* variables on the page.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const root = path.resolve(__dirname, '../..');
export const artifacts = path.join(root, 'test/webview/artifacts');
const NONCE = 'dGVzdC1ub25jZQ';

export type Theme = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
export const themes: Theme[] = ['light', 'dark', 'high-contrast', 'high-contrast-light'];

function parseTheme(v: string | null): Theme {
  return themes.includes(v as Theme) ? (v as Theme) : 'light';
}

/**
 * A few of VS Code's Default Light Modern / Dark Modern / Default High Contrast / Default High Contrast Light theme
 * variables, as VS Code puts them on <html>. The high-contrast themes add contrastBorder and contrastActiveBorder
 * (the outlines they draw around everything) and leave light/dark's subtle borders out.
 */
export const themeVars: Record<Theme, Record<string, string>> = {
  light: {
    '--vscode-editor-background': '#ffffff',
    '--vscode-editor-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#3b3b3b',
    '--vscode-editorWidget-border': '#e5e5e5',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-red': '#e51400',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-yellow': '#bf8803',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-foreground': '#3b3b3b',
    '--vscode-panelTitle-activeForeground': '#3b3b3b',
    '--vscode-panelTitle-inactiveForeground': '#616161',
    '--vscode-panelTitle-activeBorder': '#005fb8',
    '--vscode-panel-background': '#f8f8f8',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-settings-dropdownBackground': '#ffffff',
    '--vscode-settings-dropdownForeground': '#3b3b3b',
    '--vscode-settings-dropdownBorder': '#cecece',
    '--vscode-list-activeSelectionBackground': '#e8e8e8',
    '--vscode-list-activeSelectionForeground': '#000000',
  },
  dark: {
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-editorWidget-border': '#454545',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-yellow': '#cca700',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-foreground': '#cccccc',
    '--vscode-panelTitle-activeForeground': '#cccccc',
    '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
    '--vscode-panelTitle-activeBorder': '#0078d4',
    '--vscode-panel-background': '#181818',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-settings-dropdownBackground': '#313131',
    '--vscode-settings-dropdownForeground': '#cccccc',
    '--vscode-settings-dropdownBorder': '#3c3c3c',
    '--vscode-list-activeSelectionBackground': '#04395e',
    '--vscode-list-activeSelectionForeground': '#ffffff',
  },
  'high-contrast': {
    '--vscode-editor-background': '#000000',
    '--vscode-editor-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffffb3',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-contrastActiveBorder': '#f38518',
    '--vscode-focusBorder': '#f38518',
    '--vscode-editorWidget-border': '#6fc3df',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-textLink-foreground': '#21a6ff',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f48771',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-yellow': '#ffd370',
    '--vscode-charts-purple': '#b180d7',
    '--vscode-errorForeground': '#f48771',
    '--vscode-editorWarning-foreground': '#ffd370',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-foreground': '#ffffff',
    '--vscode-panelTitle-activeForeground': '#ffffff',
    '--vscode-panelTitle-inactiveForeground': '#ffffff',
    '--vscode-panelTitle-activeBorder': '#6fc3df',
    '--vscode-panel-background': '#000000',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-border': '#6fc3df',
    '--vscode-button-secondaryBackground': '#000000',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-settings-dropdownBackground': '#000000',
    '--vscode-settings-dropdownForeground': '#ffffff',
    '--vscode-settings-dropdownBorder': '#6fc3df',
    '--vscode-list-activeSelectionBackground': '#000000',
    '--vscode-list-activeSelectionForeground': '#ffffff',
    '--vscode-list-focusOutline': '#f38518',
    '--vscode-editorHoverWidget-background': '#0c141f',
    '--vscode-editorHoverWidget-foreground': '#ffffff',
    '--vscode-editorHoverWidget-border': '#6fc3df',
  },
  'high-contrast-light': {
    '--vscode-editor-background': '#ffffff',
    '--vscode-editor-foreground': '#292929',
    '--vscode-descriptionForeground': '#292929b3',
    '--vscode-contrastBorder': '#0f4a85',
    '--vscode-contrastActiveBorder': '#006bbd',
    '--vscode-focusBorder': '#006bbd',
    '--vscode-editorWidget-border': '#0f4a85',
    '--vscode-panel-border': '#0f4a85',
    '--vscode-textLink-foreground': '#0f4a85',
    '--vscode-charts-blue': '#0f4a85',
    '--vscode-charts-red': '#b5200d',
    '--vscode-charts-green': '#374e06',
    '--vscode-charts-yellow': '#895503',
    '--vscode-charts-purple': '#652d90',
    '--vscode-errorForeground': '#b5200d',
    '--vscode-editorWarning-foreground': '#895503',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-foreground': '#292929',
    '--vscode-panelTitle-activeForeground': '#292929',
    '--vscode-panelTitle-inactiveForeground': '#292929',
    '--vscode-panelTitle-activeBorder': '#b5200d',
    '--vscode-panel-background': '#ffffff',
    '--vscode-button-background': '#0f4a85',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-border': '#0f4a85',
    '--vscode-button-secondaryBackground': '#ffffff',
    '--vscode-button-secondaryForeground': '#292929',
    '--vscode-settings-dropdownBackground': '#ffffff',
    '--vscode-settings-dropdownForeground': '#292929',
    '--vscode-settings-dropdownBorder': '#0f4a85',
    '--vscode-list-activeSelectionBackground': '#ffffff',
    '--vscode-list-activeSelectionForeground': '#292929',
    '--vscode-list-focusOutline': '#006bbd',
    '--vscode-editorHoverWidget-background': '#ffffff',
    '--vscode-editorHoverWidget-foreground': '#292929',
    '--vscode-editorHoverWidget-border': '#0f4a85',
  },
};

export interface Server {
  origin: string;
  close(): Promise<void>;
}

function hostPage(origin: string, theme: Theme): string {
  const csp = `default-src 'none'; img-src ${origin} blob: data:; style-src ${origin}; font-src ${origin}; script-src 'nonce-${NONCE}'`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${origin}/theme.css?theme=${theme}">
<link rel="stylesheet" href="${origin}/dist/webview.css"></head>
<body class="vscode-${theme}" data-vscode-theme-kind="vscode-${theme}">
<script nonce="${NONCE}" src="${origin}/dist/webview.js"></script></body></html>`;
}

/** Serves the host page at /panel.html?theme=…, the theme's variables at /theme.css, the built files under /dist/. */
export async function startServer(): Promise<Server> {
  for (const f of ['dist/webview.js', 'dist/webview.css']) {
    if (!existsSync(path.join(root, f)))
      throw new Error(`${f} is missing: run \`npm run build\` (npm run test:webview does).`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/panel.html') {
      const theme = parseTheme(url.searchParams.get('theme'));
      res.writeHead(200, { 'content-type': 'text/html' }).end(hostPage(origin, theme));
      return;
    }
    if (url.pathname === '/theme.css') {
      const vars = themeVars[parseTheme(url.searchParams.get('theme'))];
      res.writeHead(200, { 'content-type': 'text/css' }).end(
        `:root { ${Object.entries(vars)
          .map(([k, v]) => `${k}: ${v};`)
          .join(' ')} }`,
      );
      return;
    }
    const file = path.join(root, url.pathname);
    if (!url.pathname.startsWith('/dist/') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.css')
      ? 'text/css'
      : file.endsWith('.js')
        ? 'text/javascript'
        : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The fixture server and Chromium for one describe block: started before its tests, closed after them. */
export interface Chromium {
  server: Server;
  browser: Browser;
}

export function useChromium(): Chromium {
  const env = {} as Chromium;
  before(async () => {
    mkdirSync(artifacts, { recursive: true });
    env.server = await startServer();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

let helperBundle: string | undefined;

async function pageHelpers(): Promise<string> {
  if (!helperBundle) {
    const out = await build({
      entryPoints: [path.join(__dirname, 'page-helpers.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      logLevel: 'silent',
    });
    helperBundle = out.outputFiles[0].text;
  }
  return helperBundle;
}

export interface PanelPage {
  page: Page;
  /** Every request the page made. */
  requests: string[];
  /** Messages the panel posted to the (stubbed) extension. */
  posted(): Promise<{ type: string; [k: string]: unknown }[]>;
  violations(): Promise<string[]>;
  errors: string[];
}

/** The stub VS Code gives a webview: postMessage/getState/setState, recorded on window for the test to read. */
function stubScript(state: unknown): string {
  return `(() => {
    window.__posted = [];
    window.__violations = [];
    let state = ${JSON.stringify(state ?? null)} ?? undefined;
    window.__getSavedState = () => state;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s) => { state = s; },
    });
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
  })();`;
}

export async function openPanel(
  browser: Browser,
  server: Server,
  theme: Theme,
  options: { state?: unknown; width?: number } = {},
): Promise<PanelPage> {
  const page = await browser.newPage({
    viewport: { width: options.width ?? 1200, height: 900 },
    colorScheme: theme === 'dark' || theme === 'high-contrast' ? 'dark' : 'light',
    forcedColors: 'none',
  });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on(
    'console',
    (m) => m.type() === 'error' && !m.location().url.endsWith('/favicon.ico') && errors.push(m.text()),
  );
  await page.addInitScript(stubScript(options.state));
  await page.addInitScript(await pageHelpers());
  await page.goto(`${server.origin}/panel.html?theme=${theme}`);
  await page.waitForFunction(() => (window as any).__posted.some((m: any) => m.type === 'ready'));
  return {
    page,
    requests,
    errors,
    posted: () => page.evaluate(() => (window as any).__posted),
    violations: () => page.evaluate(() => (window as any).__violations),
  };
}

/** Switch theme the way VS Code does: body class and the variables on <html> (those the new theme lacks removed). */
export async function setTheme(page: Page, theme: Theme): Promise<void> {
  const all = [...new Set(themes.flatMap((t) => Object.keys(themeVars[t])))];
  await page.evaluate(
    ([t, vars, names, kinds]) => {
      // A variable the new theme does not define must not keep the old value (from the style or theme.css):
      // `initial` makes it the guaranteed-invalid value, so var() falls back as if VS Code had not set it.
      for (const k of names)
        document.documentElement.style.setProperty(k, k in vars ? (vars as Record<string, string>)[k] : 'initial');
      document.body.classList.remove(...kinds.map((c) => `vscode-${c}`));
      document.body.classList.add(`vscode-${t}`);
      document.body.dataset.vscodeThemeKind = `vscode-${t}`;
    },
    [theme, themeVars[theme], all, themes] as const,
  );
  await nextFrames(page);
}

/** Post a message to the panel as the extension would. `resultJson` is converted to the in-memory form in the page. */
export async function sendResult(page: Page, resultJson: unknown, generation = 1): Promise<void> {
  await page.evaluate(
    ([json, gen]) => {
      const result = (window as any).unrollTest.resultFromJson(json);
      window.postMessage({ type: 'result', generation: gen, result }, '*');
    },
    [resultJson, generation] as const,
  );
  await page.waitForFunction(
    (gen) => (window as any).__posted.some((m: any) => m.type === 'rendered' && m.generation === gen),
    generation,
  );
  await nextFrames(page);
}

export async function nextFrames(page: Page, n = 2): Promise<void> {
  for (let i = 0; i < n; i++) await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
}

export async function showView(page: Page, view: string): Promise<void> {
  await page.click(`vscode-tab-header[data-tab="${view}"]`);
  await page.waitForFunction((v) => {
    const root = document.querySelector(`section.view[data-view="${v}"]`) as HTMLElement | null;
    return !!root && root.offsetWidth > 0;
  }, view);
  await nextFrames(page, 3);
}

/** Pixels of a view's canvas: how many differ from the background, and how many distinct colors. */
export async function canvasStats(page: Page, view: string, region?: { x: number; y: number; w: number; h: number }) {
  return page.evaluate(
    ([v, reg]) => {
      const canvas = document.querySelector(`section.view[data-view="${v}"] canvas.view-canvas`) as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      const r = reg ?? { x: 0, y: 0, w: canvas.clientWidth, h: canvas.clientHeight };
      const img = canvas
        .getContext('2d')!
        .getImageData(Math.round(r.x * dpr), Math.round(r.y * dpr), Math.round(r.w * dpr), Math.round(r.h * dpr)).data;
      const bg = [img[0], img[1], img[2]];
      const colors = new Set<number>();
      let differing = 0;
      for (let i = 0; i < img.length; i += 4) {
        colors.add((img[i] << 16) | (img[i + 1] << 8) | img[i + 2]);
        if (Math.abs(img[i] - bg[0]) + Math.abs(img[i + 1] - bg[1]) + Math.abs(img[i + 2] - bg[2]) > 24) differing++;
      }
      return { differingFraction: differing / (img.length / 4), colors: colors.size, corner: bg };
    },
    [view, region ?? null] as const,
  );
}

export async function pixelAt(page: Page, view: string, x: number, y: number): Promise<[number, number, number]> {
  return page.evaluate(
    ([v, px, py]) => {
      const canvas = document.querySelector(`section.view[data-view="${v}"] canvas.view-canvas`) as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      const d = canvas.getContext('2d')!.getImageData(Math.round(px * dpr), Math.round(py * dpr), 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    [view, x, y] as const,
  );
}
