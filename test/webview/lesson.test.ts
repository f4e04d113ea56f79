/// <reference lib="dom" />
// Issue 11 in the panel: training curves against a baseline with the held-out loss and the divergence place, trained
// runs side by side, the weights chip, hover explanations that also open on keyboard focus, the inputs and targets
// under the unrolled network, and a colour bar whose labels never overlap.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { GLOSSARY, type GlossaryTerm } from '../../src/protocol/glossary';
import type { SyntheticOptions } from '../fixtures/results/synthetic';
import { ADDING_MARKS } from '../fixtures/results/synthetic';
import type { PanelPage } from './harness';
import { artifacts, canvasStats, nextFrames, openPanel, showView, themes, useChromium } from './harness';

let generation = 100;

/** Build a synthetic Result in the page and send it as the extension would (a compare when several). */
async function sendSynthetic(page: Page, options: SyntheticOptions[], edit?: string): Promise<void> {
  const gen = ++generation;
  await page.evaluate(
    ([opts, g, code]) => {
      const results = (opts as SyntheticOptions[]).map((o) => (window as any).unrollTest.syntheticResult(o));
      if (code) new Function('results', code as string)(results);
      window.postMessage(
        results.length === 1
          ? { type: 'result', generation: g, result: results[0] }
          : { type: 'compare', generation: g, results },
        '*',
      );
    },
    [options, gen, edit ?? ''] as const,
  );
  await page.waitForFunction(
    (g) => (window as any).__posted.some((m: any) => m.type === 'rendered' && m.generation === g),
    gen,
  );
  await nextFrames(page);
}

async function post(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await nextFrames(page);
}

/** The visible view exported as SVG through the toolbar, as the extension receives it. */
async function exportSvg(panel: PanelPage, view: string): Promise<string> {
  await showView(panel.page, view);
  await panel.page.locator('.exports vscode-button', { hasText: 'SVG' }).click();
  const svgs = (await panel.posted()).filter((m) => m.type === 'export' && m.view === view && m.format === 'svg');
  const svg = svgs[svgs.length - 1].data as string;
  writeFileSync(path.join(artifacts, `lesson-${view}.svg`), svg);
  return svg;
}

async function textAlt(page: Page, view: string): Promise<string> {
  return (await page.locator(`section.view[data-view="${view}"] details.text-alt p`).textContent()) ?? '';
}

const baseline = { kind: 'mean', loss: 0.167, what: 'predicting the mean target (1.0)' };
function point(i: number, heldOut = true) {
  const loss = 0.05 + 0.3 * 0.8 ** i;
  return {
    epoch: i + 1,
    epochs: 10,
    loss,
    heldOutLoss: heldOut ? loss * 1.2 : null,
    gradNorm: 2 * 1.5 ** i,
    gradNormMax: 3 * 1.5 ** i,
    clipped: Math.min(8, i + 1),
    batches: 8,
    radius: 0.9,
    sigmaMax: 1.1 + 0.05 * i,
    elapsedMs: 30 * (i + 1),
  };
}

describe('the lesson in the panel', function () {
  const env = useChromium();
  let panel: PanelPage;
  beforeEach(async () => {
    panel = await openPanel(env.browser, env.server, 'light');
  });
  afterEach(async () => {
    assert.deepEqual(panel.errors, [], 'no page errors');
    await panel.page.close();
  });

  it('draws train and held-out loss against the labelled baseline, clipped batches, and where training diverged', async () => {
    const { page } = panel;
    await sendSynthetic(page, [{ cell: 'rnn', steps: 30, hidden: 8 }]);
    await post(page, {
      type: 'trainStart',
      epochs: 10,
      model: 'exploding.rnn.unroll.json',
      baseline,
      unit: 'mean squared error per target step',
    });
    for (let i = 0; i < 4; i++) await post(page, { type: 'trainProgress', point: point(i) });
    await post(page, {
      type: 'trainEnd',
      reason: 'nonFinite',
      nonFinite: {
        step: 17,
        what: 'hidden state h_t of layer 0 is not finite',
        epoch: 5,
        batch: 6,
        batches: 8,
        tensor: 'h_t (layer 0)',
      },
    });
    const root = page.locator('section.view[data-view="training"]');
    assert.equal(await root.getAttribute('data-baseline'), '0.167');
    assert.equal(await root.getAttribute('data-diverged'), String(4 + 6 / 8), 'marked inside epoch 5, at batch 6 of 8');
    const alt = await textAlt(page, 'training');
    assert.match(alt, /held-out loss from 0\.42 to 0\.244/);
    assert.match(alt, /clipped 10 of 32 batches/);
    assert.match(
      alt,
      /baseline \(predicting the mean target \(1\.0\)\) has loss 0\.167; the last held-out loss is not below it/,
    );
    assert.match(
      alt,
      /diverged: hidden state h_t of layer 0 is not finite \(epoch 5, batch 6 of 8, step 17, in h_t \(layer 0\)\)/,
    );
    const svg = await exportSvg(panel, 'training');
    for (const p of [
      /baseline 0\.167: predicting the mean target \(1\.0\)/,
      /mean squared error per target step/,
      /held-out loss/,
      /‖∇L‖ largest batch/,
      /batches clipped/,
      /clipped 4 of 8 batches in epoch 4/,
      /✕ diverged: epoch 5, batch 6 of 8, step 17, in h_t \(layer 0\)/,
    ])
      assert.match(svg, p);
    assert.ok((await canvasStats(page, 'training')).differingFraction > 0.02);
  });

  it('learns the baseline from the Result when the run did not send it, and shows a trained Result’s history after a restore', async () => {
    const { page } = panel;
    await post(page, { type: 'trainStart', epochs: 12, model: 'm.unroll.json' });
    for (let i = 0; i < 12; i++) await post(page, { type: 'trainProgress', point: { ...point(i), epochs: 12 } });
    await post(page, { type: 'trainEnd', reason: 'finished', nonFinite: null });
    assert.equal(await page.locator('section.view[data-view="training"]').getAttribute('data-baseline'), '');
    await sendSynthetic(
      page,
      [{ cell: 'rnn', steps: 30, hidden: 8, training: { epochs: 12, heldOut: true } }],
      'results[0].training.history = results[0].training.history.map((q, i) => ({ ...q, epoch: i + 1 }));',
    );
    await showView(page, 'training');
    assert.equal(
      await page.locator('section.view[data-view="training"]').getAttribute('data-baseline'),
      '0.167',
      'the live run adopts the baseline',
    );
    assert.equal(await page.locator('.chip.weights').textContent(), 'weights: after 12 epochs');
    // A new panel that only gets the Result (restored, or a report) shows the run's history from it.
    const fresh = await openPanel(env.browser, env.server, 'dark');
    try {
      await sendSynthetic(fresh.page, [{ cell: 'lstm', steps: 30, hidden: 8, training: { epochs: 6, heldOut: true } }]);
      await showView(fresh.page, 'training');
      assert.match(
        await textAlt(fresh.page, 'training'),
        /Training over 6 of 6 epochs \(loss in mean squared error per target step\)/,
      );
      await sendSynthetic(fresh.page, [{ cell: 'lstm', steps: 30, hidden: 8 }]);
      assert.equal(await fresh.page.locator('.chip.weights').textContent(), 'weights: at initialization (pytorch)');
      await sendSynthetic(
        fresh.page,
        [{ cell: 'lstm', steps: 30, hidden: 8 }],
        "results[0].meta.weights = { kind: 'file', path: '/w/examples/adding-lag50.lstm.safetensors', trainedEpochs: 30 };",
      );
      assert.equal(
        await fresh.page.locator('.chip.weights').textContent(),
        'weights: file adding-lag50.lstm.safetensors (trained 30 epochs)',
      );
      await showView(fresh.page, 'training');
      assert.match(
        await textAlt(fresh.page, 'training'),
        /No training yet/,
        'an untrained Result does not keep another run’s curves',
      );
      assert.deepEqual(fresh.errors, []);
    } finally {
      await fresh.page.close();
    }
  });

  it('compares trained runs: loss curves with the baseline, and a diverged run marked', async () => {
    const { page } = panel;
    await post(page, { type: 'trainStart', epochs: 10, model: 'compare' });
    for (let i = 0; i < 3; i++)
      for (const run of [0, 1]) await post(page, { type: 'trainProgress', run, point: point(i + run) });
    assert.equal(
      await page.locator('vscode-tabs').evaluate((t: any) => t.selectedIndex),
      6,
      'a training compare shows the Compare tab',
    );
    assert.match(
      await textAlt(page, 'compare'),
      /2 runs training: run 1 at epoch 3, train loss 0\.242\. run 2 at epoch 4/,
    );
    assert.ok((await canvasStats(page, 'compare')).differingFraction > 0.01, 'live curves drawn before the Results');
    await sendSynthetic(page, [
      {
        cell: 'rnn',
        steps: 30,
        hidden: 8,
        label: 'exploding.rnn',
        training: { epochs: 10, diverge: { epoch: 3, batch: 5, batches: 8 } },
      },
      {
        cell: 'rnn',
        steps: 30,
        hidden: 8,
        label: 'exploding-clipped.rnn',
        seed: 3,
        training: { epochs: 10, heldOut: true },
      },
    ]);
    const svg = await exportSvg(panel, 'compare');
    for (const p of [
      />✕ exploding\.rnn<\/text><text[^>]*>L = [^<]* · diverged</,
      />exploding-clipped\.rnn<\/text><text[^>]*>L = /,
      /✕ diverged: epoch 3, batch 5 of 8, step 17, in h_t \(layer 0\)/,
      /baseline 0\.167/,
      /final train \/ held-out loss/,
      /after 2 epochs, diverged/,
    ])
      assert.match(svg, p);
    assert.match(
      await textAlt(page, 'compare'),
      /exploding\.rnn: After 2 epochs: .*; it diverged: hidden state h_t of layer 0 is not finite \(epoch 3, batch 5 of 8/,
    );
  });

  it('explains every term on hover and on keyboard focus', async () => {
    const { page } = panel;
    await sendSynthetic(page, [{ cell: 'gru', steps: 30, hidden: 8 }], 'results[0].spectral.stepGain = 0.83;');
    const seen = new Set<string>();
    for (const view of ['unrolled', 'flow', 'decay', 'training', 'compare']) {
      await showView(page, view);
      const hosts = page.locator('header .has-term:visible, section.view:visible .has-term');
      for (let i = 0; i < (await hosts.count()); i++) {
        const host = hosts.nth(i);
        const tipId = await host.getAttribute('aria-describedby');
        assert.ok(tipId, 'the term names its explanation');
        const tip = page.locator(`[id="${tipId}"]`);
        assert.equal(await tip.getAttribute('role'), 'tooltip');
        assert.equal(await tip.isVisible(), false, 'hidden until asked for');
        assert.equal(await host.getAttribute('tabindex'), '0', 'reachable with Tab');
        await host.focus();
        assert.equal(await tip.isVisible(), true, `focus shows ${await tip.getAttribute('data-terms')}`);
        const terms = (await tip.getAttribute('data-terms'))!.split(' ') as GlossaryTerm[];
        assert.equal(await tip.textContent(), terms.map((t) => GLOSSARY[t]).join(' '));
        terms.forEach((t) => seen.add(t));
        await host.evaluate((e) => (e as HTMLElement).blur());
        assert.equal(await tip.isVisible(), false);
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(GLOSSARY).sort(), 'every glossary term has a hover');
    // The mouse opens the same tooltip; so does Tab from the headline's facts.
    const fact = page.locator('dl.facts .fact', { hasText: 'step gain' });
    assert.equal(await fact.locator('dd').textContent(), '×0.83 per step');
    await fact.hover();
    assert.equal(await fact.locator('.term-tip').isVisible(), true);
    await page.mouse.move(1, 890);
    await page.locator('dl.facts .fact', { hasText: 'ρ(W)' }).focus();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.querySelector('dt')?.textContent);
    assert.equal(focused, 'σ_max vs 1/γ');
    assert.equal(
      await page.locator('dl.facts .fact', { hasText: 'σ_max vs 1/γ' }).locator('.term-tip').isVisible(),
      true,
    );
    await page.screenshot({ path: path.join(artifacts, 'hover-focus-light.png') });
  });

  it('labels x_t with what went in and y_t with the target: the marked number, the symbol, the character', async () => {
    const { page } = panel;
    await sendSynthetic(page, [{ cell: 'lstm', steps: 16, hidden: 8, inputs: 'adding' }]);
    const values = await page.evaluate(
      () =>
        (window as any).unrollTest.syntheticResult({ cell: 'lstm', steps: 16, hidden: 8, inputs: 'adding' }).input
          .data as Float64Array,
    );
    const marked = ADDING_MARKS.map((t) => Math.round(values[t * 2] * 100) / 100);
    let svg = await exportSvg(panel, 'unrolled');
    for (const v of marked) assert.ok(svg.includes(`>${v}●<`), `the marked value ${v}● is drawn`);
    assert.equal((svg.match(/●</g) ?? []).length, ADDING_MARKS.length, 'only the marked steps carry the mark');
    assert.ok(
      svg.includes(`>${Number((marked[0] + marked[1]).toPrecision(2))}<`) ||
        svg.includes(`>${Number((marked[0] + marked[1]).toPrecision(3))}<`),
      'the target (their sum) is drawn at the last step',
    );
    assert.match(svg, />y_t</);
    assert.match(
      await textAlt(page, 'unrolled'),
      new RegExp(
        `Inputs x_t \\(step: input\\): ${ADDING_MARKS[0]}: ${marked[0]}●, ${ADDING_MARKS[1]}: ${marked[1]}●\\. Targets y_t: 15: `,
      ),
    );
    // The tooltip gives the exact values.
    const box = (await page.locator('section.view[data-view="unrolled"] canvas.view-canvas').boundingBox())!;
    await page
      .locator('section.view[data-view="unrolled"] canvas.view-canvas')
      .hover({ position: { x: 44 + (ADDING_MARKS[0] + 0.5) * ((box.width - 44 - 96) / 16), y: 142 } });
    const tip = page.locator('section.view[data-view="unrolled"] .tooltip');
    await tip.waitFor({ state: 'visible' });
    assert.match(
      (await tip.textContent())!,
      new RegExp(`step ${ADDING_MARKS[0]} · .*x_t = \\[${values[ADDING_MARKS[0] * 2]}, 1\\] \\(${marked[0]}●\\)`),
    );

    await sendSynthetic(page, [{ cell: 'gru', steps: 16, hidden: 8, inputs: 'copy' }]);
    svg = await exportSvg(panel, 'unrolled');
    for (const s of ['x3', 'x1', 'x4', 'go', 'y3']) assert.ok(svg.includes(`>${s}<`), `copy symbol ${s}`);

    await sendSynthetic(page, [{ cell: 'rnn', steps: 16, hidden: 8, inputs: 'text' }]);
    svg = await exportSvg(panel, 'unrolled');
    // "the\nbat ate the hat ": t h e ↵ b a t ␣ …
    for (const s of ['t', 'h', 'e', '↵', '␣', 'b', 'a']) assert.ok(svg.includes(`>${s}<`), `character ${s}`);
    await page.screenshot({ path: path.join(artifacts, 'unrolled-inputs-light.png'), fullPage: true });
  });

  it('keeps the colour bar’s labels apart when the flow matrix has one row', async () => {
    const { page } = panel;
    // Seq-to-one: only the last step has a loss, so the flow matrix is one row.
    await sendSynthetic(
      page,
      [{ cell: 'rnn', steps: 60, hidden: 8, decay: 0.6 }],
      'const r = results[0]; const T = r.flow.steps.length; r.flow.matrix = [r.flow.matrix[T - 1]]; r.flow.steps = [T - 1];',
    );
    const svg = await exportSvg(panel, 'flow');
    // Style attributes would need 'unsafe-inline' under the panel's CSP: the font goes in as an attribute instead.
    const markup = svg.replace(/ style="[^"]*"/g, ' font-family="sans-serif"');
    const boxes = await page.evaluate((markup) => {
      const holder = document.createElement('div');
      holder.innerHTML = markup;
      document.body.append(holder);
      const texts = [...holder.querySelectorAll('text')].filter((t) => t.textContent!.trim());
      const out = texts.map((t) => {
        const b = t.getBoundingClientRect();
        return { text: t.textContent!, left: b.left, right: b.right, top: b.top, bottom: b.bottom };
      });
      holder.remove();
      return out;
    }, markup);
    assert.ok(boxes.length > 8, `${boxes.length} labels measured`);
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i],
          b = boxes[j];
        const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (dx > 0.5 && dy > 0.5) overlaps.push(`"${a.text}" and "${b.text}" (${dx.toFixed(1)} × ${dy.toFixed(1)} px)`);
      }
    }
    assert.deepEqual(overlaps, [], 'no two labels intersect');
    assert.ok(
      boxes.some((b) => b.text === 'grey: exactly 0'),
      'the note is there',
    );
    await showView(page, 'flow');
    await page.screenshot({ path: path.join(artifacts, 'flow-one-row-light.png'), fullPage: true });
  });
});

describe('screenshots of the lesson views, light, dark and both high-contrast themes', function () {
  const env = useChromium();
  for (const theme of themes) {
    it(`writes test/webview/artifacts/lesson-<view>-${theme}.png`, async () => {
      const panel = await openPanel(env.browser, env.server, theme);
      const { page } = panel;
      try {
        await sendSynthetic(page, [
          {
            cell: 'rnn',
            steps: 30,
            hidden: 8,
            label: 'exploding.rnn',
            training: { epochs: 10, diverge: { epoch: 4, batch: 5, batches: 8 } },
          },
          {
            cell: 'rnn',
            steps: 30,
            hidden: 8,
            label: 'exploding-clipped.rnn',
            seed: 3,
            training: { epochs: 10, heldOut: true },
          },
        ]);
        await sendSynthetic(
          page,
          [{ cell: 'lstm', steps: 24, hidden: 8, inputs: 'adding' }],
          'results[0].spectral.stepGain = 0.91;',
        );
        await post(page, {
          type: 'trainStart',
          epochs: 10,
          model: 'exploding.rnn.unroll.json',
          baseline,
          unit: 'mean squared error per target step',
        });
        for (let i = 0; i < 6; i++) await post(page, { type: 'trainProgress', point: point(i) });
        await post(page, {
          type: 'trainEnd',
          reason: 'nonFinite',
          nonFinite: {
            step: 17,
            what: 'hidden state h_t of layer 0 is not finite',
            epoch: 7,
            batch: 3,
            batches: 8,
            tensor: 'h_t (layer 0)',
          },
        });
        for (const view of ['training', 'compare', 'unrolled']) {
          await showView(page, view);
          await page.screenshot({ path: path.join(artifacts, `lesson-${view}-${theme}.png`), fullPage: true });
          assert.ok((await canvasStats(page, view)).differingFraction > 0.02, `${view} in ${theme}`);
        }
        assert.deepEqual(panel.errors, []);
      } finally {
        await page.close();
      }
    });
  }
});
