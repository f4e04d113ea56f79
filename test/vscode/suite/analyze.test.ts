import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { renderedAtLeast, report, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;
const names = readdirSync(root).sort();
const models = names.filter((n) => n.endsWith('.unroll.json'));
// A JSON file a model names as its "weights" (the paper-bengio1994 examples) is not a sequence file.
const weights = new Set(models.map((n) => /"weights":\s*"([^"]+)"/.exec(readFileSync(join(root, n), 'utf8'))?.[1]));
const data = names.filter(
  (n) => /\.(csv|tsv|txt|npy)$/.test(n) || (n.endsWith('.json') && !n.endsWith('.unroll.json') && !weights.has(n)),
);

describe('Analyze on each example', () => {
  const firstPicture: Record<string, number> = {};
  after(() => report('commandToFirstPictureMs', firstPicture));

  it('the examples workspace has model files and data files', () => {
    assert.ok(models.length > 0, `no *.unroll.json in ${root}`);
    assert.ok(data.length > 0, `no sequence file in ${root}`);
  });

  it('a data file with model files beside it is analyzed with the one for the default cell', async () => {
    const name = data.find((n) => models.includes(n.replace(/\.[^.]+$/, '.rnn.unroll.json')));
    assert.ok(name, 'an example data file with an rnn model beside it');
    const result = await vscode.commands.executeCommand<AnalysisResult | undefined>(
      'unroll.analyze',
      vscode.Uri.file(join(root, name)),
    );
    assert.match(result?.meta.modelFile ?? '', /\.rnn\.unroll\.json$/);
  });

  it('a bare data file is analyzed with defaults and no model file is written unasked', async () => {
    const dir = join(root, 'bare');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'ramp.csv'),
      'x\n' + Array.from({ length: 40 }, (_, t) => (t / 40).toFixed(3)).join('\n') + '\n',
    );
    const result = await vscode.commands.executeCommand<AnalysisResult | undefined>(
      'unroll.analyze',
      vscode.Uri.file(join(dir, 'ramp.csv')),
    );
    assert.ok(result, 'a Result from defaults');
    assert.equal(result.meta.modelFile, undefined);
    assert.equal(result.model.cell, vscode.workspace.getConfiguration('unroll').get('defaultCell'));
    assert.equal(existsSync(join(dir, 'ramp.unroll.json')), false, 'the model file is only offered');
  });

  for (const name of [...models, ...data]) {
    it(`${name}: the command returns a Result and the panel draws it`, async () => {
      const api = await unroll();
      const before = api.resultGeneration();
      const started = performance.now();
      const result = await vscode.commands.executeCommand<AnalysisResult | undefined>(
        'unroll.analyze',
        vscode.Uri.file(join(root, name)),
      );
      assert.ok(result, `no Result (problems: ${JSON.stringify(api.lastProblems())})`);
      assert.ok(Number.isFinite(result.loss), `loss ${result.loss}`);
      assert.ok(result.meta.steps > 0);
      assert.equal(result.dLdh.rows, result.meta.steps);
      assert.equal(result.lossPerStep.length, result.meta.steps);
      assert.equal(api.lastResult(), result);
      const generation = api.resultGeneration();
      assert.ok(generation > before);
      const drawn = await waitFor(`the panel to draw generation ${generation}`, renderedAtLeast(api, generation));
      firstPicture[name] = Math.round(drawn.at - started);
    });
  }
});
