/// <reference lib="dom" />
// A replayed PyTorch trace in the panel (issue 13 §2): the Timeline tab (only for a Result with `trace`), every
// snapshot drawn (hollow when not analyzed), the slider, the keyboard and a click posting SelectSnapshot with the
// snapshot's training step, and the replay line under the headline, flagged in words and color for a mismatch and an
// approximate replay, readable in every theme.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReportHtml } from '../../src/report/html';
import { resultFromJson } from '../../src/protocol/json';
import type { Page } from 'playwright-core';
import { fixture, traceFixture } from './fixtures';
import type { PanelPage, Theme } from './harness';
import { artifacts, nextFrames, openPanel, root, sendResult, showView, themes, useChromium } from './harness';

type Rgb = [number, number, number];

function parse(css: string): Rgb {
  const m = css.match(/rgba?\((\d+), (\d+), (\d+)/);
  assert.ok(m, `a color: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** WCAG 2 contrast ratio of two colors. */
function contrast(a: Rgb, b: Rgb): number {
  const lum = (c: Rgb) => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

async function tabs(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('vscode-tabs > vscode-tab-header')].map((h) => (h as HTMLElement).dataset.tab ?? ''),
  );
}

async function post(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await nextFrames(page);
}

async function snapshotPosts(panel: PanelPage): Promise<number[]> {
  return (await panel.posted()).filter((m) => m.type === 'selectSnapshot').map((m) => m.step as number);
}

/** The marks' positions the view reports, and for each whether its center and its ring differ from the background. */
async function marks(page: Page): Promise<{ x: number; y: number; center: boolean; ring: boolean }[]> {
  const list = JSON.parse(
    (await page.locator('section.view[data-view="timeline"]').getAttribute('data-marks')) ?? '[]',
  ) as [number, number][];
  // Per mark: its center, then 8 points on a circle of radius 5 (the mark's ring). No named functions in here:
  // the test runner's transpiler would wrap them in a helper the page does not have.
  const probes = list.flatMap(([x, y]) => [
    [x, y],
    ...Array.from({ length: 8 }, (_, k) => [x + 5 * Math.cos((k * Math.PI) / 4), y + 5 * Math.sin((k * Math.PI) / 4)]),
  ]);
  const differs = await page.evaluate((points) => {
    const canvas = document.querySelector('section.view[data-view="timeline"] canvas.view-canvas') as HTMLCanvasElement;
    const dpr = canvas.width / canvas.clientWidth;
    const ctx = canvas.getContext('2d')!;
    const bg = ctx.getImageData(1, 1, 1, 1).data;
    return points.map(([x, y]) => {
      const d = ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
      return Math.abs(d[0] - bg[0]) + Math.abs(d[1] - bg[1]) + Math.abs(d[2] - bg[2]) > 60;
    });
  }, probes);
  return list.map(([x, y], i) => ({
    x,
    y,
    center: differs[9 * i],
    ring: differs.slice(9 * i + 1, 9 * i + 9).some(Boolean),
  }));
}

describe('a PyTorch trace in the panel', function () {
  const env = useChromium();
  let panel: PanelPage;
  const open = async (theme: Theme = 'light') => (panel = await openPanel(env.browser, env.server, theme));
  afterEach(async () => {
    assert.deepEqual(panel.errors, [], 'no page errors');
    assert.deepEqual(await panel.violations(), [], 'no CSP violations');
    await panel.page.close();
  });

  it('shows the Timeline tab only while the Result on screen is a trace replay, and opens it for a new trace', async () => {
    const { page } = await open();
    await sendResult(page, fixture('rnn'), 1);
    assert.ok(!(await tabs(page)).includes('timeline'), 'no timeline for a sequence file');
    const compare = page.locator('vscode-button[data-command="compare"]');
    assert.ok(await compare.isVisible(), 'Compare cells for a sequence file');
    assert.ok(await page.locator('header .replay').isHidden(), 'no replay line for a sequence file');
    await sendResult(page, traceFixture(), 2);
    assert.deepEqual(await tabs(page), [
      'unrolled',
      'heatmap',
      'flow',
      'decay',
      'whh',
      'training',
      'compare',
      'timeline',
    ]);
    assert.ok(await compare.isHidden(), 'no Compare cells for a trace: it replays PyTorch’s own layer');
    // What the panel tells the extension it drew (the VS Code suite reads it): the timeline, and the replay's state.
    const drawn = (await panel.posted()).filter((m) => m.type === 'rendered');
    assert.deepEqual([drawn[0].view, drawn[0].replay], ['unrolled', undefined]);
    assert.deepEqual([drawn[1].view, drawn[1].replay], ['timeline', 'ok']);
    await page.waitForFunction(
      () => (document.querySelector('section.view[data-view="timeline"]') as HTMLElement).offsetWidth > 0,
    );
    await showView(page, 'decay');
    // The next snapshot of the same trace keeps the tab the user chose.
    await sendResult(page, traceFixture({ shown: 600 }), 3);
    assert.ok(await page.locator('section.view[data-view="decay"]').isVisible());
    await sendResult(page, fixture('gru'), 4);
    assert.ok(!(await tabs(page)).includes('timeline'), 'the tab goes with the trace');
  });

  it('draws every snapshot: analyzed ones filled, the others hollow, with their numbers in the text and the export', async () => {
    const { page } = await open();
    const json = traceFixture();
    await sendResult(page, json);
    await showView(page, 'timeline');
    const root = page.locator('section.view[data-view="timeline"]');
    const snaps = json.trace.snapshots as { step: number; horizon: number | null }[];
    const analyzed = snaps.map((s) => s.horizon !== null);
    assert.equal(await root.getAttribute('data-snapshots'), String(snaps.length));
    assert.equal(await root.getAttribute('data-analyzed'), String(analyzed.filter(Boolean).length));
    const m = await marks(page);
    assert.equal(m.length, snaps.length);
    m.forEach((mark, i) => {
      assert.ok(mark.ring, `snapshot ${snaps[i].step} is drawn`);
      assert.equal(
        mark.center,
        analyzed[i],
        `snapshot ${snaps[i].step}: ${analyzed[i] ? 'filled (analyzed)' : 'hollow (not analyzed)'}`,
      );
    });
    // Marks sit in step order along the axis, evenly for evenly spaced steps.
    const gaps = m.slice(1).map((q, i) => q.x - m[i].x);
    assert.ok(
      gaps.every((g) => g > 0 && Math.abs(g - gaps[0]) < 1),
      `even spacing: ${gaps}`,
    );
    const text = await root.locator('details.text-alt p').textContent();
    assert.match(text!, /13 snapshots from step 0 to 1200, 9 analyzed; the other views show step 1200/);
    assert.match(text!, /step 100: not analyzed/);
    assert.match(text!, /step 1200: horizon 30 steps/);
    // The export carries every snapshot's numbers.
    await page.locator('vscode-button', { hasText: 'JSON' }).click();
    const exported = (await panel.posted()).find((p) => p.type === 'export' && p.format === 'json');
    assert.ok(exported);
    const numbers = JSON.parse(exported.data as string);
    assert.equal(numbers.view, 'timeline');
    assert.deepEqual(
      numbers.snapshots.map((s: { step: number }) => s.step),
      snaps.map((s) => s.step),
    );
    await page.locator('vscode-button', { hasText: 'SVG' }).click();
    const svg = (await panel.posted()).find((p) => p.type === 'export' && p.format === 'svg');
    assert.match(svg!.data as string, /^<svg[\s\S]*training step[\s\S]*<\/svg>$/);
    await page.screenshot({ path: path.join(artifacts, 'timeline-light.png') });
  });

  it('the slider, the arrow keys and a click post SelectSnapshot with the snapshot’s training step', async () => {
    const { page } = await open();
    await sendResult(page, traceFixture({ shown: 600 }));
    await showView(page, 'timeline');
    const slider = page.locator('section.view[data-view="timeline"] input.snapshot-slider');
    assert.equal(await slider.inputValue(), '6');
    assert.match((await page.locator('.snapshot-label').textContent())!, /^7 of 13: step 600 · loss \S+ \(shown\)$/);
    await slider.focus();
    await page.keyboard.press('ArrowRight');
    await nextFrames(page);
    assert.deepEqual(await snapshotPosts(panel), [700]);
    assert.match(
      (await page.locator('.snapshot-label').textContent())!,
      /step 700 · loss \S+ · not analyzed \(replaying…\)$/,
    );
    assert.equal(await page.locator('section.view[data-view="timeline"]').getAttribute('data-pending'), '700');
    await page.keyboard.press('Home');
    await nextFrames(page);
    assert.deepEqual(await snapshotPosts(panel), [700, 0]);
    // A replay that fails (the panel gets the problems instead of a Result) leaves nothing pending.
    await post(page, {
      type: 'stale',
      problems: [
        {
          file: 'runs/exp1.unroll-trace/step-0.safetensors',
          line: 1,
          column: 1,
          message: 'truncated',
          severity: 'error',
        },
      ],
    });
    assert.equal(await page.locator('section.view[data-view="timeline"]').getAttribute('data-pending'), '');
    assert.equal(await slider.inputValue(), '6', 'the slider back on the snapshot on screen');
    await page.keyboard.press('Home');
    await nextFrames(page);
    assert.deepEqual(await snapshotPosts(panel), [700, 0, 0]);
    // The extension answers with the replay of step 0: nothing pending, the slider on it.
    await sendResult(page, traceFixture({ shown: 0 }), 2);
    assert.equal(await page.locator('section.view[data-view="timeline"]').getAttribute('data-pending'), '');
    assert.equal(await slider.inputValue(), '0');
    // Keys on the chart itself, and a click on a snapshot's mark.
    await page.locator('section.view[data-view="timeline"] canvas.view-canvas').focus();
    await page.keyboard.press('End');
    await nextFrames(page);
    assert.deepEqual(await snapshotPosts(panel), [700, 0, 0, 1200]);
    const m = await marks(page);
    const box = (await page.locator('section.view[data-view="timeline"] canvas.view-canvas').boundingBox())!;
    await page.mouse.click(box.x + m[4].x, box.y + m[4].y);
    await nextFrames(page);
    assert.deepEqual(await snapshotPosts(panel), [700, 0, 0, 1200, 400]);
    // Picking the snapshot on screen asks for nothing.
    await sendResult(page, traceFixture({ shown: 400 }), 3);
    await page.mouse.click(box.x + m[4].x, box.y + m[4].y);
    await nextFrames(page);
    assert.deepEqual(await snapshotPosts(panel), [700, 0, 0, 1200, 400]);
  });

  it('says how closely the replay reproduced PyTorch, and flags a mismatch and an approximate replay in words', async () => {
    const { page } = await open();
    const line = page.locator('header .replay');
    await sendResult(page, traceFixture(), 1);
    assert.equal(await line.getAttribute('data-state'), 'ok');
    assert.equal(
      await line.locator('.replay-text').textContent(),
      'Replay of PyTorch step 1200 (rank 0 of 2): gradients match PyTorch to 3.1e-07 (float32, bound 1e-05)',
    );
    assert.equal(await line.locator('.replay-flag').count(), 0);

    await sendResult(page, traceFixture({ replay: 'mismatch' }), 2);
    assert.equal(await line.getAttribute('data-state'), 'mismatch');
    assert.equal(await line.getAttribute('role'), 'alert');
    assert.equal(await line.locator('.replay-flag').textContent(), '⚠ Mismatch');
    assert.ok(await line.locator('.replay-flag').isVisible());
    assert.equal(
      await line.locator('.replay-text').textContent(),
      'Replay of PyTorch step 1200 (rank 0 of 2): gradients do NOT match PyTorch: relative error 2.3e-03 in weight_hh_l0 (float32, bound 1e-05)',
    );
    await line.hover();
    const tip = line.locator('.term-tip');
    await tip.waitFor({ state: 'visible' });
    assert.match(
      (await tip.textContent())!,
      /weight_hh_l0 2\.3e-03, weight_ih_l0 7\.7e-04, bias_hh_l0 3\.3e-04, h0 2\.1e-04/,
    );
    assert.match((await tip.textContent())!, /not what PyTorch computed/);

    await sendResult(page, traceFixture({ replay: 'approximate', worldSize: 1 }), 3);
    assert.equal(await line.getAttribute('data-state'), 'approximate');
    assert.equal(await line.locator('.replay-flag').textContent(), '⚠ Approximate');
    assert.match(
      (await line.locator('.replay-text').textContent())!,
      /^Replay of PyTorch step 1200 is approximate \(dropout 0\.2 between layers\): gradients within 4\.1e-02 of PyTorch/,
    );

    // A replay within its bound but marked approximate is still flagged (the bound does not apply).
    const within = traceFixture({ replay: 'approximate' });
    within.replay.maxRelErr = 2e-7;
    await sendResult(page, within, 4);
    assert.equal(await line.getAttribute('data-state'), 'approximate');
  });

  it('a layer control for a trace of several layers or two directions: the one shown selected, a pick posted', async () => {
    const { page } = await open();
    const box = page.locator('.toolbar .trace-layer');
    const select = page.locator('.toolbar .trace-layer vscode-single-select[aria-label="Layer shown"]');
    await sendResult(page, traceFixture(), 1);
    assert.ok(await box.isHidden(), 'one layer, one direction: nothing to pick');
    await sendResult(page, traceFixture({ layers: 3 }), 2);
    assert.ok(await box.isVisible());
    const values = () =>
      select.evaluate((e) => [...e.querySelectorAll('vscode-option')].map((o) => o.getAttribute('value')));
    assert.deepEqual(await values(), ['0:forward', '1:forward', '2:forward']);
    assert.equal(await select.evaluate((e) => (e as HTMLElement & { value: string }).value), '2:forward', 'the last');
    await sendResult(page, traceFixture({ layers: 2, bidirectional: true, layer: 0, reverse: true }), 3);
    assert.deepEqual(await values(), ['0:forward', '0:reverse', '1:forward', '1:reverse']);
    assert.equal(await select.evaluate((e) => (e as HTMLElement & { value: string }).value), '0:reverse');
    await select.evaluate((e) => {
      (e as HTMLElement & { value: string }).value = '1:forward';
      e.dispatchEvent(new Event('change'));
    });
    await nextFrames(page);
    const picks = (await panel.posted()).filter((m) => m.type === 'selectTraceLayer');
    assert.deepEqual(picks, [{ type: 'selectTraceLayer', layer: 1, reverse: false }]);
    // A sequence file has no layer control.
    await sendResult(page, fixture('gru'), 4);
    assert.ok(await box.isHidden());
  });

  it('the strip above the heatmap charts ‖∂L/∂h_t‖ alone for a trace (its per-step loss is unknown)', async () => {
    const { page } = await open();
    const strip = page.locator('section.view[data-view="heatmap"] canvas.strip-canvas');
    await sendResult(page, fixture('lstm'), 1);
    await showView(page, 'heatmap');
    await page.waitForFunction(() => !!(document.querySelector('canvas.strip-canvas') as HTMLElement).dataset.series);
    assert.equal(await strip.getAttribute('data-series'), '‖∂L/∂h_t‖ ℓ_t');
    await sendResult(page, traceFixture(), 2);
    await showView(page, 'heatmap');
    await page.waitForFunction(
      () => (document.querySelector('canvas.strip-canvas') as HTMLElement).dataset.series === '‖∂L/∂h_t‖',
    );
    assert.match((await strip.getAttribute('aria-label'))!, /per-step loss is not known/);
  });

  it('a standalone report of a trace shows its replay line and timeline, and says it holds one snapshot', async () => {
    const file = path.join(artifacts, 'trace-report.html');
    writeFileSync(
      file,
      await renderReportHtml(
        [resultFromJson(traceFixture({ replay: 'mismatch', shown: 600 }))],
        'exp1 step 600',
        path.join(root, 'dist'),
      ),
    );
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
    panel = { page, errors: [], requests: [], posted: async () => [], violations: async () => [] };
    page.on('pageerror', (e) => panel.errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    // A trace opens on its timeline, in a report too.
    await page.waitForSelector('section.view[data-view="timeline"] canvas.view-canvas');
    assert.equal(await page.locator('header .replay').getAttribute('data-state'), 'mismatch');
    assert.match(
      (await page.locator('header .replay-text').textContent())!,
      /^Replay of PyTorch step 600 \(rank 0 of 2\): gradients do NOT match PyTorch/,
    );
    await showView(page, 'timeline');
    const slider = page.locator('input.snapshot-slider');
    assert.ok(await slider.isDisabled(), 'nobody can replay another snapshot in a report');
    assert.equal(await slider.inputValue(), '6');
    assert.equal((await marks(page)).length, 13);
    await page.locator('section.view[data-view="timeline"] canvas.view-canvas').focus();
    await page.keyboard.press('Home');
    await nextFrames(page);
    assert.equal(
      await page.locator('section.view[data-view="timeline"]').getAttribute('data-pending'),
      '',
      'a key asks for nothing',
    );
  });

  for (const theme of themes) {
    it(`the replay flags and the timeline read in ${theme}`, async () => {
      const { page } = await open(theme);
      for (const [state, colorVar] of [
        ['mismatch', '--unroll-error'],
        ['approximate', '--unroll-warning'],
      ] as const) {
        await sendResult(page, traceFixture({ replay: state }), state === 'mismatch' ? 1 : 2);
        const c = await page.evaluate((v) => {
          const line = document.querySelector('header .replay') as HTMLElement;
          const flag = line.querySelector('.replay-flag') as HTMLElement;
          const body = getComputedStyle(document.body);
          const probe = document.createElement('span');
          probe.style.color = `var(${v})`;
          document.body.append(probe);
          const expected = getComputedStyle(probe).color;
          probe.remove();
          return {
            text: getComputedStyle(line).color,
            flag: getComputedStyle(flag).color,
            border: getComputedStyle(line).borderLeftColor,
            bg: body.backgroundColor,
            expected,
            weight: getComputedStyle(flag).fontWeight,
          };
        }, colorVar);
        const bg = parse(c.bg);
        assert.equal(c.border, c.expected, `${state}: the bar is the theme's ${colorVar}`);
        assert.ok(
          contrast(parse(c.border), bg) >= 3,
          `${state}: bar contrast ${contrast(parse(c.border), bg).toFixed(2)}`,
        );
        assert.ok(
          contrast(parse(c.text), bg) >= 4.5,
          `${state}: text contrast ${contrast(parse(c.text), bg).toFixed(2)}`,
        );
        assert.ok(
          contrast(parse(c.flag), bg) >= 4.5,
          `${state}: flag contrast ${contrast(parse(c.flag), bg).toFixed(2)}`,
        );
        assert.ok(Number(c.weight) >= 600, 'the flag word is bold');
      }
      await showView(page, 'timeline');
      const m = await marks(page);
      assert.equal(m.length, 13);
      assert.ok(
        m.every((q) => q.ring),
        'every snapshot drawn',
      );
      // Chart text in the theme's foreground: the view's x axis title color.
      const colors = JSON.parse(
        (await page.locator('section.view[data-view="timeline"]').getAttribute('data-axis-colors'))!,
      );
      const fg = parse(await page.evaluate(() => getComputedStyle(document.body).color));
      const bg = parse(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      const hex = (h: string): Rgb => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
      assert.deepEqual(hex(colors.x.title), fg);
      assert.ok(
        contrast(hex(colors.x.ticks), bg) >= 4.5,
        `tick labels contrast ${contrast(hex(colors.x.ticks), bg).toFixed(2)}`,
      );
      await page.screenshot({ path: path.join(artifacts, `timeline-${theme}.png`) });
    });
  }
});
