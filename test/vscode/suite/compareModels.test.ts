// Compare Model Files: the walkthrough's "exploding and clipping" step trains two model files side by side and shows
// them in the panel's Compare tab.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { renderedAtLeast, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;

describe('compare model files', () => {
  it('trains exploding and exploding-clipped side by side; each run is labelled and carries its training', async () => {
    const api = await unroll();
    const files = ['exploding.rnn.unroll.json', 'exploding-clipped.rnn.unroll.json'].map((n) =>
      vscode.Uri.file(join(root, n)),
    );
    const results = await vscode.commands.executeCommand<AnalysisResult[] | undefined>(
      'unroll.compareModels',
      files,
      3,
    );
    assert.ok(results, `no comparison (problems: ${JSON.stringify(api.lastProblems())})`);
    assert.deepEqual(
      results.map((r) => r.meta.label),
      ['exploding.rnn.unroll.json', 'exploding-clipped.rnn.unroll.json'],
    );
    for (const r of results) {
      assert.ok(r.training, `${r.meta.label} carries its training`);
      assert.equal(r.training.epochs, r.training.reason === 'nonFinite' ? r.training.history.length : 3);
      assert.equal(r.meta.weights?.kind, 'trained');
    }
    // Only the clipped file clips, and it does on these gradients.
    const clippedBatches = (r: AnalysisResult) => r.training!.history.reduce((s, p) => s + p.clipped, 0);
    assert.equal(clippedBatches(results[0]), 0);
    assert.ok(clippedBatches(results[1]) > 0);
    assert.equal(api.lastCompare(), results);
    assert.equal(api.training(), false, 'no training thread left running');
    await waitFor('the panel to draw the comparison', renderedAtLeast(api, api.resultGeneration()));

    // Export Report carries both trained runs, and never writes over the second run's model file.
    const second = files[1].fsPath;
    const before = readFileSync(second, 'utf8');
    assert.equal(await vscode.commands.executeCommand('unroll.exportReport', files[1]), undefined);
    assert.equal(readFileSync(second, 'utf8'), before);
    const target = vscode.Uri.file(join(root, 'exported', 'exploding-compare.html'));
    assert.equal(
      (await vscode.commands.executeCommand<vscode.Uri | undefined>('unroll.exportReport', target))?.fsPath,
      target.fsPath,
    );
    const numbers = JSON.parse(readFileSync(join(root, 'exported', 'exploding-compare.json'), 'utf8'));
    assert.deepEqual(
      numbers.results.map((r: any) => [
        r.meta.label,
        r.training.reason === results[numbers.results.indexOf(r)].training!.reason,
      ]),
      [
        ['exploding.rnn.unroll.json', true],
        ['exploding-clipped.rnn.unroll.json', true],
      ],
    );
  });

  it('takes names relative to the workspace (as a walkthrough link gives them) and epochs 0 compares at initialization', async () => {
    const results = await vscode.commands.executeCommand<AnalysisResult[] | undefined>(
      'unroll.compareModels',
      ['exploding.rnn.unroll.json', 'exploding-clipped.rnn.unroll.json'],
      0,
    );
    assert.ok(results);
    assert.deepEqual(
      results.map((r) => [r.meta.label, r.meta.weights?.kind, r.training]),
      [
        ['exploding.rnn.unroll.json', 'initialization', undefined],
        ['exploding-clipped.rnn.unroll.json', 'initialization', undefined],
      ],
    );
  });
});
