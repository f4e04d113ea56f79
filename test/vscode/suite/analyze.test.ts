import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { renderedAtLeast, report, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;
const names = readdirSync(root).sort();
const models = names.filter((n) => n.endsWith('.unroll.json'));
const data = names.filter((n) => /\.(csv|tsv|txt|npy)$/.test(n) || (n.endsWith('.json') && !n.endsWith('.unroll.json')));

describe('Analyze on each example', () => {
  const firstPicture: Record<string, number> = {};
  after(() => report('commandToFirstPictureMs', firstPicture));

  it('the examples workspace has model files and data files', () => {
    assert.ok(models.length > 0, `no *.unroll.json in ${root}`);
    assert.ok(data.length > 0, `no sequence file in ${root}`);
  });

  for (const name of [...models, ...data]) {
    it(`${name}: the command returns a Result and the panel draws it`, async () => {
      const api = await unroll();
      const before = api.resultGeneration();
      const started = performance.now();
      const result = await vscode.commands.executeCommand<AnalysisResult | undefined>('unroll.analyze', vscode.Uri.file(join(root, name)));
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
