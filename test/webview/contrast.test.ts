/// <reference lib="dom" />
// The panel in VS Code's two high-contrast themes (dark: body.vscode-high-contrast, light:
// body.vscode-high-contrast-light): chart text in the theme's foreground, grids and borders in contrastBorder,
// the selected step outlined in the focus color (never a fill that text sits on), and a visible focus ring when the
// view tabs and canvases are reached with the keyboard. Screenshots of the focus rings go to test/webview/artifacts.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { fixture } from './fixtures';
import type { PanelPage, Theme } from './harness';
import { artifacts, nextFrames, openPanel, sendResult, setTheme, showView, themeVars, useChromium } from './harness';

type Rgb = [number, number, number];

function rgb(hex: string): Rgb {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function cssRgb(hex: string): string {
  return `rgb(${rgb(hex).join(', ')})`;
}

/** How many pixels of a view canvas's row y (CSS px), from x0 to x1, have exactly this color. */
async function rowCount(page: Page, view: string, y: number, color: Rgb, x0 = 0, x1?: number): Promise<number> {
  return page.evaluate(
    ([v, py, c, a, b]) => {
      const canvas = document.querySelector(`section.view[data-view="${v}"] canvas.view-canvas`) as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      const from = Math.round(a * dpr),
        to = Math.round((b ?? canvas.clientWidth) * dpr);
      const d = canvas.getContext('2d')!.getImageData(from, Math.round(py * dpr), Math.max(1, to - from), 1).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) n++;
      return n;
    },
    [view, y, color, x0, x1 ?? null] as const,
  );
}

/** Pixels of a whole view canvas with exactly this color. */
async function canvasCount(page: Page, view: string, color: Rgb): Promise<number> {
  return page.evaluate(
    ([v, c]) => {
      const canvas = document.querySelector(`section.view[data-view="${v}"] canvas.view-canvas`) as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === c[0] && d[i + 1] === c[1] && d[i + 2] === c[2]) n++;
      return n;
    },
    [view, color] as const,
  );
}

/** Screenshot a region of the page (what a person sees, outlines included) and count pixels of this color. */
async function screenCount(
  page: Page,
  clip: { x: number; y: number; width: number; height: number },
  color: Rgb,
  file?: string,
): Promise<number> {
  const png = await page.screenshot({ clip, path: file });
  return page.evaluate(
    async ([b64, c]) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, img.width, img.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) <= 6) n++;
      return n;
    },
    [png.toString('base64'), color] as const,
  );
}

/** Press Tab until `selector` has the focus (as a keyboard user reaches it); fails after `max` presses. */
async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${selector}`);
}

async function outline(page: Page): Promise<{ style: string; color: string; width: string; focusVisible: boolean }> {
  return page.evaluate(() => {
    const e = document.activeElement as HTMLElement;
    const s = getComputedStyle(e);
    return {
      style: s.outlineStyle,
      color: s.outlineColor,
      width: s.outlineWidth,
      focusVisible: e.matches(':focus-visible'),
    };
  });
}

const highContrast: Theme[] = ['high-contrast', 'high-contrast-light'];

describe('the panel in high-contrast themes', function () {
  const env = useChromium();
  let panel: PanelPage;
  afterEach(async () => {
    assert.deepEqual(panel.errors, [], 'no page errors');
    await panel.page.close();
  });

  for (const theme of highContrast) {
    const vars = themeVars[theme];
    const bg = rgb(vars['--vscode-editor-background']);
    const fg = vars['--vscode-editor-foreground'];
    const contrast = vars['--vscode-contrastBorder'];
    const focus = vars['--vscode-contrastActiveBorder'];

    it(`${theme}: chart text in the foreground, grid and axes in contrastBorder, grid dotted`, async () => {
      panel = await openPanel(env.browser, env.server, theme);
      const { page } = panel;
      await sendResult(page, fixture('rnn'));
      for (const view of ['decay', 'whh']) {
        await showView(page, view);
        const colors = JSON.parse(
          (await page.locator(`section.view[data-view="${view}"]`).getAttribute('data-axis-colors'))!,
        );
        // The ∂L/∂W_hh bars have no vertical grid (null): its y axis has the grid.
        const expected = (grid: boolean) => ({
          ticks: fg,
          title: fg,
          grid: grid ? contrast : null,
          border: contrast,
          gridDash: [2, 3],
        });
        assert.deepEqual(colors, { x: expected(view === 'decay'), y: expected(true) }, `${view} axis colors`);
        assert.ok((await canvasCount(page, view, rgb(contrast))) > 200, `${view}: grid lines drawn in contrastBorder`);
        assert.ok((await canvasCount(page, view, rgb(fg))) > 200, `${view}: text drawn in the foreground`);
      }
      // The painter views (network, heatmap, flow, compare) draw canvas and SVG through the same code: their SVG
      // shows which colors the axes, frames and labels used.
      for (const view of ['unrolled', 'heatmap', 'flow']) {
        await showView(page, view);
        await page.locator('.exports vscode-button', { hasText: 'SVG' }).click();
        const svg = (await panel.posted()).filter((m) => m.type === 'export' && m.view === view).pop()!.data as string;
        assert.match(svg, new RegExp(`stroke="${contrast}"`), `${view}: frames and axes in contrastBorder`);
        const textFills = new Set([...svg.matchAll(/<text [^>]*fill="([^"]+)"/g)].map((m) => m[1]));
        assert.ok(textFills.has(fg), `${view}: text in the foreground`);
        assert.ok(
          !textFills.has(vars['--vscode-descriptionForeground']),
          `${view}: no text in the translucent description color (${[...textFills]})`,
        );
      }
    });

    it(`${theme}: the selected step is outlined in the focus color, never filled behind text`, async () => {
      panel = await openPanel(env.browser, env.server, theme);
      const { page } = panel;
      const json = fixture('rnn');
      await sendResult(page, json);
      await showView(page, 'unrolled');
      // Unrolled network (webview/views/unrolled.ts: the selection box spans y = 30 … 252): a 2 px focus-colored
      // frame at its top, no contrast-colored fill under the ℓ_t labels.
      const top = await rowCount(page, 'unrolled', 31, rgb(focus));
      assert.ok(top >= 30, `${top} focus-colored pixels along the top of the selected column`);
      assert.equal(
        await rowCount(page, 'unrolled', 249, rgb(contrast)),
        0,
        'no contrastBorder fill behind the selected column',
      );
      assert.ok((await rowCount(page, 'unrolled', 249, rgb(focus))) >= 2, 'the frame’s sides cross the row under ℓ_t');

      // Heatmap: the selected (last) column's outline is the focus color with a ring of background outside it.
      await showView(page, 'heatmap');
      const T = json.dLdh.length;
      const width = await page
        .locator('section.view[data-view="heatmap"] canvas.view-canvas')
        .evaluate((c) => c.clientWidth);
      const sx = 58 + ((T - 1) / T) * (width - 58 - 104);
      const y = 30 + 100;
      assert.ok(
        (await rowCount(page, 'heatmap', y, rgb(focus), sx - 3, sx + 1)) >= 1,
        'focus-colored outline left of the selected column',
      );
      assert.ok(
        (await rowCount(page, 'heatmap', y, bg, sx - 5, sx - 2)) >= 1,
        'a background ring separates it from the neighbouring cells',
      );

      // Flow matrix: the selected row is outlined the same way.
      await showView(page, 'flow');
      assert.ok((await canvasCount(page, 'flow', rgb(focus))) > 300, 'flow: selected row outlined in the focus color');
    });

    it(`${theme}: keyboard focus is visible on the view tabs and the canvases`, async () => {
      panel = await openPanel(env.browser, env.server, theme);
      const { page } = panel;
      await sendResult(page, fixture('lstm'));
      await showView(page, 'heatmap');
      // Start from the top of the page, as a keyboard user does.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await tabTo(page, 'vscode-tab-header[data-tab="heatmap"]');
      let o = await outline(page);
      assert.ok(o.focusVisible, 'the tab matches :focus-visible');
      assert.deepEqual([o.style, o.color, o.width], ['solid', cssRgb(focus), '2px'], 'the tab’s focus ring');
      const tab = (await page.locator('vscode-tab-header[data-tab="heatmap"]').boundingBox())!;
      const tabRing = await screenCount(
        page,
        { x: tab.x - 4, y: tab.y - 4, width: tab.width + 8, height: tab.height + 8 },
        rgb(focus),
        path.join(artifacts, `focus-tab-${theme}.png`),
      );
      assert.ok(tabRing > 2 * (tab.width + tab.height), `${tabRing} focus-colored pixels around the focused tab`);
      // Arrow keys move between tabs and keep the ring.
      await page.keyboard.press('ArrowLeft');
      await nextFrames(page);
      assert.ok(
        await page.evaluate(() =>
          document.activeElement?.matches('vscode-tab-header[data-tab="unrolled"]:focus-visible'),
        ),
      );

      for (const view of ['unrolled', 'heatmap']) {
        await showView(page, view);
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        const canvas = `section.view[data-view="${view}"] canvas.view-canvas`;
        await tabTo(page, canvas);
        o = await outline(page);
        assert.ok(o.focusVisible, `${view} canvas matches :focus-visible`);
        assert.deepEqual([o.style, o.color, o.width], ['solid', cssRgb(focus), '2px'], `${view} canvas focus ring`);
        const box = (await page.locator(canvas).boundingBox())!;
        // The ring is drawn 2 px wide just inside the canvas's edge (outside, the tab panel would clip it).
        const ring = await screenCount(
          page,
          { x: box.x, y: box.y, width: 4, height: box.height },
          rgb(focus),
          path.join(artifacts, `focus-${view}-${theme}.png`).replace('.png', '-edge.png'),
        );
        assert.ok(
          ring >= 2 * box.height - 8,
          `${view}: ${ring} focus-colored pixels along the canvas's left edge (of ${box.height} rows)`,
        );
        await page.screenshot({
          path: path.join(artifacts, `focus-${view}-${theme}.png`),
          clip: {
            x: Math.max(0, box.x - 8),
            y: Math.max(0, box.y - 8),
            width: box.width + 16,
            height: Math.min(box.height + 16, 600),
          },
        });
      }
    });
  }

  it('switching from high contrast back to dark drops the contrast colors', async () => {
    panel = await openPanel(env.browser, env.server, 'high-contrast');
    const { page } = panel;
    await sendResult(page, fixture('rnn'));
    await showView(page, 'decay');
    await setTheme(page, 'dark');
    await nextFrames(page, 3);
    const colors = JSON.parse(
      (await page.locator('section.view[data-view="decay"]').getAttribute('data-axis-colors'))!,
    );
    assert.equal(colors.y.grid, themeVars.dark['--vscode-editorWidget-border']);
    assert.equal(colors.y.ticks, themeVars.dark['--vscode-descriptionForeground']);
    assert.equal(colors.y.border, themeVars.dark['--vscode-panel-border']);
    assert.deepEqual(colors.y.gridDash ?? [], []);
    await setTheme(page, 'high-contrast-light');
    await nextFrames(page, 3);
    const hc = JSON.parse((await page.locator('section.view[data-view="decay"]').getAttribute('data-axis-colors'))!);
    assert.equal(hc.y.grid, themeVars['high-contrast-light']['--vscode-contrastBorder']);
  });
});
