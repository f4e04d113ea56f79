// A PyTorch trace (`*.unroll-trace`, docs/TRACE-FORMAT.md) in the real extension host: the explorer's "Analyze PyTorch
// Trace" on the folder replays its latest snapshot, the panel opens on the timeline with the replay line, and a
// snapshot appended while "training" refreshes it (a pinned snapshot stays pinned). The traces are written by real
// PyTorch (/usr/bin/python3 with Debian's python3-torch, which .ci/run installs) through the test suite's own writer,
// test/trace/make_trace.py.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../../src/protocol/result';
import { renderedAtLeast, unroll, waitFor, workspaceRoot } from './helpers';

const PYTHON = '/usr/bin/python3';

/**
 * Write (or append to) `<workspace>/<name>.unroll-trace` for each spec with PyTorch: one snapshot per training step
 * in `steps`. A child process, awaited: the extension host (where this suite runs) stays free to react meanwhile.
 */
async function writeTraces(specs: ({ name: string } & Record<string, unknown>)[]): Promise<string[]> {
  const repo = process.env.UNROLL_REPO_ROOT;
  assert.ok(repo, 'UNROLL_REPO_ROOT names the repository (test/harness/runVscodeTests.ts sets it)');
  const writer = join(repo, 'test/trace/make_trace.py');
  assert.ok(existsSync(PYTHON), `${PYTHON} with torch is needed (.ci/run installs python3-torch)`);
  const { stdout } = await promisify(execFile)(PYTHON, [writer, workspaceRoot().fsPath, JSON.stringify(specs)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return stdout.trim().split('\n');
}

async function analyzeTrace(folder: string, step?: number): Promise<AnalysisResult> {
  const result = await vscode.commands.executeCommand<AnalysisResult | undefined>(
    'unroll.analyzeTrace',
    vscode.Uri.file(folder),
    ...(step === undefined ? [] : [step]),
  );
  assert.ok(result, `${folder} did not analyze`);
  return result;
}

describe('a PyTorch trace', function () {
  this.timeout(240_000);
  const folders: string[] = [];
  after(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

  it('the explorer menu offers Analyze PyTorch Trace on *.unroll-trace folders only', () => {
    const manifest = JSON.parse(
      readFileSync(join(vscode.extensions.getExtension('unroll-dev.unroll')!.extensionPath, 'package.json'), 'utf8'),
    );
    const entry = (manifest.contributes.menus['explorer/context'] as { command: string; when: string }[]).find(
      (m) => m.command === 'unroll.analyzeTrace',
    );
    assert.ok(entry, 'a menu entry');
    assert.match(entry.when, /explorerResourceIsFolder/);
    assert.match(entry.when, /resourceFilename =~ \/\\\.unroll-trace\$\/i/);
  });

  it('replays the latest snapshot on the timeline, refreshes when a snapshot is appended, and keeps a pinned one', async () => {
    const api = await unroll();
    const options = { mode: 'LSTM', T: 12, hidden_size: 8 };
    const [folder] = await writeTraces([{ name: 'traced', ...options, steps: [100, 200] }]);
    folders.push(folder);

    const first = await analyzeTrace(folder);
    assert.equal(first.trace?.shown, 200, 'the latest snapshot');
    assert.deepEqual(
      first.trace?.snapshots.map((s) => s.step),
      [100, 200],
    );
    assert.equal(first.trace?.folder, 'traced.unroll-trace', 'named as the workspace names it');
    assert.ok(
      first.replay?.ok && first.replay.maxRelErr <= first.replay.tolerance,
      `replay within its bound: ${first.replay?.maxRelErr}`,
    );
    const drawn = await waitFor('the panel to draw the trace', renderedAtLeast(api, api.resultGeneration()));
    assert.deepEqual(
      [drawn.view, drawn.replay],
      ['timeline', 'ok'],
      'a new trace opens on the timeline, with the replay line',
    );

    // PyTorch appends a snapshot: the panel follows it.
    await writeTraces([{ name: 'traced', ...options, steps: [300], seed: 1 }]);
    const appended = await waitFor(
      'a Result of step 300 after the index grew',
      () => api.lastResult()?.trace?.shown === 300 && api.lastResult(),
    );
    assert.deepEqual(
      appended.trace?.snapshots.map((s) => s.step),
      [100, 200, 300],
    );
    await waitFor('the panel to draw it', renderedAtLeast(api, api.resultGeneration()));

    // A snapshot picked on the timeline stays on screen when more arrive; the timeline grows.
    const pinned = await analyzeTrace(folder, 100);
    assert.equal(pinned.trace?.shown, 100);
    await writeTraces([{ name: 'traced', ...options, steps: [400], seed: 2 }]);
    const grown = await waitFor(
      'the timeline to gain step 400',
      () => api.lastResult()?.trace?.snapshots.some((s) => s.step === 400) && api.lastResult(),
    );
    assert.equal(grown.trace?.shown, 100, 'still the pinned snapshot');
  });

  it('a replay that misses PyTorch, and an approximate one (dropout between layers), reach the panel flagged', async () => {
    const api = await unroll();
    const [skewed, dropout] = await writeTraces([
      { name: 'skewed', mode: 'RNN_TANH', T: 8, hidden_size: 6, steps: [10], skew: 0.01 },
      { name: 'dropout', mode: 'GRU', num_layers: 2, dropout: 0.2, T: 8, hidden_size: 6, steps: [10] },
    ]);
    folders.push(skewed, dropout);
    const missed = await analyzeTrace(skewed);
    assert.equal(missed.replay?.ok, false);
    assert.ok((missed.replay?.maxRelErr ?? 0) > 1e-3, `the skewed gradient is found: ${missed.replay?.maxRelErr}`);
    assert.equal(
      (await waitFor('the panel to draw it', renderedAtLeast(api, api.resultGeneration()))).replay,
      'mismatch',
    );
    const approximate = await analyzeTrace(dropout);
    assert.match(approximate.replay?.approximate ?? '', /dropout 0\.2/);
    assert.equal(approximate.replay?.ok, false);
    assert.equal(
      (await waitFor('the panel to draw it', renderedAtLeast(api, api.resultGeneration()))).replay,
      'approximate',
    );
  });
});
