// The extension as activate() wires it (src/extension/index.ts), on a stand-in for `vscode` (./fakes/vscode.ts) and
// real worker threads (dist/worker.js): a command reaches the panel, the status bar and the Problems panel through
// the units, saves refresh the picture, a reloaded webview gets it back, and closing the panel ends the session.
// The same flows run in a real VS Code in test/vscode; here they take a second and need no VS Code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AnalysisResult } from '../../src/protocol/result';
import type { UnrollTestApi } from '../../src/extension/testApi';
import { useFakeVscode } from './fakes/useFakeVscode';
import { config, indexLine, randomSnapshot, snapshotBytes } from './data/traceFixture';

const ROOT = path.resolve(__dirname, '../..');

type Fake = typeof import('./fakes/vscode');

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('extension: the units as activate() wires them (fake vscode, real worker)', function () {
  let restore: () => void;
  let V: Fake;
  let extension: typeof import('../../src/extension/index');
  let api: UnrollTestApi;
  let dir: string;

  const run = (id: string, ...args: unknown[]) => V.commands.executeCommand(id, ...args);
  const analyze = (file: string) => run('unroll.analyze', V.Uri.file(file)) as Promise<AnalysisResult | undefined>;
  const panel = () => V.fake.panels[V.fake.panels.length - 1];
  const posted = (type: string) => panel().posted.filter((m) => m.type === type);
  const status = () => V.fake.statusItems[0];
  const diagnostics = () => V.fake.diagnostics[0];

  before(async function () {
    if (!existsSync(path.join(ROOT, 'dist/worker.js'))) execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
    restore = useFakeVscode();
    V = await import('./fakes/vscode');
    extension = await import('../../src/extension/index');
  });

  after(() => restore());

  beforeEach(() => {
    V.resetFake();
    V.fake.settings.debounceMs = 0;
    dir = mkdtempSync(path.join(tmpdir(), 'unroll-units-'));
    for (const name of ['sine.csv', 'sine.rnn.unroll.json'])
      copyFileSync(path.join(ROOT, 'examples', name), path.join(dir, name));
    const state = new Map<string, unknown>();
    const context = {
      extensionUri: V.Uri.file(ROOT),
      subscriptions: [] as { dispose(): unknown }[],
      workspaceState: {
        get: (key: string) => state.get(key),
        update: (key: string, value: unknown) => (state.set(key, value), Promise.resolve()),
      },
      extension: { packageJSON: { version: 'test' } },
    };
    api = extension.activate(context as never);
  });

  afterEach(() => {
    extension.deactivate();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Analyze shows the Result in the panel, its title and the status bar, and watches the files it read', async () => {
    const model = path.join(dir, 'sine.rnn.unroll.json');
    const result = await analyze(model);
    assert.ok(result, `no Result: ${JSON.stringify(api.lastProblems())}`);
    assert.equal(V.fake.panels.length, 1);
    assert.deepEqual(
      panel().posted.map((m) => m.type),
      ['busy', 'result', 'busy'],
    );
    assert.equal(posted('result')[0].result, result);
    assert.match(panel().title, /^Unroll: RNN · .*sine\.rnn\.unroll\.json$/);
    assert.match(status().text, /^\$\(pulse\) /);
    assert.equal(status().command, 'unroll.showPanel');
    for (const file of [model, path.join(dir, 'sine.csv')]) assert.ok(V.fake.watcherOf(file), `${file} is not watched`);
    assert.equal(api.workerCount(), 1, 'the view lane has one thread');
  });

  it('a save of a file the analysis read runs it again; the watcher echoing that save does not', async () => {
    const model = path.join(dir, 'sine.rnn.unroll.json');
    const data = path.join(dir, 'sine.csv');
    await analyze(model);
    V.fake.save(data);
    await waitFor('a second Result after the save', () => api.resultGeneration() === 2);
    const busy = posted('busy').length;
    // The file watcher reports the same save a moment later: not a second change.
    V.fake.watcherOf(data)!.change();
    assert.equal(posted('busy').length, busy, 'the echo of a save started a run');
    // A change on disk that no editor saved is one (the first change of an interval runs at once).
    V.fake.watcherOf(model)!.change();
    assert.equal(posted('busy').length, busy + 1, 'a change on disk did not start a run');
    await waitFor('the third Result', () => api.resultGeneration() === 3);
    // An unwatched file, or a refresh turned off, runs nothing.
    V.fake.save(path.join(dir, 'other.csv'));
    V.fake.settings.autoRefresh = false;
    V.fake.save(data);
    assert.equal(posted('busy').length, busy + 2);
  });

  it('a reloaded webview gets the Result again, then the view asked for before it loaded', async () => {
    await analyze(path.join(dir, 'sine.rnn.unroll.json'));
    assert.equal(await run('unroll.showView', 'flow'), 'flow');
    assert.equal(posted('showView').length, 0, 'ShowView was posted before the webview could receive it');
    const before = panel().posted.length;
    panel().fromWebview({ type: 'ready' });
    assert.deepEqual(
      panel()
        .posted.slice(before)
        .map((m) => (m.type === 'showView' ? `showView:${String(m.view)}` : m.type)),
      ['result', 'showView:flow'],
    );
    // Once loaded, a view is selected at once.
    await run('unroll.showView', 'decay');
    assert.equal(panel().posted[panel().posted.length - 1].view, 'decay');
  });

  it('a broken model file: its problem in the Problems panel and the status bar, the panel stale; fixing it clears them', async () => {
    const model = path.join(dir, 'sine.rnn.unroll.json');
    const good = readFileSync(model, 'utf8');
    writeFileSync(model, good.replace('"hidden": 16', '"hidden": -3'));
    assert.equal(await analyze(model), undefined);
    const problems = api.lastProblems();
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.deepEqual([...diagnostics().entries.keys()], [model]);
    assert.match(diagnostics().entries.get(model)![0].message, /hidden/);
    assert.equal(status().text, '$(warning) Unroll: 1 problem');
    assert.deepEqual(
      posted('stale').map((m) => m.problems),
      [problems],
    );
    writeFileSync(model, good);
    V.fake.save(model);
    await waitFor('a Result after the fix', () => api.lastResult());
    assert.deepEqual(api.lastProblems(), []);
    assert.equal(diagnostics().entries.size, 0);
    assert.match(status().text, /^\$\(pulse\) /);
  });

  it('the panel’s layer control replays the trace on screen for the layer and direction picked', async () => {
    const folder = path.join(dir, 'run.unroll-trace');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'index.jsonl'), indexLine(10));
    writeFileSync(
      path.join(folder, 'step-10.safetensors'),
      snapshotBytes(randomSnapshot(config({ mode: 'GRU', numLayers: 2, bidirectional: true }), 2, 6), { step: 10 }),
    );
    const first = await analyze(folder);
    assert.ok(first?.trace, `no Result: ${JSON.stringify(api.lastProblems())}`);
    assert.deepEqual([first.trace.layer, first.trace.reverse], [1, false], 'the last layer, forward');
    panel().fromWebview({ type: 'selectTraceLayer', layer: 0, reverse: true });
    const picked = await waitFor('a Result of layer 0, reverse', () => {
      const r = api.lastResult();
      return r?.trace?.layer === 0 && r.trace.reverse === true && r;
    });
    assert.equal(picked.spectral.matrix, 'weight_hh_l0_reverse[n]');
    assert.equal(picked.trace?.shown, 10);
  });

  it('closing the panel ends the session: its worker thread ends, nothing is watched, a save runs nothing', async () => {
    await analyze(path.join(dir, 'sine.rnn.unroll.json'));
    assert.ok(V.fake.watchers.some((w) => !w.disposed));
    const closed = panel();
    closed.dispose();
    assert.equal(api.panelOpen(), false);
    assert.deepEqual(
      V.fake.watchers.filter((w) => !w.disposed).map((w) => w.file),
      [],
    );
    await waitFor('the worker thread to end', () => api.workerCount() === 0, 10_000);
    V.fake.save(path.join(dir, 'sine.csv'));
    assert.equal(V.fake.panels.length, 1, 'a save opened a panel');
    // The next analysis opens a new panel and starts a new worker.
    assert.ok(await analyze(path.join(dir, 'sine.rnn.unroll.json')));
    assert.equal(V.fake.panels.length, 2);
    assert.equal(api.workerCount(), 1);
  });
});
