import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { renderedAtLeast, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;
const model = () =>
  vscode.Uri.file(
    join(
      root,
      readdirSync(root)
        .filter((n) => n.endsWith('.unroll.json'))
        .sort()[0],
    ),
  );

describe('compare and export', () => {
  it('Compare Cells runs rnn, lstm and gru on the same data and the panel draws them', async () => {
    const api = await unroll();
    assert.ok(await vscode.commands.executeCommand('unroll.analyze', model()));
    const results = await vscode.commands.executeCommand<AnalysisResult[] | undefined>('unroll.compare', [
      'rnn',
      'lstm',
      'gru',
    ]);
    assert.ok(results, `no comparison (problems: ${JSON.stringify(api.lastProblems())})`);
    assert.deepEqual(
      results.map((r) => r.model.cell),
      ['rnn', 'lstm', 'gru'],
    );
    assert.equal(new Set(results.map((r) => r.meta.steps)).size, 1, 'same data, same steps');
    assert.equal(api.lastCompare(), results);
    await waitFor('the panel to draw the comparison', renderedAtLeast(api, api.resultGeneration()));
  });

  it('Export Report writes the HTML report and the numbers as JSON where it was told', async () => {
    const api = await unroll();
    const result = await vscode.commands.executeCommand<AnalysisResult | undefined>('unroll.analyze', model());
    assert.ok(result);
    const target = vscode.Uri.file(join(root, 'exported', 'report.html'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('unroll.exportReport', target);
    assert.equal(written?.fsPath, target.fsPath);
    const html = readFileSync(target.fsPath, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /Content-Security-Policy/);
    const numbers = JSON.parse(readFileSync(join(root, 'exported', 'report.json'), 'utf8'));
    assert.equal(numbers.loss, api.lastResult()!.loss);
    assert.equal(numbers.dLdh.length, result.meta.steps);
  });

  it('Export Report refuses to write onto the files it shows, or over a JSON file it did not write', async () => {
    const result = await vscode.commands.executeCommand<AnalysisResult | undefined>('unroll.analyze', model());
    assert.ok(result);
    const modelBefore = readFileSync(model().fsPath, 'utf8');
    assert.equal(await vscode.commands.executeCommand('unroll.exportReport', model()), undefined);
    assert.equal(readFileSync(model().fsPath, 'utf8'), modelBefore);
    const foreign = join(root, 'exported', 'notes.json');
    mkdirSync(join(root, 'exported'), { recursive: true });
    writeFileSync(foreign, '{ "mine": true }');
    assert.equal(
      await vscode.commands.executeCommand(
        'unroll.exportReport',
        vscode.Uri.file(join(root, 'exported', 'notes.html')),
      ),
      undefined,
    );
    assert.equal(readFileSync(foreign, 'utf8'), '{ "mine": true }');
    assert.ok(!existsSync(join(root, 'exported', 'notes.html')), 'nothing half-exported');
  });

  it('Open Examples copies the packaged examples into the chosen folder', async () => {
    const target = vscode.Uri.file(join(root, 'copied-examples'));
    await vscode.workspace.fs.createDirectory(target);
    await vscode.commands.executeCommand('unroll.openExamples', target);
    const copied = readdirSync(target.fsPath);
    assert.ok(
      copied.some((n) => n.endsWith('.unroll.json')),
      `copied: ${copied.join(', ')}`,
    );
    for (const name of copied) assert.ok(existsSync(join(target.fsPath, name)));
  });
});
