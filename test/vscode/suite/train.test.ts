import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { TrainDoneMessage } from '../../../src/protocol/messages';
import { report, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;

/** A sine series longer than 2048 steps and an LSTM model file whose window takes T = 2048 of it. */
function longSeries(): vscode.Uri {
  const dir = join(root, 'generated');
  mkdirSync(dir, { recursive: true });
  const rows = ['x'];
  for (let t = 0; t < 2100; t++) rows.push((Math.sin(t / 7) + 0.3 * Math.sin(t / 31)).toFixed(6));
  writeFileSync(join(dir, 'long2048.csv'), rows.join('\n') + '\n');
  const model = { data: './long2048.csv', task: 'next-step', cell: 'lstm', hidden: 32, window: 2048, epochs: 4, seed: 1 };
  const path = join(dir, 'long2048.unroll.json');
  writeFileSync(path, JSON.stringify(model, null, 2));
  return vscode.Uri.file(path);
}

describe('training', () => {
  it('Stop ends a running training within 100 ms', async () => {
    const api = await unroll();
    const model = readdirSync(root).filter((n) => n.endsWith('.unroll.json')).sort().find((n) => n.includes('lstm')) ?? readdirSync(root).find((n) => n.endsWith('.unroll.json'));
    assert.ok(model, 'a model file to train');
    const training = vscode.commands.executeCommand<TrainDoneMessage | undefined>('unroll.train', vscode.Uri.file(join(root, model)), { save: false, epochs: 100000 });
    await waitFor('the training to start', () => api.training());
    await new Promise((r) => setTimeout(r, 300)); // let it get into its batches
    const started = performance.now();
    await vscode.commands.executeCommand('unroll.stop');
    const done = await training;
    const stopMs = performance.now() - started;
    report('stopTrainingMs', Math.round(stopMs * 10) / 10);
    assert.equal(done?.reason, 'cancelled');
    assert.equal(api.training(), false);
    assert.ok(stopMs <= 100, `stopped after ${stopMs.toFixed(1)} ms`);
  });

  it('the extension host event loop stays responsive (≤ 50 ms) while a T=2048 LSTM trains', async () => {
    const api = await unroll();
    const uri = longSeries();
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    const done = await vscode.commands.executeCommand<TrainDoneMessage | undefined>('unroll.train', uri, { save: false });
    const trainMs = performance.now() - started;
    delay.disable();
    assert.ok(done, `training failed: ${JSON.stringify(api.lastProblems())}`);
    assert.equal(done.reason, 'finished');
    assert.equal(done.result?.meta.steps, 2048);
    const maxMs = delay.max / 1e6;
    report('eventLoopDuringT2048Training', { maxMs: Math.round(maxMs * 10) / 10, p99Ms: Math.round((delay.percentile(99) / 1e6) * 10) / 10, trainMs: Math.round(trainMs), epochs: done.last?.epoch });
    assert.ok(maxMs <= 50, `event loop blocked for ${maxMs.toFixed(1)} ms`);
  });
});
