/// <reference lib="dom" />
// The five user flows of issue 6, the walkthrough's clipping step (issue 11) and a PyTorch trace (issue 13), each done with the mouse and keyboard in the real workbench. They run in order
// on one workbench (starting one takes a minute), but each sets up what it needs itself (opens its file, picks its
// view), so a failure in one does not decide the next.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { repoRoot } from '../harness/install';
import {
  colormapPixels,
  isHeatmap,
  editorLine,
  message,
  panelTab,
  artifactsDir,
  canvasFingerprint,
  canvasStats,
  closeQuickInput,
  contextMenuCommand,
  findUnrollFrame,
  notificationToast,
  openFromExplorer,
  panelState,
  press,
  problemRows,
  problemsStatus,
  quickInputBox,
  quickInputRow,
  recordWhen,
  recordedAt,
  runCommand,
  screenshot,
  selectWordOnLine,
  showInExplorer,
  showPanelView,
  sleep,
  toastText,
  unrollFrame,
  until,
  viewDescription,
} from './ui';

export interface FlowContext {
  page: Page;
  browser: Browser;
  workspace: string;
  /** Named timings in milliseconds, printed at the end. */
  timing(name: string, ms: number): void;
  log(line: string): void;
}

export interface Flow {
  name: string;
  run(ctx: FlowContext): Promise<void>;
}

/** A model file added to the workspace copy: the adding problem with an LSTM and enough epochs to watch and cancel. */
export const LONG_TRAIN_MODEL = 'long-train.lstm.unroll.json';
export const LONG_TRAIN_TEXT = `// An LSTM on the adding problem (lag 50) with many epochs: long enough to watch the loss fall, then cancel.
{
  "data": "adding-lag50.csv",
  "task": "seq-to-one",
  "inputs": ["value", "marker"],
  "targets": ["target"],
  "cell": "lstm",
  "hidden": 32,
  "window": 51,
  "optimizer": { "kind": "adam", "lr": 0.01 },
  "epochs": 5000,
  "seed": 0
}
`;

/** "reaches about 11 steps back" or "keeps more than 1/1000 of its size across all 50 steps measured". */
const NAMES_HORIZON = /reaches about (\d+) steps? back|across all (\d+) steps? measured/;

const analyzeFromExplorer: Flow = {
  name: '1. right-click adding-lag50.csv → Analyze Sequence File: the panel draws the heatmap and names the memory horizon',
  async run({ page, timing, log }) {
    const row = await showInExplorer(page, 'adding-lag50.csv');
    await screenshot(page, 'workbench-ready');
    // The menu item appears once the extension host has registered Unroll's contributions (~15 s after load).
    let clickedAt = 0;
    await contextMenuCommand(page, row, 'Analyze Sequence File');
    clickedAt = Date.now();
    const frame = await unrollFrame(page, 60_000);
    const state = await until(
      'the panel to show an analysis',
      async () => {
        const s = await panelState(frame);
        return s.headline !== 'Unroll' && s.facts.cell ? s : undefined;
      },
      60_000,
      25,
    );
    timing('analyze: menu click → panel shows the Result', Date.now() - clickedAt);
    log(`panel headline: ${state.headline}`);
    log(
      `panel facts: ${Object.entries(state.facts)
        .map(([k, v]) => `${k}: ${v}`)
        .join(' · ')}`,
    );
    assert.match(state.headline, NAMES_HORIZON, 'the summary sentence names the memory horizon');
    assert.match(state.facts.steps ?? '', /^51\b/, 'the adding-lag50 window is 51 steps');

    await showPanelView(frame, 'heatmap');
    const cells = await until(
      'heatmap cells drawn',
      async () => {
        const p = await colormapPixels(frame, 'heatmap');
        return isHeatmap(p) ? p : undefined;
      },
      15_000,
    );
    log(`heatmap: ${cells.colors} colormap colors on ${(100 * cells.share).toFixed(0)}% of the canvas`);
    const tab = page.locator('.tabs-container .tab').filter({ hasText: /^Unroll/ });
    assert.ok(await tab.first().isVisible(), "the panel's tab is in the editor area");
    log(`panel tab: ${(await tab.first().innerText()).trim()}`);
    await screenshot(page, 'analyze-heatmap');
  },
};

const trainFromPalette: Flow = {
  name: '2. palette → Train Model on an LSTM model file: the notification counts epochs, the loss chart grows, Cancel stops it',
  async run(ctx) {
    try {
      await train(ctx);
    } finally {
      // Never leave a training running into the next flow.
      if ((await notificationToast(ctx.page, /Unroll: training/).count()) > 0)
        await runCommand(ctx.page, 'Unroll: Stop').catch(() => {});
    }
  },
};

async function train({ page, timing, log }: FlowContext): Promise<void> {
  await openFromExplorer(page, LONG_TRAIN_MODEL);
  await runCommand(page, 'Unroll: Train Model');
  const pressedAt = Date.now();
  const toast = notificationToast(page, /Unroll: training/);
  const first = await until(
    'the training notification with an epoch count',
    async () => {
      const text = await toastText(toast);
      return /epoch (\d+)\/5000/.test(text) ? text : undefined;
    },
    60_000,
    50,
  );
  timing('train: command → notification shows an epoch', Date.now() - pressedAt);
  log(`notification: ${first}`);

  let frame = await unrollFrame(page, 30_000);
  // The panel may have been hidden behind the model file's editor and come back as a new webview: find it again.
  const trainingShown = await until(
    'the panel to switch to its Training view',
    async () => {
      const f = await findUnrollFrame(page);
      if (f && (await panelState(f)).view === 'training') return f;
      return undefined;
    },
    30_000,
    100,
  ).catch(async (error: unknown) => {
    const f = await findUnrollFrame(page);
    const s = f ? await panelState(f) : undefined;
    throw new Error(
      `${message(error)}; the panel shows view "${s?.view}" titled "${await panelTab(page)
        .innerText()
        .catch(() => '?')}", headline "${s?.headline}"`,
    );
  });
  frame = trainingShown;
  const epochsShown = async () =>
    Number(/Training over (\d+) of 5000 epochs/.exec(await viewDescription(frame, 'training'))?.[1] ?? 0);
  const e1 = await until(
    'the loss chart to show an epoch',
    async () => ((await epochsShown()) >= 1 ? epochsShown() : undefined),
    60_000,
    50,
  );
  timing('train: command → first point in the loss chart', Date.now() - pressedAt);
  const fp1 = await canvasFingerprint(frame, 'training');
  await screenshot(page, 'train-running-early');
  const e2 = await until(
    'the loss chart to grow by a few epochs',
    async () => {
      const e = await epochsShown();
      return e >= e1 + 3 ? e : undefined;
    },
    90_000,
    200,
  );
  const fp2 = await canvasFingerprint(frame, 'training');
  assert.notEqual(fp2, fp1, 'the chart was redrawn as epochs arrived');
  const later = await toastText(toast);
  const n1 = Number(/epoch (\d+)\//.exec(first)?.[1]);
  const n2 = Number(/epoch (\d+)\//.exec(later)?.[1]);
  assert.ok(n2 > n1, `the notification counts up (${first} → ${later})`);
  log(`loss chart: epoch ${e1} → ${e2}; notification: epoch ${n1} → ${n2}`);
  const chart = await canvasStats(frame, 'training');
  assert.ok(chart.colors > 10 && chart.differing > 0.01, 'the loss chart has drawn curves');
  await screenshot(page, 'train-running');

  // Cancel, in the notification (a person may have to hover it for the button to show; clicking finds it anyway).
  await toast.first().hover();
  const cancel = toast.first().locator('.monaco-button', { hasText: 'Cancel' });
  await cancel.click();
  const cancelledAt = Date.now();
  await until('the training notification to go away', async () => (await toast.count()) === 0, 30_000, 25);
  timing('train: Cancel → notification closed', Date.now() - cancelledAt);
  // When the run has ended, the panel shows the trained model's analysis, with a note on how training ended.
  const note = await until(
    'the panel to say training was cancelled',
    async () => {
      const f = (await findUnrollFrame(page)) ?? frame;
      const notes = await f.evaluate(() => document.querySelector('ul.notes')?.textContent ?? '');
      return /epoch\(s\) of training \(cancelled[;)]/.exec(notes)?.[0];
    },
    30_000,
    50,
  );
  timing('train: Cancel → panel shows the cancelled run', Date.now() - cancelledAt);
  const settled = await epochsShown();
  await sleep(2_000); // watch for epochs still arriving after the run ended
  const after = await epochsShown();
  assert.equal(after, settled, `no epochs arrive after the run ended (${settled} then ${after})`);
  assert.ok(settled < 5000, 'training stopped before its last epoch');
  log(`cancelled at epoch ${settled} of 5000; the panel's notes say "${note}"`);
  await screenshot(page, 'train-cancelled');
}

const editSaveRedraw: Flow = {
  name: '3. edit "cell" in a model file and save: the panel redraws as LSTM; an invalid value shows in Problems and keeps the last picture, marked stale',
  async run({ page, workspace, timing, log }) {
    const file = 'adding-lag50.rnn.unroll.json';
    await openFromExplorer(page, file);
    // Analyze it from the editor title's button (the pulse icon).
    const analyzeButton = page
      .locator('.editor-group-container.active .editor-actions .action-label[aria-label*="Analyze Sequence File"]')
      .first();
    await until('the Analyze button in the editor title', () => analyzeButton.isVisible(), 30_000);
    await analyzeButton.click();
    await until(
      'the panel to show the RNN',
      async () => {
        const f = await findUnrollFrame(page);
        return f && (await panelState(f)).facts.cell?.startsWith('RNN');
      },
      60_000,
    );
    // To watch the panel while editing, a person puts it beside the editor when it shares the editor's group.
    const sameGroup = page
      .locator('.editor-group-container')
      .filter({ has: panelTab(page) })
      .filter({ has: page.locator(`.tab[aria-label*="${file}"]`) });
    if ((await sameGroup.count()) > 0) {
      await panelTab(page).click();
      await runCommand(page, 'View: Move Editor into Right Group');
      log('moved the panel into the group to the right of the editor');
    }
    await until(
      `${file} and the panel side by side`,
      async () => (await editorLine(page, file, '"cell"').first().isVisible()) && (await panelTab(page).isVisible()),
      30_000,
    );
    const frame = await until(
      'the panel beside the editor',
      async () => {
        const f = await findUnrollFrame(page);
        return f && (await panelState(f)).facts.cell?.startsWith('RNN') ? f : undefined;
      },
      60_000,
    );
    await showPanelView(frame, 'heatmap');
    const rnnPicture = await canvasFingerprint(frame, 'heatmap');
    const rnn = await panelState(frame);
    log(`before: ${rnn.facts.cell} · ${rnn.headline}`);

    // rnn → lstm: double-click the value, type, save.
    await selectWordOnLine(page, file, '"cell"', '"rnn"');
    await page.keyboard.type('lstm', { delay: 20 });
    await press(page, 'Escape'); // the schema's completion list, if it opened
    await until('the editor to show "lstm"', async () => (await editorLine(page, file, '"lstm"').count()) > 0, 10_000);
    await recordWhen(frame, 'lstm', { cell: 'LSTM' });
    await press(page, 'Control+S');
    const savedAt = Date.now();
    const drawnAt = await recordedAt(frame, 'lstm', 'the panel to redraw with the LSTM', 60_000);
    timing('edit: Ctrl+S (rnn → lstm) → panel redrawn', drawnAt - savedAt);
    assert.ok(readFileSync(join(workspace, file), 'utf8').includes('"cell": "lstm"'), 'the file on disk says lstm');
    await until(
      'the heatmap to show the LSTM',
      async () => (await canvasFingerprint(frame, 'heatmap')) !== rnnPicture,
      15_000,
    );
    const lstm = await panelState(frame);
    log(`after save: ${lstm.facts.cell} · ${lstm.headline}`);
    assert.ok(!lstm.stale, 'a good save is not stale');
    const lstmPicture = await canvasFingerprint(frame, 'heatmap');
    await until(
      "the panel's tab title to name the LSTM",
      () => page.locator('.tabs-container .tab', { hasText: 'Unroll: LSTM' }).first().isVisible(),
      15_000,
    );
    await screenshot(page, 'edit-lstm-redrawn');

    // Two more saves (lstm → gru → lstm) for more than one save → redraw sample.
    for (const [from, to] of [
      ['lstm', 'gru'],
      ['gru', 'lstm'],
    ]) {
      await selectWordOnLine(page, file, '"cell"', `"${from}"`);
      await page.keyboard.type(to, { delay: 20 });
      await press(page, 'Escape');
      await recordWhen(frame, to, { cell: to.toUpperCase() });
      await press(page, 'Control+S');
      const at = Date.now();
      timing(
        `edit: Ctrl+S (${from} → ${to}) → panel redrawn`,
        (await recordedAt(frame, to, `the panel to redraw with the ${to.toUpperCase()}`, 60_000)) - at,
      );
    }

    // lstm → an invalid value: a diagnostic, and the picture stays (marked stale).
    await selectWordOnLine(page, file, '"cell"', '"lstm"');
    await page.keyboard.type('banana', { delay: 20 });
    await press(page, 'Escape');
    await recordWhen(frame, 'stale', { stale: true });
    await press(page, 'Control+S');
    const badSavedAt = Date.now();
    const staleAt = await recordedAt(frame, 'stale', 'the panel to be marked stale', 60_000);
    timing('edit: Ctrl+S (invalid cell) → panel marked stale', staleAt - badSavedAt);
    const stale = await panelState(frame);
    log(`stale banner: ${stale.staleText}`);
    assert.match(stale.staleText, /banana|cell/i, 'the stale banner names the problem');
    assert.equal(stale.headline, lstm.headline, 'the last good headline stays');
    assert.ok(stale.facts.cell?.startsWith('LSTM'), 'the last good facts stay');
    assert.equal(await canvasFingerprint(frame, 'heatmap'), lstmPicture, 'the last good heatmap stays on screen');
    assert.ok(isHeatmap(await colormapPixels(frame, 'heatmap')), 'the kept heatmap still has data pixels');

    await problemsStatus(page).click();
    const unrollProblem = await until(
      'an Unroll diagnostic in the Problems panel',
      async () => {
        const rows = await problemRows(page);
        return rows.find((r) => /unroll/i.test(r) && /banana|cell/i.test(r));
      },
      30_000,
    );
    log(`Problems panel: ${unrollProblem}`);
    await screenshot(page, 'edit-invalid-problems-stale');

    // Fix it again: the diagnostic clears and the panel is current.
    await selectWordOnLine(page, file, '"cell"', '"banana"');
    await page.keyboard.type('lstm', { delay: 20 });
    await press(page, 'Escape');
    await recordWhen(frame, 'fixed', { stale: false, cell: 'LSTM' });
    await press(page, 'Control+S');
    const fixedSavedAt = Date.now();
    const fixedAt = await recordedAt(frame, 'fixed', 'the panel to be current again', 60_000);
    timing('edit: Ctrl+S (fixed) → panel current again', fixedAt - fixedSavedAt);
    await until(
      'the Unroll diagnostic to clear',
      async () => !(await problemRows(page)).some((r) => /unroll/i.test(r) && /banana/i.test(r)),
      30_000,
    );
    await press(page, 'Control+J'); // hide the panel area again (Problems), as a person tidies up
    await screenshot(page, 'edit-fixed');
  },
};

const reloadRestores: Flow = {
  name: '4. Developer: Reload Window: the panel comes back with its Result, view and selected step',
  async run({ page, timing, log }) {
    let frame = await unrollFrame(page, 30_000);
    if (!(await panelState(frame)).facts.cell)
      throw new Error('flow 4 needs an analysis on screen (flow 3 leaves one)');
    await showPanelView(frame, 'flow');
    // Select a step: click in the flow matrix, then step with the keyboard.
    const canvas = frame.locator('section.view[data-view="flow"] canvas');
    const box = (await canvas.boundingBox())!;
    await canvas.click({ position: { x: box.width * 0.4, y: box.height * 0.5 } });
    await canvas.focus();
    await press(page, 'End');
    for (let i = 0; i < 7; i++) await press(page, 'ArrowLeft');
    const last = Number((await panelState(frame)).facts.steps?.split(' ')[0]) - 1;
    const before = await until(
      `step ${last - 7} selected (End, then ← 7 times)`,
      async () => {
        const s = await panelState(frame);
        return s.step === String(last - 7) ? s : undefined;
      },
      10_000,
    );
    log(`before reload: view ${before.view}, step ${before.step}, ${before.facts.cell}`);
    await sleep(1_000); // the panel saves its state 200 ms after the last change
    await screenshot(page, 'reload-before');

    await page
      .locator('.monaco-workbench')
      .click({ position: { x: 700, y: 5 } })
      .catch(() => {}); // focus the workbench, not the webview
    await runCommand(page, 'Developer: Reload Window');
    const reloadedAt = Date.now();
    await page.waitForEvent('load', { timeout: 60_000 }).catch(() => {});
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    frame = await until(
      'the restored panel with its Result',
      async () => {
        const f = await findUnrollFrame(page);
        if (!f) return undefined;
        const s = await panelState(f).catch(() => undefined);
        return s?.facts.cell ? f : undefined;
      },
      120_000,
      200,
    );
    timing('reload: command → panel restored with its picture', Date.now() - reloadedAt);
    const after = await panelState(frame);
    log(`after reload: view ${after.view}, step ${after.step}, ${after.facts.cell}`);
    assert.equal(after.view, before.view, 'the same view is selected');
    assert.equal(after.step, before.step, 'the same step is selected');
    assert.equal(after.headline, before.headline, 'the same summary');
    assert.equal(after.facts.cell, before.facts.cell, 'the same model');
    const flow = await canvasStats(frame, 'flow');
    assert.ok(flow.colors > 20 && flow.differing > 0.05, 'the flow matrix is drawn');
    // The extension re-analyzes the restored source: the panel is live, not a picture of the past.
    await until('the restored panel to finish re-analyzing', async () => (await panelState(frame)).busy === '', 60_000);
    await screenshot(page, 'reload-restored');
  },
};

const exportReport: Flow = {
  name: '5. Export Report: the save dialog takes a typed path; the HTML opens offline in Chromium and shows the same views',
  async run({ page, browser, workspace, timing, log }) {
    const frame = await unrollFrame(page, 30_000);
    const panel = await until(
      'an analysis in the panel',
      async () => {
        const s = await panelState(frame);
        return s.facts.cell && !s.busy ? s : undefined;
      },
      60_000,
    );
    const target = join(workspace, 'e2e-report.html');
    await page
      .locator('.monaco-workbench')
      .click({ position: { x: 700, y: 5 } })
      .catch(() => {});
    await runCommand(page, 'Unroll: Export Report');
    // code-server's save dialog is VS Code's simple file dialog: a quick input holding a path.
    const box = quickInputBox(page);
    await until('the save dialog', async () => /\.html$/.test(await box.inputValue().catch(() => '')), 30_000);
    log(`save dialog proposed: ${await box.inputValue()}`);
    await screenshot(page, 'export-save-dialog');
    await box.press('Control+A');
    await page.keyboard.type(target, { delay: 5 });
    await until('the dialog to take the typed path', async () => (await box.inputValue()) === target, 10_000);
    await press(page, 'Enter');
    const savedAt = Date.now();
    // A path outside the list may ask to confirm; the simple dialog accepts on a second Enter.
    await until(
      'the report file',
      async () => {
        if (existsSync(target)) return true;
        const v = await box.isVisible().catch(() => false);
        if (v && (await box.inputValue().catch(() => '')) === target) await press(page, 'Enter');
        return false;
      },
      30_000,
      250,
    );
    await until('the report JSON beside it', () => existsSync(target.replace(/\.html$/, '.json')), 30_000);
    timing('export: Enter in the save dialog → report on disk', Date.now() - savedAt);
    await closeQuickInput(page);
    const kept = join(artifactsDir, 'e2e-report.html');
    copyFileSync(target, kept);
    log(`report: ${(readFileSync(target).length / 1024).toFixed(0)} KiB, kept as ${kept}`);

    // Offline: a fresh context with the network off; any request that is not file:// counts as a failure.
    const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
    try {
      const report = await context.newPage();
      const requests: string[] = [];
      report.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
          requests.push(r.url());
      });
      const errors: string[] = [];
      report.on('pageerror', (e) => errors.push(e.message));
      await report.goto('file://' + target);
      const main = report.mainFrame();
      await until('the report to show its analysis', async () => (await panelState(main)).facts.cell, 30_000);
      const shown = await panelState(main);
      log(`report headline: ${shown.headline}`);
      assert.equal(shown.headline, panel.headline, 'the report says what the panel says');
      assert.deepEqual(shown.facts, panel.facts, 'the same facts');
      assert.deepEqual(shown.views, panel.views, 'the same views');
      await showPanelView(main, 'heatmap');
      assert.ok(isHeatmap(await colormapPixels(main, 'heatmap')), 'the report draws the heatmap');
      await report.screenshot({ path: join(artifactsDir, 'report-offline-heatmap.png') });
      for (const view of ['unrolled', 'flow', 'decay', 'whh']) {
        await showPanelView(main, view);
        const s = await canvasStats(main, view);
        assert.ok(s.colors > 10 && s.differing > 0.01, `the report draws the ${view} view`);
      }
      await showPanelView(main, 'unrolled');
      await report.screenshot({ path: join(artifactsDir, 'report-offline-unrolled.png') });
      assert.deepEqual(requests, [], 'the report makes no network requests');
      assert.deepEqual(errors, [], 'the report runs without errors');
    } finally {
      await context.close();
    }
  },
};

/** The walkthrough contributed in package.json, and its step on exploding gradients and clipping. */
const WALKTHROUGH_TITLE = 'Unroll: backpropagation through time, step by step';
const CLIPPING_STEP = 'exploding';
const CLIPPING_BUTTON = 'Train both and compare';

const walkthroughClipping: Flow = {
  name: '6. the walkthrough\'s "exploding and clipping" step: one click trains exploding and exploding-clipped, and the Compare tab shows both runs',
  async run({ page, timing, log }) {
    await page
      .locator('.monaco-workbench')
      .click({ position: { x: 700, y: 5 } })
      .catch(() => {}); // the workbench has focus, not a webview
    await runCommand(page, 'Welcome: Open Walkthrough');
    // The list holds VS Code's own walkthroughs too: type to narrow it, as a person would.
    const box = quickInputBox(page);
    await until(
      'the list of walkthroughs (the palette gone)',
      async () => (await box.isVisible()) && !(await box.inputValue()).startsWith('>'),
      15_000,
    );
    await box.fill('backpropagation through time', { timeout: 15_000 });
    const row = quickInputRow(page, WALKTHROUGH_TITLE);
    await until(`"${WALKTHROUGH_TITLE}" among the walkthroughs`, async () => (await row.count()) > 0, 30_000);
    await row.first().click();
    // Step ids are "<extension>#<walkthrough>#<step>".
    const step = page.locator(`button.getting-started-step[data-step-id$="#${CLIPPING_STEP}"]`);
    await until('the walkthrough with its clipping step', () => step.first().isVisible(), 30_000);
    await screenshot(page, 'walkthrough-open');
    await step.first().click();
    const description = page.locator(`.step-description-container[x-step-description-for$="#${CLIPPING_STEP}"]`);
    const button = description.locator('.monaco-button', { hasText: CLIPPING_BUTTON });
    await until(`the "${CLIPPING_BUTTON}" button of the expanded step`, () => button.first().isVisible(), 15_000);
    log(`step text: ${(await description.first().innerText()).replace(/\s+/g, ' ').slice(0, 200)}`);
    await screenshot(page, 'walkthrough-clipping-step');
    await button.first().click();
    const clickedAt = Date.now();

    // Both runs train (the model files' 20 epochs each) and arrive together; the panel switches to its Compare tab.
    const frame = await until(
      'the panel to show its Compare tab',
      async () => {
        const f = await findUnrollFrame(page);
        return f && (await panelState(f)).view === 'compare' ? f : undefined;
      },
      180_000,
      200,
    );
    const text = await until(
      'both runs named in the Compare tab',
      async () => {
        const t = await frame.evaluate(
          () => document.querySelector('section.view[data-view="compare"]')?.textContent ?? '',
        );
        return /exploding-clipped/.test(t) && /exploding(?!-clipped)/.test(t) ? t.replace(/\s+/g, ' ') : undefined;
      },
      180_000,
      250,
    );
    timing('walkthrough: click "Train both and compare" → both runs in the Compare tab', Date.now() - clickedAt);
    log(`compare tab: ${text.slice(0, 300)}`);
    const drawn = await canvasStats(frame, 'compare');
    assert.ok(drawn.colors > 10 && drawn.differing > 0.01, 'the Compare tab draws the runs');
    await screenshot(page, 'walkthrough-clipping-compare');
    // The panel may have opened in the walkthrough's editor group and hidden it: bring the walkthrough back, as a
    // person would, to see its steps' ticks.
    await page.locator('.tabs-container .tab', { hasText: 'Welcome' }).first().click();
    // This step is now done, and only this one: the gates step uses the same command on other files.
    const done = (id: string) => page.locator(`[data-done-step-id$="#${id}"]`).first().getAttribute('aria-checked');
    await until('the clipping step marked done', async () => (await done(CLIPPING_STEP)) === 'true', 15_000);
    assert.equal(await done('gates'), 'false', 'the gates step is not marked done by the clipping step');
    await screenshot(page, 'walkthrough-clipping-done');
  },
};

/** Write (or append to) `<workspace>/<name>.unroll-trace` with real PyTorch (test/trace/make_trace.py, /usr/bin/python3 + torch). */
async function writeTrace(workspace: string, name: string, options: Record<string, unknown>): Promise<void> {
  await promisify(execFile)(
    '/usr/bin/python3',
    [join(repoRoot, 'test/trace/make_trace.py'), workspace, JSON.stringify([{ name, ...options }])],
    { timeout: 120_000 },
  );
}

/** What the panel's timeline shows: the snapshot on screen, how many snapshots, and the replay line. */
async function timelineState(
  frame: Frame,
): Promise<{ shown: string; snapshots: string; replay: string; state: string }> {
  return frame.evaluate(() => {
    const root = document.querySelector('section.view[data-view="timeline"]') as HTMLElement | null;
    const line = document.querySelector('header .replay') as HTMLElement | null;
    return {
      shown: root?.dataset.shown ?? '',
      snapshots: root?.dataset.snapshots ?? '',
      replay: line && !line.hidden ? (line.querySelector('.replay-text')?.textContent ?? '') : '',
      state: line?.dataset.state ?? '',
    };
  });
}

const traceTimeline: Flow = {
  name: '7. right-click a *.unroll-trace folder → Analyze PyTorch Trace: the timeline and the replay line; ← on the snapshot slider replays the previous snapshot; a snapshot PyTorch appends shows up',
  async run({ page, workspace, timing, log }) {
    const options = { mode: 'LSTM', T: 12, hidden_size: 8 };
    await writeTrace(workspace, 'traced', { ...options, steps: [100, 200, 300] });
    const row = await showInExplorer(page, 'traced.unroll-trace');
    await contextMenuCommand(page, row, 'Analyze PyTorch Trace');
    const clickedAt = Date.now();
    const frame = await until(
      'the panel to show the trace on its timeline',
      async () => {
        const f = await findUnrollFrame(page);
        if (!f || (await panelState(f)).view !== 'timeline') return undefined;
        const t = await timelineState(f);
        return t.shown === '300' ? f : undefined;
      },
      90_000,
      200,
    );
    timing('trace: menu click → timeline of the latest snapshot', Date.now() - clickedAt);
    const first = await timelineState(frame);
    log(`replay line: ${first.replay}`);
    assert.equal(first.snapshots, '3');
    assert.equal(first.state, 'ok');
    assert.match(
      first.replay,
      /^Replay of PyTorch step 300: gradients match PyTorch to \d\.\de-\d\d \(float32, bound 1e-05\)$/,
    );
    const drawn = await canvasStats(frame, 'timeline');
    assert.ok(drawn.colors > 10 && drawn.differing > 0.01, 'the timeline is drawn');
    await screenshot(page, 'trace-timeline');

    // The slider, with the keyboard: the previous snapshot is replayed and shown.
    await frame.focus('section.view[data-view="timeline"] input.snapshot-slider');
    const pickedAt = Date.now();
    await page.keyboard.press('ArrowLeft');
    await until('the panel to show step 200', async () => (await timelineState(frame)).shown === '200', 60_000, 100);
    timing('trace: ← on the snapshot slider → the previous snapshot on screen', Date.now() - pickedAt);
    await page.keyboard.press('End');
    await until(
      'the panel to follow the latest snapshot again',
      async () => (await timelineState(frame)).shown === '300',
      60_000,
      100,
    );

    // Training goes on: PyTorch appends step 400, and the panel follows.
    await writeTrace(workspace, 'traced', { ...options, steps: [400], seed: 1 });
    const appendedAt = Date.now();
    await until(
      'the panel to show the appended step 400',
      async () => {
        const t = await timelineState(frame);
        return t.shown === '400' && t.snapshots === '4';
      },
      60_000,
      100,
    );
    timing(
      'trace: the writer exited → the panel shows its appended snapshot (it may already have: the index line comes before the exit)',
      Date.now() - appendedAt,
    );
    await screenshot(page, 'trace-appended');
  },
};

export const flows: Flow[] = [
  analyzeFromExplorer,
  trainFromPalette,
  editSaveRedraw,
  reloadRestores,
  exportReport,
  walkthroughClipping,
  traceTimeline,
];
