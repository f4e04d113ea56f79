/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// What a person does in the workbench, as playwright calls: the explorer and its context menu, the command palette,
// quick picks, the editor, notifications, the Problems panel; and reading Unroll's panel, which is a webview
// (an iframe in an iframe) whose DOM and canvases playwright reaches through its Frame.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';

export const artifactsDir = join(__dirname, 'artifacts');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Polls `check` until it returns something other than undefined/false/null; throws after `timeoutMs`.
 * The workbench is slow and uneven here: every wait is a generous deadline, never a fixed sleep.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}${lastError ? ` (last error: ${message(lastError).split('\n')[0]})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

let shotCounter = 0;
/** A screenshot of the whole workbench (or any page) in test/e2e/artifacts/, numbered in the order taken. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = join(artifactsDir, `${String(++shotCounter).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// ---- the workbench ----

/** Presses keys in the workbench (not in the webview or an input that happens to hold focus). */
export async function press(page: Page, keys: string): Promise<void> {
  await page.keyboard.press(keys);
}

function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

export function quickInputBox(page: Page): Locator {
  return page.locator('.quick-input-widget .quick-input-box input');
}

/**
 * F1, type the command's name, click its row in the list. The workbench sometimes takes focus back from a just-opened
 * palette (e.g. to a webview that had it), which closes the palette under the typing: then open it again, up to 3 times.
 */
export async function runCommand(page: Page, label: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await closeQuickInput(page);
      await press(page, 'F1');
      const box = quickInputBox(page);
      await box.waitFor({ state: 'visible', timeout: 15_000 });
      // F1 opens the palette with ">" in the box: keep it, so the list shows commands.
      await box.fill(`>${label}`, { timeout: 5_000 });
      const row = quickInputRow(page, label);
      await until(`"${label}" in the command palette`, async () => (await row.count()) > 0, 10_000);
      await row.first().click({ timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      console.log(
        `    the command palette closed before "${label}" could be chosen (attempt ${attempt}); opening it again`,
      );
    }
  }
}

/** A row of the open quick pick whose label starts with `label`. */
export function quickInputRow(page: Page, label: string): Locator {
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({
    has: page.locator('.label-name, .monaco-icon-label-container', { hasText: label }),
  });
}

export async function closeQuickInput(page: Page): Promise<void> {
  if (
    await quickInput(page)
      .isVisible()
      .catch(() => false)
  ) {
    await press(page, 'Escape');
    await until('the quick input to close', async () => !(await quickInput(page).isVisible()), 5_000);
  }
}

/** The explorer's row for a file in the workspace root. */
export function explorerRow(page: Page, fileName: string): Locator {
  return page.locator('.explorer-folders-view .monaco-list-row').filter({
    has: page.locator('.label-name', { hasText: new RegExp(`^${fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
  });
}

/** Brings the explorer forward (the activity bar's Explorer icon) and waits for `fileName` to be listed. */
export async function showInExplorer(page: Page, fileName: string): Promise<Locator> {
  const row = explorerRow(page, fileName);
  if (!(await row.isVisible().catch(() => false))) {
    const explorerIcon = page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first();
    if (await explorerIcon.isVisible().catch(() => false)) {
      const expanded = await page
        .locator('.explorer-folders-view')
        .isVisible()
        .catch(() => false);
      if (!expanded) await explorerIcon.click();
    }
  }
  await until(`${fileName} in the explorer`, () => row.isVisible(), 60_000);
  return row;
}

/** The visible context menu's item whose label contains `label` (menus live in a shadow root; locators pierce it). */
export function menuItem(page: Page, label: string): Locator {
  return page.locator('.context-view .monaco-menu .action-item').filter({ hasText: label });
}

/**
 * Right-click `row`, then click the menu item `label`. The extension host contributes its menu items a while after
 * the workbench appears, so the menu is reopened until the item is there.
 */
export async function contextMenuCommand(page: Page, row: Locator, label: string, timeoutMs = 90_000): Promise<void> {
  const item = menuItem(page, label);
  await until(
    `"${label}" in the context menu`,
    async () => {
      await row.click({ button: 'right' });
      const shown = await item
        .first()
        .waitFor({ state: 'visible', timeout: 3_000 })
        .then(
          () => true,
          () => false,
        );
      if (!shown) await press(page, 'Escape');
      return shown;
    },
    timeoutMs,
    1_000,
  );
  // Now and then the workbench's menu takes a click that comes right after it opened as part of the right-click
  // and stays open: a person clicks again, or presses Enter on the highlighted item.
  const menu = page.locator('.context-view .monaco-menu');
  for (let attempt = 0; attempt < 3; attempt++) {
    await item.first().hover();
    await item.first().click();
    const closed = await until(
      'the context menu to close',
      async () => !(await menu.isVisible().catch(() => false)),
      3_000,
      50,
    ).then(
      () => true,
      () => false,
    );
    if (closed) return;
  }
  await press(page, 'Enter');
  await until(
    'the context menu to close after Enter',
    async () => !(await menu.isVisible().catch(() => false)),
    5_000,
    50,
  );
}

/** Opens a workspace file as a person does: click it in the explorer (double-click keeps the tab). */
export async function openFromExplorer(page: Page, fileName: string): Promise<void> {
  const row = await showInExplorer(page, fileName);
  await row.dblclick();
  await until(`${fileName} open in an editor`, () => activeEditorTab(page, fileName).isVisible(), 30_000);
}

export function activeEditorTab(page: Page, fileName: string): Locator {
  return page.locator(`.tabs-container .tab.active[aria-label*="${fileName}"]`).first();
}

/** The editor group whose visible tab is `fileName`. */
export function editorGroupShowing(page: Page, fileName: string): Locator {
  return page
    .locator('.editor-group-container')
    .filter({ has: page.locator(`.tabs-container .tab.active[aria-label*="${fileName}"]`) });
}

/** A line (a div of token spans) containing `text` in the editor showing `fileName`. */
export function editorLine(page: Page, fileName: string, text: string): Locator {
  return editorGroupShowing(page, fileName).locator('.monaco-editor .view-lines .view-line').filter({ hasText: text });
}

/** Double-click the token whose text is exactly `token` on the line containing `lineText` (selects the word). */
export async function selectWordOnLine(page: Page, fileName: string, lineText: string, token: string): Promise<void> {
  const line = editorLine(page, fileName, lineText);
  await until(`a line with ${lineText} in the editor of ${fileName}`, () => line.first().isVisible(), 15_000);
  const exact = new RegExp(`^${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const span = line.first().locator('span span').filter({ hasText: exact });
  await until(`the token ${token} on that line`, async () => (await span.count()) > 0, 15_000);
  await span.first().dblclick();
}

/** The Unroll panel's tab in the editor area. */
export function panelTab(page: Page): Locator {
  return page
    .locator('.tabs-container .tab')
    .filter({ hasText: /^\s*Unroll/ })
    .first();
}

export function notificationToast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });
}

export async function toastText(toast: Locator): Promise<string> {
  return (
    (await toast
      .first()
      .innerText()
      .catch(() => '')) ?? ''
  ).replace(/\s+/g, ' ');
}

/** Rows of the Problems panel, as text. */
export async function problemRows(page: Page): Promise<string[]> {
  return page
    .locator('.markers-panel .monaco-list-row')
    .allInnerTexts()
    .then((rows) => rows.map((r) => r.replace(/\s+/g, ' ').trim()));
}

/** The status bar's errors/warnings item, which opens the Problems panel. */
export function problemsStatus(page: Page): Locator {
  return page.locator('.statusbar-item[id="status.problems"]').first();
}

// ---- Unroll's panel (a webview) ----

/** The frame that holds Unroll's panel: the one with its headline and tabs. */
export async function findUnrollFrame(page: Page): Promise<Frame | undefined> {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame() || frame.isDetached()) continue;
    const ok = await frame
      .evaluate(() => !!document.querySelector('body > header h1.headline') && !!document.querySelector('vscode-tabs'))
      .catch(() => false);
    if (ok) return frame;
  }
  return undefined;
}

export async function unrollFrame(page: Page, timeoutMs = 60_000): Promise<Frame> {
  return until("Unroll's panel (its webview frame)", () => findUnrollFrame(page), timeoutMs, 200);
}

export interface PanelState {
  headline: string;
  facts: Record<string, string>;
  stale: boolean;
  staleText: string;
  busy: string;
  /** data-tab of the selected tab. */
  view: string;
  views: string[];
  /** data-step of the visible view. */
  step: string;
}

export async function panelState(frame: Frame): Promise<PanelState> {
  return frame.evaluate(() => {
    const facts: Record<string, string> = {};
    document.querySelectorAll('dl.facts .fact').forEach((f) => {
      facts[f.querySelector('dt')?.textContent ?? ''] = f.querySelector('dd')?.textContent ?? '';
    });
    const tabs = document.querySelector('vscode-tabs') as (HTMLElement & { selectedIndex: number }) | null;
    const headers = [...document.querySelectorAll('vscode-tab-header')] as HTMLElement[];
    const views = [...document.querySelectorAll('section.view')] as HTMLElement[];
    const visible = views.find((v) => v.offsetWidth > 0);
    const stale = document.querySelector('.banner.stale') as HTMLElement | null;
    const busy = document.querySelector('.banner.busy') as HTMLElement | null;
    return {
      headline: document.querySelector('h1.headline')?.textContent ?? '',
      facts,
      stale: document.body.classList.contains('is-stale') && !!stale && !stale.hidden,
      staleText: stale && !stale.hidden ? (stale.textContent ?? '') : '',
      busy: busy && !busy.hidden ? (busy.textContent ?? '') : '',
      view: headers[tabs?.selectedIndex ?? -1]?.dataset.tab ?? '',
      views: views.map((v) => v.dataset.view ?? ''),
      step: visible?.dataset.step ?? '',
    };
  });
}

/** Click the panel's tab for `view` and wait until its canvas is laid out and drawn. */
export async function showPanelView(frame: Frame, view: string): Promise<void> {
  await frame.click(`vscode-tab-header[data-tab="${view}"]`);
  await until(
    `the ${view} view to be shown`,
    () =>
      frame.evaluate((v) => {
        const root = document.querySelector(`section.view[data-view="${v}"]`) as HTMLElement | null;
        const canvas = root?.querySelector('canvas') as HTMLCanvasElement | null;
        return !!root && root.offsetWidth > 0 && !!canvas && canvas.width > 0 && !canvas.hidden;
      }, view),
    15_000,
  );
  await frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
}

export interface CanvasStats {
  width: number;
  height: number;
  /** Share of pixels that differ clearly from the top-left pixel (the background). */
  differing: number;
  /** Distinct colors. */
  colors: number;
}

/**
 * Pixels of a view's canvas inside `region` (CSS pixels; negative width/height count from the right/bottom edge).
 * Works in the panel's frame and in the standalone report alike.
 */
export async function canvasStats(
  frame: Frame,
  view: string,
  region?: { x: number; y: number; w: number; h: number },
): Promise<CanvasStats> {
  return frame.evaluate(
    ([v, reg]) => {
      const canvas = document.querySelector(`section.view[data-view="${v}"] canvas`) as HTMLCanvasElement | null;
      if (!canvas || canvas.width === 0 || canvas.clientWidth === 0)
        return { width: 0, height: 0, differing: 0, colors: 0 };
      const dpr = canvas.width / canvas.clientWidth;
      const cw = canvas.clientWidth;
      const ch = canvas.clientHeight;
      const r = reg ?? { x: 0, y: 0, w: cw, h: ch };
      const w = r.w > 0 ? r.w : cw - r.x + r.w;
      const h = r.h > 0 ? r.h : ch - r.y + r.h;
      const ctx = canvas.getContext('2d')!;
      const bgPixel = ctx.getImageData(0, 0, 1, 1).data;
      const img = ctx.getImageData(
        Math.round(r.x * dpr),
        Math.round(r.y * dpr),
        Math.max(1, Math.round(w * dpr)),
        Math.max(1, Math.round(h * dpr)),
      ).data;
      const colors = new Set<number>();
      let differing = 0;
      for (let i = 0; i < img.length; i += 4) {
        colors.add((img[i] << 16) | (img[i + 1] << 8) | img[i + 2]);
        if (Math.abs(img[i] - bgPixel[0]) + Math.abs(img[i + 1] - bgPixel[1]) + Math.abs(img[i + 2] - bgPixel[2]) > 24)
          differing++;
      }
      return { width: cw, height: ch, differing: differing / (img.length / 4), colors: colors.size };
    },
    [view, region ?? null] as const,
  );
}

/**
 * Colormap pixels in a view: over each of its canvases, the share of pixels with a strong hue (max − min channel
 * > 60; text, axes and backgrounds are grey) and how many such colors there are. A drawn heatmap (viridis, magma,
 * cividis) has hundreds; an empty or blank one none. Independent of the view's layout.
 */
export async function colormapPixels(
  frame: Frame,
  view: string,
): Promise<{ share: number; colors: number; canvases: number }> {
  return frame.evaluate((v) => {
    const canvases = [...document.querySelectorAll(`section.view[data-view="${v}"] canvas`)] as HTMLCanvasElement[];
    let best = { share: 0, colors: 0, canvases: canvases.length };
    for (const canvas of canvases) {
      if (canvas.width === 0 || canvas.height === 0 || canvas.clientWidth === 0) continue;
      const img = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const colors = new Set<number>();
      let chromatic = 0;
      for (let i = 0; i < img.length; i += 4) {
        const r = img[i],
          g = img[i + 1],
          b = img[i + 2];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) {
          chromatic++;
          colors.add((r << 16) | (g << 8) | b);
        }
      }
      const share = chromatic / (img.length / 4);
      if (colors.size > best.colors) best = { share, colors: colors.size, canvases: canvases.length };
    }
    return best;
  }, view);
}

/** Whether a view shows a drawn heatmap (see colormapPixels). */
export function isHeatmap(p: { share: number; colors: number }): boolean {
  return p.share > 0.1 && p.colors >= 50;
}

/** A fingerprint of what a view's canvases show (their PNG data URLs, hashed). */
export async function canvasFingerprint(frame: Frame, view: string): Promise<string> {
  return frame.evaluate((v) => {
    const canvases = [...document.querySelectorAll(`section.view[data-view="${v}"] canvas`)] as HTMLCanvasElement[];
    const drawn = canvases.filter((c) => c.width > 0 && c.height > 0);
    if (drawn.length === 0) return 'empty';
    let hash = 0;
    let length = 0;
    for (const canvas of drawn) {
      const url = canvas.toDataURL();
      length += url.length;
      for (let i = 0; i < url.length; i++) hash = (Math.imul(hash, 31) + url.charCodeAt(i)) | 0;
    }
    return `${drawn.length} canvases:${length}:${(hash >>> 0).toString(16)}`;
  }, view);
}

/** The text alternative of a view (what a screen reader reads; it is rewritten on every draw). */
export async function viewDescription(frame: Frame, view: string): Promise<string> {
  return frame.evaluate(
    (v) => document.querySelector(`section.view[data-view="${v}"] details.text-alt p`)?.textContent ?? '',
    view,
  );
}

/** What the panel must show for `recordWhen` to fire; every given field must hold. */
export interface PanelCondition {
  /** The "cell" fact starts with this (e.g. "LSTM"). */
  cell?: string;
  /** The stale banner is shown (true) or hidden (false). */
  stale?: boolean;
  /** The headline differs from this text. */
  headlineNot?: string;
}

/**
 * Starts recording, inside the panel, the wall-clock time (Date.now(), the same clock as this process) of the first
 * animation frame after the panel's DOM satisfies `condition`. Read it back with `recordedAt`. (The panel's CSP
 * forbids eval, so conditions are data, not code.)
 */
export async function recordWhen(frame: Frame, key: string, condition: PanelCondition): Promise<void> {
  // tsx compiles named inner functions to __name(...) calls; give the page that helper (a string is not compiled).
  await frame.evaluate('globalThis.__name ??= (f) => f');
  await frame.evaluate(
    ([k, c]) => {
      const w = window as unknown as { __e2e?: Record<string, number> };
      w.__e2e ??= {};
      delete w.__e2e[k];
      const holds = () => {
        if (c.cell !== undefined) {
          const fact = [...document.querySelectorAll('dl.facts .fact')].find(
            (f) => f.querySelector('dt')?.textContent === 'cell',
          );
          if (!fact?.querySelector('dd')?.textContent?.startsWith(c.cell)) return false;
        }
        if (c.stale !== undefined) {
          const banner = document.querySelector('.banner.stale') as HTMLElement | null;
          const shown = document.body.classList.contains('is-stale') && !!banner && !banner.hidden;
          if (shown !== c.stale) return false;
        }
        if (c.headlineNot !== undefined && (document.querySelector('h1.headline')?.textContent ?? '') === c.headlineNot)
          return false;
        return true;
      };
      let pending = false;
      const check = () => {
        if (pending || w.__e2e![k] !== undefined || !holds()) return;
        pending = true;
        requestAnimationFrame(() => {
          w.__e2e![k] = Date.now();
          observer.disconnect();
        });
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      check();
    },
    [key, condition] as const,
  );
}

export async function recordedAt(frame: Frame, key: string, what: string, timeoutMs = 60_000): Promise<number> {
  return until(
    what,
    () => frame.evaluate((k) => (window as unknown as { __e2e?: Record<string, number> }).__e2e?.[k], key),
    timeoutMs,
    50,
  );
}
