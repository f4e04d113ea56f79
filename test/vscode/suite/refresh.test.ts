import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { editAndSave, median, renderedAtLeast, report, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;
// Model files whose `hidden` these tests can change: not those that name a weights file of fixed shapes (the
// paper-bengio1994 examples), which would then be refused, as they should be.
const models = readdirSync(root)
  .filter((n) => n.endsWith('.unroll.json') && !/"weights"\s*:/.test(readFileSync(join(root, n), 'utf8')))
  .sort();
const HIDDEN = /"hidden"\s*:\s*(\d+)/;

/** The model text with `hidden` set to `value` (added when the file leaves it to the default). */
function withHidden(text: string, value: number): string {
  return HIDDEN.test(text) ? text.replace(HIDDEN, `"hidden": ${value}`) : text.replace('{', `{ "hidden": ${value},`);
}

async function analyzed(name: string): Promise<AnalysisResult> {
  const result = await vscode.commands.executeCommand<AnalysisResult | undefined>(
    'unroll.analyze',
    vscode.Uri.file(join(root, name)),
  );
  assert.ok(result, `${name} did not analyze`);
  return result;
}

function unrollDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'unroll');
}

describe('refresh on save', () => {
  const originals = new Map<string, string>();
  before(() => models.forEach((n) => originals.set(n, readFileSync(join(root, n), 'utf8'))));
  afterEach(async () => {
    // Put every model back, through the editor when it is open so no dirty buffer is left behind.
    for (const [name, text] of originals) {
      const uri = vscode.Uri.file(join(root, name));
      const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === uri.fsPath);
      if (open && open.getText() !== text) await editAndSave(uri, () => text);
      else if (readFileSync(uri.fsPath, 'utf8') !== text) writeFileSync(uri.fsPath, text);
    }
  });

  it('editing hidden in a model file and saving shows the new Result', async () => {
    const api = await unroll();
    const name = models[0];
    const uri = vscode.Uri.file(join(root, name));
    const first = await analyzed(name);
    const hidden = first.model.hidden + 3;
    await editAndSave(uri, (text) => withHidden(text, hidden));
    const fresh = await waitFor(
      `a Result with hidden = ${hidden}`,
      () => api.lastResult()?.model.hidden === hidden && api.lastResult(),
    );
    assert.equal(fresh.hidden.cols, hidden);
    await waitFor('the panel to draw it', renderedAtLeast(api, api.resultGeneration()));
  });

  it('a change on disk (not through the editor) refreshes too', async () => {
    const api = await unroll();
    const name = models[models.length - 1];
    const first = await analyzed(name);
    const hidden = first.model.hidden + 1;
    writeFileSync(join(root, name), withHidden(originals.get(name)!, hidden));
    await waitFor(
      `a Result with hidden = ${hidden} after the file changed on disk`,
      () => api.lastResult()?.model.hidden === hidden,
    );
  });

  it('save → panel updated, for each example model', async () => {
    const api = await unroll();
    // Total = the save call → the panel says it drew. From the save event = from VS Code's onDidSaveTextDocument (the
    // editor's save round trip excluded). Engine = the worker's analysis (meta.elapsedMs). Draw = the webview's own.
    type Latency = {
      medianMs: number;
      samplesMs: number[];
      fromSaveEventMedianMs: number;
      engineMedianMs: number;
      drawMedianMs: number;
    };
    const latencies: Record<string, Latency> = {};
    let savedAt = 0;
    const listener = vscode.workspace.onDidSaveTextDocument(() => (savedAt = performance.now()));
    for (const name of models) {
      const uri = vscode.Uri.file(join(root, name));
      const base = (await analyzed(name)).model.hidden;
      const samples: number[] = [];
      const fromSaveEvent: number[] = [];
      const engine: number[] = [];
      const draw: number[] = [];
      for (let i = 1; i <= 4; i++) {
        const hidden = base + (i % 2);
        const generation = api.resultGeneration();
        const started = performance.now();
        await editAndSave(uri, (text) => withHidden(text, hidden));
        const drawn = await waitFor(`${name}: the panel to draw hidden = ${hidden}`, () => {
          const mark = renderedAtLeast(api, generation + 1)();
          return mark && api.lastResult()?.model.hidden === hidden && mark.generation === api.resultGeneration()
            ? mark
            : undefined;
        });
        samples.push(Math.round(drawn.at - started));
        fromSaveEvent.push(drawn.at - savedAt);
        engine.push(api.lastResult()!.meta.elapsedMs);
        draw.push(drawn.ms);
      }
      const round = (ms: number) => Math.round(ms);
      latencies[name] = {
        medianMs: median(samples),
        samplesMs: samples,
        fromSaveEventMedianMs: round(median(fromSaveEvent)),
        engineMedianMs: round(median(engine)),
        drawMedianMs: round(median(draw)),
      };
    }
    listener.dispose();
    report('saveToPanelUpdatedMs', latencies);
    assert.equal(Object.keys(latencies).length, models.length);
  });

  it('a broken model file shows diagnostics, keeps the last good picture, and clears when fixed', async () => {
    const api = await unroll();
    const name = models[0];
    const uri = vscode.Uri.file(join(root, name));
    const good = await analyzed(name);
    const original = originals.get(name)!;
    const broken = withHidden(original, 0).replace(/"hidden": 0/, '"hidden": -3');
    await editAndSave(uri, () => broken);
    const diagnostics = await waitFor(
      'an unroll diagnostic on the model file',
      () => unrollDiagnostics(uri).length > 0 && unrollDiagnostics(uri),
    );
    const hiddenLine = broken.split('\n').findIndex((line) => line.includes('"hidden": -3'));
    assert.ok(
      diagnostics.some((d) => d.range.start.line === hiddenLine),
      `a diagnostic on line ${hiddenLine + 1}: ${JSON.stringify(diagnostics.map((d) => [d.range.start.line, d.message]))}`,
    );
    assert.equal(api.lastResult(), good, 'the last good Result stays');
    assert.ok(api.lastProblems().length > 0);
    await editAndSave(uri, () => original);
    await waitFor('the diagnostics to clear', () => unrollDiagnostics(uri).length === 0);
    await waitFor('a fresh Result', () => api.lastResult() !== good && api.lastProblems().length === 0);
  });
});
