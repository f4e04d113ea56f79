/// <reference lib="dom" />
// The built panel in headless Chromium, fed recorded Results: pixels, DOM, messages, CSP, themes, exports,
// the standalone report, and the heatmap redraw time for 2048 × 256.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { renderReportHtml } from '../../src/report/html';
import { resultFromJson } from '../../src/protocol/json';
import type { FixtureName } from './fixtures';
import { fixture, fixtureNames } from './fixtures';
import type { PanelPage } from './harness';
import {
  artifacts,
  canvasStats,
  themes,
  nextFrames,
  openPanel,
  pixelAt,
  root,
  sendResult,
  setTheme,
  showView,
  useChromium,
} from './harness';

const stepViews = ['unrolled', 'heatmap', 'flow', 'decay'];
const resultViews = [...stepViews, 'whh'];
/** The heatmap's layout (webview/views/heatmap.ts): left margin, right margin, top of the map, map height. */
const HEAT = { left: 58, right: 104, top: 30, height: (H: number) => Math.max(160, Math.min(420, H * 8)) };

function trainPoints(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    epochs: 20,
    loss: 2 * 0.8 ** i,
    heldOutLoss: 2.2 * 0.82 ** i,
    gradNorm: 3 * 0.9 ** i,
    gradNormMax: 5 * 0.9 ** i,
    clipped: i % 3 === 0 ? 1 : 0,
    batches: 4,
    radius: 0.9 + 0.01 * i,
    sigmaMax: 1.1 + 0.01 * i,
    elapsedMs: 50 * (i + 1),
  }));
}

async function post(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await nextFrames(page);
}

async function sendCompare(page: Page, names: FixtureName[], generation: number): Promise<void> {
  await page.evaluate(
    ([jsons, gen]) => {
      const results = (jsons as unknown[]).map((j) => (window as any).unrollTest.resultFromJson(j));
      window.postMessage({ type: 'compare', generation: gen, results }, '*');
    },
    [names.map(fixture), generation] as const,
  );
  await page.waitForFunction(
    (gen) => (window as any).__posted.some((m: any) => m.type === 'rendered' && m.generation === gen),
    generation,
  );
  await nextFrames(page);
}

async function canvasBox(page: Page, view: string) {
  const box = await page.locator(`section.view[data-view="${view}"] canvas.view-canvas`).boundingBox();
  assert.ok(box, `${view} has a visible canvas`);
  return box;
}

async function canvasData(page: Page, view: string): Promise<string> {
  return page.evaluate(
    (v) =>
      (document.querySelector(`section.view[data-view="${v}"] canvas.view-canvas`) as HTMLCanvasElement).toDataURL(),
    view,
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

describe('the panel in Chromium', function () {
  const env = useChromium();
  let panel: PanelPage;
  beforeEach(async () => {
    panel = await openPanel(env.browser, env.server, 'light');
  });
  afterEach(async () => {
    assert.deepEqual(panel.errors, [], 'no page errors');
    await panel.page.close();
  });

  for (const name of fixtureNames) {
    it(`draws every analysis view for the recorded ${name} Result`, async () => {
      const { page } = panel;
      await sendResult(page, fixture(name));
      for (const view of resultViews) {
        await showView(page, view);
        const stats = await canvasStats(page, view);
        assert.ok(
          stats.differingFraction > 0.02,
          `${view}: ${(stats.differingFraction * 100).toFixed(1)}% of pixels differ from the background`,
        );
        assert.ok(stats.colors > 20, `${view}: ${stats.colors} distinct colors`);
        const text = await page.locator(`section.view[data-view="${view}"] details.text-alt p`).textContent();
        assert.ok(text && text.length > 40, `${view} has a text alternative`);
      }
      assert.deepEqual(await panel.violations(), []);
    });
  }

  it('colors each heatmap cell by its own value, and the legend spans the data', async () => {
    const { page } = panel;
    const json = fixture('rnn');
    await sendResult(page, json);
    await showView(page, 'heatmap');
    const rows: (number | null)[][] = json.dLdh;
    const H = rows[0].length,
      T = rows.length;
    const mags = rows
      .flat()
      .filter((v): v is number => v !== null && v !== 0)
      .map(Math.abs);
    const hi = Math.max(...mags),
      lo = Math.max(Math.min(...mags), hi * 1e-16);
    const root = page.locator('section.view[data-view="heatmap"]');
    assert.equal(Number(await root.getAttribute('data-legend-hi')), hi);
    assert.ok(Math.abs(Number(await root.getAttribute('data-legend-lo')) / lo - 1) < 1e-12);

    const { interpolateViridis } = await import('d3-scale-chromatic');
    const box = await canvasBox(page, 'heatmap');
    const plotW = box.width - HEAT.left - HEAT.right;
    // Away from the last step, where the selection outline sits.
    for (const [t, i] of [
      [5, 3],
      [0, 0],
      [Math.floor(T / 2), H - 1],
      [T - 3, 17],
    ]) {
      const v = rows[t][i]!;
      const p = (Math.log10(Math.abs(v)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
      const expected = interpolateViridis(Math.round(p * 255) / 255)
        .match(/[0-9a-f]{2}/gi)!
        .map((h) => parseInt(h, 16));
      const x = HEAT.left + ((t + 0.5) / T) * plotW,
        y = HEAT.top + ((i + 0.5) / H) * HEAT.height(H);
      const got = await pixelAt(page, 'heatmap', x, y);
      // The panel computes log10 from the double's bits: within one of the 256 colors, a few RGB units.
      assert.ok(
        got.every((c, k) => Math.abs(c - expected[k]) <= 4),
        `cell (t=${t}, i=${i}) = ${v}: pixel ${got} vs colormap ${expected}`,
      );
    }
  });

  it('shows the exact value of the hovered heatmap cell', async () => {
    const { page } = panel;
    const json = fixture('lstm');
    await sendResult(page, json);
    await showView(page, 'heatmap');
    const T = json.dLdh.length,
      H = json.dLdh[0].length;
    const box = await canvasBox(page, 'heatmap');
    const plotW = box.width - HEAT.left - HEAT.right;
    for (const [t, i] of [
      [12, 7],
      [T - 1, H - 1],
    ]) {
      await page.mouse.move(
        box.x + HEAT.left + ((t + 0.5) / T) * plotW,
        box.y + HEAT.top + ((i + 0.5) / H) * HEAT.height(H),
      );
      const tip = page.locator('section.view[data-view="heatmap"] .tooltip');
      await tip.waitFor({ state: 'visible' });
      const text = (await tip.textContent())!;
      assert.ok(text.includes(`step ${t} · unit ${i}`), text);
      assert.ok(text.endsWith(`= ${String(json.dLdh[t][i])}`), `${text} shows ${json.dLdh[t][i]}`);
    }
  });

  it('draws the decay chart on axes that span the data, with tooltips', async () => {
    const { page } = panel;
    const json = fixture('rnn');
    await sendResult(page, json);
    await showView(page, 'decay');
    const root = page.locator('section.view[data-view="decay"]');
    const dec = json.flow.decay;
    const [xlo, xhi] = (await root.getAttribute('data-x-range'))!.split(' ').map(Number);
    assert.deepEqual([xlo, xhi], [0, dec.distance[dec.distance.length - 1]]);
    const [ylo, yhi] = (await root.getAttribute('data-y-range'))!.split(' ').map(Number);
    const lows = dec.meanLog10.map((m: number, i: number) => m - (dec.stdLog10[i] ?? 0));
    const highs = dec.meanLog10.map((m: number, i: number) => m + (dec.stdLog10[i] ?? 0));
    assert.ok(
      Math.log10(ylo) <= Math.min(...lows) && Math.min(...lows) - Math.log10(ylo) < 2,
      `y from ${ylo} covers ${Math.min(...lows)}`,
    );
    assert.ok(Math.log10(yhi) >= Math.max(...highs), `y to ${yhi} covers ${Math.max(...highs)}`);
    const box = await canvasBox(page, 'decay');
    const before = await canvasData(page, 'decay');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await nextFrames(page);
    assert.notEqual(await canvasData(page, 'decay'), before, 'hovering shows a tooltip');
  });

  it('moves every view to a step selected in any of them', async () => {
    const { page } = panel;
    await sendCompare(page, ['rnn', 'lstm', 'gru'], 1);
    const json = fixture('truncated');
    await sendResult(page, json, 2);
    const T = json.dLdh.length;
    const before: Record<string, string> = {};
    for (const view of [...stepViews, 'compare']) {
      await showView(page, view);
      before[view] = await canvasData(page, view);
    }
    // Click a heatmap column…
    await showView(page, 'heatmap');
    const box = await canvasBox(page, 'heatmap');
    const target = 20;
    await page.mouse.click(
      box.x + HEAT.left + ((target + 0.5) / T) * (box.width - HEAT.left - HEAT.right),
      box.y + HEAT.top + 10,
    );
    await nextFrames(page);
    for (const view of [...stepViews, 'compare']) {
      await showView(page, view);
      assert.equal(
        await page.locator(`section.view[data-view="${view}"]`).getAttribute('data-step'),
        String(target),
        `${view} follows the selection`,
      );
      assert.notEqual(await canvasData(page, view), before[view], `${view} redrew its selection mark`);
    }
    assert.equal(await page.locator('.step-slider').inputValue(), String(target));
    // …then move with the keyboard on another view.
    await showView(page, 'unrolled');
    await page.locator('section.view[data-view="unrolled"] canvas.view-canvas').focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await nextFrames(page);
    await showView(page, 'flow');
    assert.equal(await page.locator('section.view[data-view="flow"]').getAttribute('data-step'), String(target - 2));
    // …and by clicking the per-step strip above the heatmap (a chart.js chart over the same columns).
    await showView(page, 'heatmap');
    const strip = await page.locator('section.view[data-view="heatmap"] canvas.strip-canvas').boundingBox();
    assert.ok(strip);
    await page.mouse.click(
      strip.x + HEAT.left + ((5 + 0.5) / T) * (strip.width - HEAT.left - HEAT.right),
      strip.y + strip.height - 30,
    );
    await nextFrames(page);
    assert.equal(await page.locator('.step-slider').inputValue(), '5');
    const selects = (await panel.posted()).filter((m) => m.type === 'selectStep').map((m) => m.step);
    assert.deepEqual(selects, [target, target - 1, target - 2, 5]);
  });

  it('lets nothing remote load: the CSP blocks it and the panel asks for nothing', async () => {
    const { page } = panel;
    await sendResult(page, fixture('gru'));
    for (const view of [...resultViews, 'training', 'compare']) await showView(page, view);
    assert.deepEqual(await panel.violations(), [], 'the panel itself needs no exception to the CSP');
    assert.deepEqual(
      panel.requests.filter((u) => !u.startsWith(env.server.origin)),
      [],
      'the panel asked for nothing outside its origin',
    );
    const loaded: string[] = [];
    const failed = new Map<string, string>();
    page.on('response', (r) => loaded.push(r.url()));
    page.on('requestfailed', (r) => failed.set(r.url(), r.failure()?.errorText ?? ''));
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'https://example.com/pixel.png';
      document.body.append(img);
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = 'https://example.com/x.css';
      document.head.append(link);
      const script = document.createElement('script');
      script.src = 'https://example.com/x.js';
      document.head.append(script);
      return fetch('https://example.com/data.json').catch(() => undefined);
    });
    await nextFrames(page, 4);
    const blocked = await panel.violations();
    for (const directive of ['img-src', 'style-src', 'script-src', 'connect-src'])
      assert.ok(
        blocked.some((v) => v.startsWith(directive)),
        `${directive} blocked: ${blocked}`,
      );
    assert.deepEqual(
      loaded.filter((u) => !u.startsWith(env.server.origin)),
      [],
      'nothing remote loaded',
    );
    for (const probe of ['https://example.com/pixel.png', 'https://example.com/x.css', 'https://example.com/x.js']) {
      assert.match(
        failed.get(probe) ?? 'not even requested',
        /csp|not even requested/i,
        `${probe}: ${failed.get(probe)}`,
      );
    }
    // The browser logs each blocked probe as an error: expected here, and only here.
    panel.errors.splice(0, panel.errors.length, ...panel.errors.filter((e) => !e.includes('example.com')));
  });

  it('re-colors when the theme changes', async () => {
    const { page } = panel;
    await sendResult(page, fixture('rnn'));
    await showView(page, 'decay');
    assert.deepEqual(await pixelAt(page, 'decay', 3, 3), [255, 255, 255]);
    await setTheme(page, 'dark');
    await nextFrames(page, 3);
    assert.deepEqual(await pixelAt(page, 'decay', 3, 3), [0x1f, 0x1f, 0x1f]);
    await showView(page, 'unrolled');
    assert.deepEqual(await pixelAt(page, 'unrolled', 3, 3), [0x1f, 0x1f, 0x1f], 'hidden views re-color when shown');
  });

  it('keeps its settings and last Result with setState, and restores them', async () => {
    const { page } = panel;
    await sendResult(page, fixture('lstm'));
    await showView(page, 'flow');
    await page.locator('.step-slider').fill('7');
    await nextFrames(page);
    await page.waitForFunction(() => (window as any).__getSavedState()?.settings?.step === 7);
    const state = await page.evaluate(() => (window as any).__getSavedState());
    assert.equal(state.settings.view, 'flow');
    assert.ok(state.result, 'a small Result is kept in the state');
    const restored = await openPanel(env.browser, env.server, 'light', { state });
    try {
      await nextFrames(restored.page, 3);
      const root = restored.page.locator('section.view[data-view="flow"]');
      assert.equal(await root.getAttribute('data-step'), '7');
      assert.ok(
        (await canvasStats(restored.page, 'flow')).differingFraction > 0.02,
        'the flow matrix is drawn from the saved state',
      );
      assert.deepEqual(restored.errors, []);
    } finally {
      await restored.page.close();
    }
  });

  it('exports the visible view as PNG, SVG and JSON through the extension', async () => {
    const { page } = panel;
    const json = fixture('rnn');
    await sendResult(page, json);
    await showView(page, 'heatmap');
    for (const label of ['PNG', 'SVG', 'JSON'])
      await page.locator('.exports vscode-button', { hasText: label }).click();
    const exports = (await panel.posted()).filter((m) => m.type === 'export');
    assert.deepEqual(
      exports.map((m) => [m.format, m.view]),
      [
        ['png', 'heatmap'],
        ['svg', 'heatmap'],
        ['json', 'heatmap'],
      ],
    );
    assert.deepEqual([...Buffer.from(exports[0].data as string, 'base64').subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const svg = exports[1].data as string;
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<image [^>]*href="data:image\/png;base64,/);
    assert.match(svg, /hidden unit i/);
    writeFileSync(path.join(artifacts, 'heatmap-export.svg'), svg);
    assert.match(svg, /Per-step gradient norm/, 'the chart.js strip above the heatmap is in the SVG');
    const numbers = JSON.parse(exports[2].data as string);
    assert.deepEqual(numbers.values[3], json.dLdh[3]);

    // The chart.js views: SVG recorded from the same chart configuration (lines as paths, text as text).
    await post(page, { type: 'trainStart', epochs: 20, model: 'm.unroll.json' });
    for (const point of trainPoints(6)) await post(page, { type: 'trainProgress', point });
    const expected: Record<string, RegExp[]> = {
      decay: [/distance d = t − k/, /bound \(γσ_max\)\^d/, /spectral radius ρ = /, /horizon \d+/],
      whh: [/cumulative share/, /d ≥ \d+/],
      training: [/train loss/, /held-out loss/, /batches clipped/, /epoch 6 \/ 20/],
    };
    for (const [view, patterns] of Object.entries(expected)) {
      await showView(page, view);
      for (const label of ['PNG', 'SVG']) await page.locator('.exports vscode-button', { hasText: label }).click();
      const [png, chartSvg] = (await panel.posted()).filter((m) => m.type === 'export' && m.view === view);
      assert.deepEqual(
        [...Buffer.from(png.data as string, 'base64').subarray(0, 4)],
        [0x89, 0x50, 0x4e, 0x47],
        `${view} PNG`,
      );
      const text = chartSvg.data as string;
      writeFileSync(path.join(artifacts, `${view}-export.svg`), text);
      assert.match(text, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, `${view} SVG`);
      assert.ok((text.match(/<path /g) ?? []).length > 10, `${view}: lines and bars are SVG paths`);
      for (const p of patterns) assert.match(text, p, `${view} SVG has ${p}`);
    }
    assert.deepEqual(await panel.violations(), [], 'SVG export needs no exception to the CSP');
  });

  it('draws training curves live and ends with the reason', async () => {
    const { page } = panel;
    await sendResult(page, fixture('rnn'));
    await post(page, { type: 'trainStart', epochs: 20, model: 'adding-lag50.rnn.unroll.json' });
    assert.equal(await page.locator('vscode-tabs').evaluate((t: any) => t.selectedIndex), 5, 'the Training tab opens');
    const points = trainPoints(8);
    for (const point of points.slice(0, 4)) await post(page, { type: 'trainProgress', point });
    const early = await canvasData(page, 'training');
    const box = await canvasBox(page, 'training');
    // Epochs 5 … 8 of 20 lie about a quarter to two fifths of the way across the plot.
    const region = { x: box.width * 0.32, y: 60, w: box.width * 0.08, h: box.height - 120 };
    const earlyInk = (await canvasStats(page, 'training', region)).differingFraction;
    for (const point of points.slice(4)) await post(page, { type: 'trainProgress', point });
    assert.notEqual(await canvasData(page, 'training'), early, 'new epochs redraw the curves');
    assert.ok(
      (await canvasStats(page, 'training', region)).differingFraction > earlyInk,
      'the curves grew into epochs 5 … 8',
    );
    const root = page.locator('section.view[data-view="training"]');
    assert.equal(
      await root.getAttribute('data-charts-created'),
      '1',
      'progress appends to the one chart, never re-creates it',
    );
    assert.equal(await root.getAttribute('data-x-range'), '0 20', 'the epoch axis spans the run');
    await post(page, { type: 'trainEnd', reason: 'finished', nonFinite: null });
    const stats = await canvasStats(page, 'training');
    assert.ok(stats.differingFraction > 0.02 && stats.colors > 10);
    assert.match(
      (await page.locator('section.view[data-view="training"] details.text-alt p').textContent())!,
      /over 8 of 20 epochs.*clipped 3 of 32 batches/,
    );
  });

  it('marks the picture stale with the problems, keeping the last one', async () => {
    const { page } = panel;
    await sendResult(page, fixture('rnn'));
    const drawn = await canvasData(page, 'unrolled');
    await post(page, {
      type: 'stale',
      problems: [
        {
          file: 'examples/adding-lag50.csv',
          line: 4,
          column: 7,
          message: 'not a number: "x"',
          hint: 'every column must be numeric',
          severity: 'error',
        },
      ],
    });
    const banner = page.locator('.banner.stale');
    assert.ok(await banner.isVisible());
    assert.match(
      (await banner.textContent())!,
      /examples\/adding-lag50\.csv:4:7: not a number: "x" \(every column must be numeric\)/,
    );
    assert.equal(await canvasData(page, 'unrolled'), drawn);
    await sendResult(page, fixture('rnn'), 2);
    assert.ok(!(await banner.isVisible()), 'a new Result clears the stale mark');
  });

  it('selects the view a showView message names (the walkthrough), and ignores an unknown one', async () => {
    const { page } = panel;
    await sendResult(page, fixture('rnn'));
    const selected = () => page.locator('vscode-tabs').evaluate((t: any) => t.selectedIndex);
    const visible = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('section.view')]
          .filter((v) => (v as HTMLElement).offsetWidth > 0)
          .map((v) => (v as HTMLElement).dataset.view),
      );
    await post(page, { type: 'showView', view: 'whh' });
    assert.equal(await selected(), 4, 'the ∂L/∂W_hh tab is selected');
    assert.deepEqual(await visible(), ['whh']);
    await post(page, { type: 'showView', view: 'decay' });
    assert.deepEqual(await visible(), ['decay']);
    await post(page, { type: 'showView', view: 'nonsense' });
    assert.deepEqual(await visible(), ['decay'], 'an unknown view changes nothing');
  });

  it('sends the commands as messages', async () => {
    const { page } = panel;
    for (const label of ['Train', 'Stop', 'Compare cells', 'Export report'])
      await page.locator('.toolbar > vscode-button', { hasText: label }).click();
    const commands = (await panel.posted()).filter((m) => m.type === 'command').map((m) => m.command);
    assert.deepEqual(commands, ['train', 'stop', 'compare', 'exportReport']);
  });

  it("a report of a trained model fills the Training tab from the Result's history", async () => {
    const result = resultFromJson(fixture('rnn'));
    const history = [1, 2, 3, 4].map((epoch) => ({
      epoch,
      epochs: 4,
      loss: 1 / epoch,
      heldOutLoss: 1.2 / epoch,
      gradNorm: 3 / epoch,
      gradNormMax: 5 / epoch,
      clipped: epoch % 2,
      batches: 2,
      radius: 0.9,
      sigmaMax: 1.1,
      elapsedMs: 10 * epoch,
    }));
    result.training = {
      reason: 'finished',
      epochs: 4,
      unit: 'mean squared error per target step',
      trainSequences: 8,
      heldOutSequences: 2,
      batch: 4,
      baseline: { kind: 'mean', loss: 0.5, what: 'predicting the mean target' },
      history,
      nonFinite: null,
    };
    const file = path.join(artifacts, 'report-trained.html');
    writeFileSync(file, await renderReportHtml([result], 'trained', path.join(root, 'dist')));
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('section.view[data-view="unrolled"] canvas.view-canvas');
      await showView(page, 'training');
      assert.ok((await canvasStats(page, 'training')).differingFraction > 0.02, 'training curves drawn in the report');
      assert.doesNotMatch(
        (await page.locator('section.view[data-view="training"]').textContent()) ?? '',
        /No training yet/,
      );
    } finally {
      await page.close();
    }
  });

  it('opens the standalone report from file:// offline and shows the views', async () => {
    const results = (['rnn', 'lstm', 'gru'] as const).map((n) => resultFromJson(fixture(n)));
    const hostile = '</script><script>document.title = "pwned"</script><!--';
    results[0].meta.notes.push(hostile);
    const html = await renderReportHtml(results, 'Adding problem, lag 50 </script>', path.join(root, 'dist'));
    const file = path.join(artifacts, 'report.html');
    writeFileSync(file, html);
    const page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as any).__violations.push(e.violatedDirective),
      );
    });
    try {
      await page.goto(pathToFileURL(file).href);
      assert.equal(await page.title(), 'Adding problem, lag 50 </script>');
      await page.waitForSelector('section.view[data-view="unrolled"] canvas.view-canvas');
      for (const view of [...resultViews, 'compare']) {
        await showView(page, view);
        assert.ok((await canvasStats(page, view)).differingFraction > 0.02, `${view} drawn in the report`);
      }
      await page.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
      assert.equal(await page.locator('.toolbar > vscode-button').count(), 0, 'no extension commands in a report');
      assert.equal(
        await page.locator('.notes li', { hasText: 'document.title' }).textContent(),
        hostile,
        'data shows as text, never as markup',
      );
      assert.equal(await page.title(), 'Adding problem, lag 50 </script>');
      assert.deepEqual(await page.evaluate(() => (window as any).__violations), []);
      assert.deepEqual(
        requests.filter((u) => !u.startsWith('file://')),
        [],
      );
      assert.deepEqual(errors, []);
      const download = page.waitForEvent('download');
      await page.locator('.exports vscode-button', { hasText: 'JSON' }).click();
      assert.equal((await download).suggestedFilename(), 'unroll-compare.json');
    } finally {
      await page.close();
    }
  });

  it('measures the heatmap redraw for 2048 steps × 256 units', async () => {
    const { page } = panel;
    await page.evaluate(() => {
      const result = (window as any).unrollTest.syntheticResult({
        cell: 'rnn',
        steps: 2048,
        hidden: 256,
        flowStride: 32,
      });
      window.postMessage({ type: 'result', generation: 9, result }, '*');
    });
    await page.waitForFunction(() =>
      (window as any).__posted.some((m: any) => m.type === 'rendered' && m.generation === 9),
    );
    await showView(page, 'heatmap');
    const colormap = page.locator('section.view[data-view="heatmap"] vscode-single-select[aria-label="Colormap"]');
    await page.evaluate(() => performance.clearMeasures());
    const names = ['magma', 'cividis', 'viridis'];
    for (let i = 0; i < 21; i++) {
      await colormap.evaluate(
        (el: any, name) => {
          el.value = name;
          el.dispatchEvent(new Event('change'));
        },
        names[i % 3],
      );
      await nextFrames(page);
    }
    const measured = (name: string) =>
      page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration), name);
    const views = await measured('unroll:heatmap-redraw');
    const cells = await measured('unroll:heatmap-cells');
    assert.ok(views.length >= 21 && cells.length >= 21, `${views.length} redraws measured`);
    const rendered = (await panel.posted()).find((m) => m.type === 'rendered' && m.generation === 9)!.ms as number;
    console.log(
      `      heatmap 2048 × 256, median over ${views.length - 1} redraws with new colors: cells (one ImageData write) ${median(cells.slice(1)).toFixed(2)} ms, whole view ${median(views.slice(1)).toFixed(2)} ms; first paint after the Result message ${rendered.toFixed(1)} ms`,
    );
    assert.ok((await canvasStats(page, 'heatmap')).colors > 50);
  });
});

describe('screenshots of every view, light, dark and both high-contrast themes', function () {
  const env = useChromium();

  for (const theme of themes) {
    it(`writes test/webview/artifacts/<view>-${theme}.png`, async () => {
      const panel = await openPanel(env.browser, env.server, theme);
      const { page } = panel;
      try {
        await sendCompare(page, ['rnn', 'lstm', 'gru'], 1);
        await sendResult(page, fixture('lstm'), 2);
        await post(page, {
          type: 'trainStart',
          epochs: 20,
          model: 'adding-lag50.lstm.unroll.json',
          baseline: { kind: 'mean', loss: 0.5, what: 'predicting the mean target (1.0)' },
          unit: 'mean squared error per target step',
        });
        for (const point of trainPoints(12)) await post(page, { type: 'trainProgress', point });
        const shots: [string, FixtureName | undefined][] = [
          ['unrolled', 'lstm'],
          ['heatmap', 'lstm'],
          ['flow', 'truncated'],
          ['decay', 'rnn'],
          ['whh', 'rnn'],
          ['training', undefined],
          ['compare', undefined],
        ];
        for (const [view, name] of shots) {
          if (name) await sendResult(page, fixture(name), 3 + shots.findIndex(([v]) => v === view));
          await showView(page, view);
          await page.screenshot({ path: path.join(artifacts, `${view}-${theme}.png`), fullPage: true });
          assert.ok((await canvasStats(page, view)).differingFraction > 0.02, `${view} in ${theme}`);
        }
        assert.deepEqual(panel.errors, []);
      } finally {
        await page.close();
      }
    });
  }
});
