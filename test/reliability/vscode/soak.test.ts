// The soak (issue 10, family 7): for SOAK_MS, in the real VS Code, analyze, edit-and-save the model and the data,
// train and stop mid-run, let a newer training replace a running one, and kill the worker once mid-analysis.
// Afterwards no extra worker thread remains, the panel still answers, and the host's heap has not grown.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { TrainDoneMessage } from '../../../src/protocol/messages';
import type { AnalysisResult } from '../../../src/protocol/result';
import { editAndSave, renderedAtLeast, report, unroll, waitFor, workspaceRoot } from '../../vscode/suite/helpers';

/** How long the soak runs: long enough for dozens of cycles, short enough for CI. */
const SOAK_MS = 120_000;
/** The host's heap low-water mark may grow this much from the middle third to the last third. */
const HEAP_GROWTH_ALLOWED = 1.25;
const HEAP_SLACK_BYTES = 16 * 2 ** 20;

const dir = join(workspaceRoot().fsPath, 'soak');
const uri = (name: string) => vscode.Uri.file(join(dir, name));

function writeSoakFiles(): void {
  mkdirSync(dir, { recursive: true });
  const rows = [
    'value',
    ...Array.from({ length: 300 }, (_, t) => (Math.sin(t / 5) + 0.1 * Math.sin(t / 3)).toFixed(4)),
  ];
  writeFileSync(join(dir, 'soak.csv'), rows.join('\n') + '\n');
  const model = { data: 'soak.csv', task: 'next-step', cell: 'gru', hidden: 12, window: 200, epochs: 20, seed: 0 };
  writeFileSync(join(dir, 'soak.unroll.json'), JSON.stringify(model, null, 2) + '\n');
  // An analysis that computes for about 3 s: the worker is killed in the middle of it.
  const long = ['value', ...Array.from({ length: 1000 }, (_, t) => Math.sin(t / 9).toFixed(4))];
  writeFileSync(join(dir, 'long.csv'), long.join('\n') + '\n');
  const slow = { data: 'long.csv', task: 'next-step', cell: 'lstm', hidden: 640, window: 1000, seed: 0 };
  writeFileSync(join(dir, 'slow.unroll.json'), JSON.stringify(slow, null, 2) + '\n');
}

const analyze = (name: string) =>
  vscode.commands.executeCommand<AnalysisResult | undefined>('unroll.analyze', uri(name));
const train = (epochs: number) =>
  vscode.commands.executeCommand<TrainDoneMessage | undefined>('unroll.train', uri('soak.unroll.json'), {
    save: false,
    epochs,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('soak in the real VS Code', function () {
  this.timeout(SOAK_MS + 120_000);

  it(`analyze, save, train, stop and a killed worker for ${SOAK_MS / 1000} s leave no extra worker, a live panel and a stable heap`, async () => {
    const api = await unroll();
    writeSoakFiles();
    const counts = { cycles: 0, analyses: 0, modelSaves: 0, dataSaves: 0, stops: 0, replacedTrainings: 0, kills: 0 };
    const heap: { at: number; used: number }[] = [];
    let maxWorkers = 0;
    const sampler = setInterval(() => {
      heap.push({ at: performance.now(), used: process.memoryUsage().heapUsed });
      maxWorkers = Math.max(maxWorkers, api.workerCount());
    }, 100);
    const started = performance.now();
    try {
      while (performance.now() - started < SOAK_MS) {
        const cycle = counts.cycles++;
        // Analyze, then change the model and the data through the editor: each save redraws.
        assert.ok(await analyze('soak.unroll.json'), `analysis failed: ${JSON.stringify(api.lastProblems())}`);
        counts.analyses++;
        const hidden = 10 + (cycle % 5);
        await editAndSave(uri('soak.unroll.json'), (text) => text.replace(/"hidden": \d+/, `"hidden": ${hidden}`));
        await waitFor(`a Result with hidden = ${hidden}`, () => api.lastResult()?.model.hidden === hidden);
        counts.modelSaves++;
        const generation = api.resultGeneration();
        await editAndSave(uri('soak.csv'), (text) => text.replace(/\n[^\n]*\n$/, `\n${(cycle % 7) / 10}\n`));
        await waitFor('a Result after the data file was saved', () => api.resultGeneration() > generation);
        counts.dataSaves++;

        // A long training stopped mid-run.
        const long = train(100_000);
        await waitFor('the training to start', () => api.training());
        await sleep(150);
        await vscode.commands.executeCommand('unroll.stop');
        assert.equal((await long)?.reason, 'cancelled');
        counts.stops++;

        // A training replaced by a newer one, which is stopped in turn.
        const first = train(100_000);
        await waitFor('the first training to start', () => api.training());
        await sleep(100);
        const second = train(100_000);
        assert.equal((await first)?.reason, 'cancelled');
        await waitFor('the second training to start', () => api.training());
        await sleep(100);
        await vscode.commands.executeCommand('unroll.stop');
        assert.equal((await second)?.reason, 'cancelled');
        counts.replacedTrainings++;

        if (cycle === 1) {
          // A crash mid-analysis: the run fails with a clear message, and the next one gets a fresh worker.
          const doomed = analyze('slow.unroll.json');
          await sleep(400);
          assert.equal(api.killWorker(), true, 'a view worker to kill');
          assert.equal(await doomed, undefined);
          assert.match(
            api.lastProblems()[0]?.message ?? '',
            /Unroll's worker stopped unexpectedly while analyzing .*slow\.unroll\.json/,
          );
          counts.kills++;
        }
      }
    } finally {
      clearInterval(sampler);
    }

    // The panel still answers: a fresh analysis is drawn.
    const result = await analyze('soak.unroll.json');
    assert.ok(result, `the final analysis failed: ${JSON.stringify(api.lastProblems())}`);
    await waitFor('the panel to draw the final analysis', renderedAtLeast(api, api.resultGeneration()));
    assert.equal(api.training(), false);
    // The view's thread and nothing else: trainings' threads ended with them, the killed one is gone.
    await waitFor('only the view worker to remain', () => api.workerCount() === 1, 5000);

    // The heap's low-water mark (what survives garbage collection) in the middle third against the last third.
    const lowWater = (from: number, to: number) =>
      Math.min(
        ...heap.filter((s) => s.at >= started + from * SOAK_MS && s.at < started + to * SOAK_MS).map((s) => s.used),
      );
    const middle = lowWater(1 / 3, 2 / 3);
    const end = lowWater(2 / 3, 1);
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    report('soak', {
      seconds: SOAK_MS / 1000,
      ...counts,
      maxWorkers,
      heapLowMiddleMB: mb(middle),
      heapLowEndMB: mb(end),
      growth: Math.round((end / middle) * 1000) / 1000,
    });
    assert.equal(counts.kills, 1);
    assert.ok(
      end <= middle * HEAP_GROWTH_ALLOWED + HEAP_SLACK_BYTES,
      `the host's heap grew from ${mb(middle)} MB to ${mb(end)} MB`,
    );
  });
});
