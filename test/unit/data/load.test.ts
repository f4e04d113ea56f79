import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadAnalysis, writeJsonWeights } from '../../../src/data';
import { nodeFiles } from '../../../src/data/nodeFiles';
import type { EngineSettings } from '../../../src/protocol/messages';
import type { Tensor } from '../../../src/protocol/result';
import { expectProblem, memoryFiles, problemsOf, sequencesOf } from './helpers';

const settings: EngineSettings = {
  maxSteps: 512,
  flowBudget: 200_000,
  defaultCell: 'rnn',
  maxMemoryMB: 2048,
  maxWork: 30,
};
const at = (p: string) => ({ path: p, workspaceRoot: '/w' });
const sine = 'value\n0\n1\n0\n-1\n0\n';

function tinyRnnWeights(hidden = 2): Map<string, Tensor> {
  const t = (shape: number[]) => ({ shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) });
  return new Map([
    ['rnn.weight_ih_l0', t([hidden, 1])],
    ['rnn.weight_hh_l0', t([hidden, hidden])],
    ['rnn.bias_ih_l0', t([hidden])],
    ['rnn.bias_hh_l0', t([hidden])],
    ['fc.weight', t([1, hidden])],
    ['fc.bias', t([1])],
  ]);
}

describe('loadAnalysis', () => {
  it('a bare CSV: next-step with every default, inputs x_t and targets x_{t+1}', async () => {
    const loaded = await loadAnalysis(at('/w/sine.csv'), settings, memoryFiles({ '/w/sine.csv': sine }));
    assert.deepEqual(loaded.model, {
      cell: 'rnn',
      nonlinearity: 'tanh',
      inputSize: 1,
      hidden: 32,
      outputSize: 1,
      layers: 1,
      task: 'next-step',
      loss: 'mse',
      init: { kind: 'pytorch' },
      bptt: { truncate: null },
      optimizer: { kind: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
      clip: null,
      epochs: 20,
      batch: 16,
      validation: { fraction: 0 },
      window: 512,
      seed: 0,
      precision: 'float64',
      data: 'sine.csv',
    });
    const [s] = sequencesOf(loaded.dataset);
    assert.equal(s.T, 4);
    assert.deepEqual(Array.from(s.inputs), [0, 1, 0, -1]);
    assert.deepEqual(Array.from(s.targets), [1, 0, -1, 0]);
    assert.deepEqual(Array.from(s.mask), [1, 1, 1, 1]);
    assert.equal(s.originalT, undefined);
    assert.deepEqual(loaded.files, ['/w/sine.csv']);
    assert.equal(loaded.params, undefined);
  });

  it('splits at the maxSteps setting, says so, and keeps the original length', async () => {
    const loaded = await loadAnalysis(
      at('/w/sine.csv'),
      { ...settings, maxSteps: 2 },
      memoryFiles({ '/w/sine.csv': sine }),
    );
    const [s] = sequencesOf(loaded.dataset);
    assert.equal(s.T, 2);
    assert.equal(s.originalT, 4);
    assert.match(
      loaded.dataset.notes.join(' '),
      /sine\.csv: the sequence has 4 steps, split into 2 windows of 2 steps; the analysis shows the first, training uses all .*maxSteps setting \(2\)/,
    );
  });

  it('a model file: its settings, its window, the data beside it', async () => {
    const files = memoryFiles({
      '/w/ex/sine.csv': sine,
      '/w/ex/m.unroll.json':
        '{ "data": "sine.csv", "cell": "gru", "hidden": 8, "window": 3, "optimizer": { "kind": "momentum" }, "clip": { "norm": 2 }, "bptt": { "truncate": 2 }, "precision": "float32" }',
    });
    const loaded = await loadAnalysis(at('/w/ex/m.unroll.json'), settings, files);
    assert.equal(loaded.model.cell, 'gru');
    assert.equal(loaded.model.hidden, 8);
    assert.deepEqual(loaded.model.optimizer, { kind: 'momentum', lr: 0.01, momentum: 0.9 });
    assert.deepEqual(loaded.model.clip, { norm: 2 });
    assert.deepEqual(loaded.model.bptt, { truncate: 2 });
    assert.equal(loaded.model.precision, 'float32');
    assert.equal(loaded.dataset.sequences.get(0).T, 3);
    assert.match(loaded.dataset.notes.join(' '), /"window": 3 in m\.unroll\.json/);
    assert.deepEqual(loaded.files, ['/w/ex/m.unroll.json', '/w/ex/sine.csv']);
    assert.deepEqual(loaded.meta, { dataFile: '/w/ex/sine.csv', modelFile: '/w/ex/m.unroll.json' });
  });

  it('seq-to-one: the target of the last row, the last steps kept, the last column by default', async () => {
    const csv = 'sequence,a,b,y\n1,1,0,\n1,2,0,\n1,3,1,9\n2,4,0,\n2,5,1,7\n';
    const files = memoryFiles({
      '/w/d.csv': csv,
      '/w/m.unroll.json': '{ "data": "d.csv", "task": "seq-to-one", "window": 2 }',
    });
    const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    assert.deepEqual(loaded.model.inputs, ['a', 'b']);
    assert.deepEqual(loaded.model.targets, ['y']);
    const [first, second] = sequencesOf(loaded.dataset);
    assert.deepEqual(Array.from(first.inputs), [2, 0, 3, 1]);
    assert.deepEqual(Array.from(first.mask), [0, 1]);
    assert.equal(first.targets[1], 9);
    assert.equal(first.originalT, 3);
    assert.deepEqual(Array.from(second.mask), [0, 1]);
    assert.match(loaded.dataset.notes.join(' '), /analyzed the last 2 steps/);
  });

  it('columns: named inputs and targets; an empty target cell is a step without a target', async () => {
    const files = memoryFiles({
      '/w/d.csv': 'x,noise,y\n1,5,\n2,5,3\n3,5,\n',
      '/w/m.unroll.json': '{ "data": "d.csv", "task": "columns", "inputs": ["x"], "targets": ["y"] }',
    });
    const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files);
    const [s] = sequencesOf(loaded.dataset);
    assert.deepEqual([loaded.model.inputSize, loaded.model.outputSize], [1, 1]);
    assert.deepEqual(Array.from(s.inputs), [1, 2, 3]);
    assert.deepEqual(Array.from(s.mask), [0, 1, 0]);
    assert.equal(s.targets[1], 3);
  });

  it('char-lm on text: one-hot inputs, next-character targets, cross-entropy', async () => {
    const loaded = await loadAnalysis(at('/w/t.txt'), settings, memoryFiles({ '/w/t.txt': 'abca' }));
    assert.equal(loaded.model.task, 'char-lm');
    assert.equal(loaded.model.loss, 'xent');
    assert.deepEqual(loaded.dataset.vocab, ['a', 'b', 'c']);
    const [s] = sequencesOf(loaded.dataset);
    assert.deepEqual(Array.from(s.inputs), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(s.targets), [1, 2, 0]);
  });

  it('JSON and .npy: series are next-step, { inputs, targets } are columns', async () => {
    const files = memoryFiles({
      '/w/s.json': '[[1, 2], [3, 4], [5, 6]]',
      '/w/p.json': '{ "inputs": [1, 2, 3], "targets": [null, 5, 6] }',
    });
    const series = await loadAnalysis(at('/w/s.json'), settings, files);
    assert.deepEqual(
      [series.model.task, series.model.inputSize, series.dataset.sequences.get(0).T],
      ['next-step', 2, 2],
    );
    const pairs = await loadAnalysis(at('/w/p.json'), settings, files);
    assert.equal(pairs.model.task, 'columns');
    assert.deepEqual(Array.from(pairs.dataset.sequences.get(0).mask), [0, 1, 1]);
  });

  it('uses the model file beside a bare data file only when it names that file', async () => {
    const files = memoryFiles({
      '/w/a.csv': sine,
      '/w/a.lstm.unroll.json': '// lstm\n{ "data": "a.csv", "cell": "lstm" }',
      '/w/a.rnn.unroll.json': '{ "data": "other.csv", "cell": "rnn", "hidden": 3 }',
    });
    const loaded = await loadAnalysis(at('/w/a.csv'), settings, files);
    assert.equal(loaded.model.cell, 'lstm');
    assert.match(loaded.dataset.notes.join(' '), /a\.lstm\.unroll\.json, the model file beside the data/);
    assert.deepEqual(loaded.files, ['/w/a.lstm.unroll.json', '/w/a.csv']);
  });

  it('an explicit model with other data: the data given wins, with a note', async () => {
    const files = memoryFiles({
      '/w/a.csv': sine,
      '/w/b.csv': sine,
      '/w/m.unroll.json': '{ "data": "b.csv", "hidden": 4 }',
    });
    const loaded = await loadAnalysis({ ...at('/w/a.csv'), model: '/w/m.unroll.json' }, settings, files);
    assert.equal(loaded.model.hidden, 4);
    assert.equal(loaded.meta.dataFile, '/w/a.csv');
    assert.match(loaded.dataset.notes.join(' '), /Data from a\.csv \(given explicitly\) instead of b\.csv/);
  });

  describe('problems point at the file and field that cause them', () => {
    const model = (text: string, extra: Record<string, string> = {}) =>
      memoryFiles({ '/w/m.unroll.json': text, '/w/d.csv': 'x,y\n1,2\n3,4\n', ...extra });

    it('missing data file', () =>
      expectProblem(() => loadAnalysis(at('/w/m.unroll.json'), settings, model('{\n  "data": "gone.csv"\n}')), {
        file: '/w/m.unroll.json',
        line: 2,
        column: 11,
        message: /the data file gone\.csv does not exist/,
      }));
    it('a missing file given directly', () =>
      expectProblem(() => loadAnalysis(at('/w/none.csv'), settings, model('{}')), {
        file: '/w/none.csv',
        line: 1,
        column: 1,
        message: /does not exist/,
      }));
    it('data outside the workspace through ..', () =>
      expectProblem(() => loadAnalysis(at('/w/m.unroll.json'), settings, model('{ "data": "../etc/x.csv" }')), {
        line: 1,
        column: 11,
        message: /"data" points outside the workspace folder \(\/etc\/x\.csv\)/,
      }));
    it('weights outside the workspace', () =>
      expectProblem(
        () => loadAnalysis(at('/w/m.unroll.json'), settings, model('{ "data": "d.csv", "weights": "../../w.json" }')),
        { line: 1, column: 31, message: /"weights" points outside the workspace/ },
      ));
    it('data naming a model file (a cycle)', () =>
      expectProblem(() => loadAnalysis(at('/w/m.unroll.json'), settings, model('{ "data": "m.unroll.json" }')), {
        line: 1,
        column: 11,
        message: /names a model file/,
      }));
    it('a task the data cannot have', () =>
      expectProblem(
        () => loadAnalysis(at('/w/m.unroll.json'), settings, model('{ "data": "d.csv",\n "task": "char-lm" }')),
        { line: 2, column: 10, message: /task char-lm does not fit a CSV file/, hint: /plain text/ },
      ));
    it('an unknown column, with "did you mean"', () =>
      expectProblem(
        () =>
          loadAnalysis(
            at('/w/m.unroll.json'),
            settings,
            model('{ "data": "d.csv", "task": "columns", "inputs": ["x"], "targets": ["Y"] }'),
          ),
        { line: 1, column: 68, message: /target column "Y" is not in the data file; did you mean "y"\?/ },
      ));
    it('an empty input cell', () =>
      expectProblem(() => loadAnalysis(at('/w/d.csv'), settings, memoryFiles({ '/w/d.csv': 'x,y\n1,2\n,4\n' })), {
        file: '/w/d.csv',
        line: 3,
        column: 1,
        message: /empty cell in input column "x"/,
      }));
    it('a single row for next-step', () =>
      expectProblem(() => loadAnalysis(at('/w/d.csv'), settings, memoryFiles({ '/w/d.csv': 'x\n1\n' })), {
        line: 2,
        column: 1,
        message: /single row/,
      }));
    it('a 1 GB file is refused before reading, with the cap in the message', async () => {
      const files = memoryFiles({ '/w/big.csv': 'x\n1\n2\n' }, { '/w/big.csv': 1024 ** 3 });
      await expectProblem(() => loadAnalysis(at('/w/big.csv'), settings, files), {
        line: 1,
        column: 1,
        message: /is 1\.0 GB; Unroll reads files up to 256\.0 MB/,
        hint: /cut the file/,
      });
      assert.deepEqual(files.reads, []);
    });
    it('an unknown file type', () =>
      expectProblem(() => loadAnalysis(at('/w/d.xlsx'), settings, memoryFiles({ '/w/d.xlsx': 'x' })), {
        line: 1,
        column: 1,
        message: /this is not a kind of sequence file Unroll reads \(\.xlsx\)/,
      }));
  });

  describe('weights', () => {
    const files = (weights: Map<string, Tensor>, extra = '') =>
      memoryFiles({
        '/w/s.csv': sine,
        '/w/w.json': writeJsonWeights(weights),
        '/w/m.unroll.json': `{ "data": "s.csv", "hidden": 2,\n  "weights": "w.json"${extra} }`,
      });

    it('loads weights that fit and lists the file as read', async () => {
      const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files(tinyRnnWeights()));
      assert.deepEqual(loaded.params?.get('fc.bias')?.shape, [1]);
      assert.ok(loaded.files.includes('/w/w.json'));
      assert.equal(loaded.meta.weightsFile, '/w/w.json');
    });

    it('names the tensor and both shapes when they do not fit, at the weights field', async () => {
      const problems = await problemsOf(() => loadAnalysis(at('/w/m.unroll.json'), settings, files(tinyRnnWeights(3))));
      assert.ok(problems.length > 0);
      assert.ok(problems.every((p) => p.file === '/w/m.unroll.json' && p.line === 2 && p.column === 14));
      assert.ok(
        problems.some((p) => /'rnn\.weight_hh_l0' has shape \[3, 3\] but this model needs \[2, 2\]/.test(p.message)),
      );
    });

    it('a cell override does not use weights made for another cell', async () => {
      const loaded = await loadAnalysis(at('/w/m.unroll.json'), settings, files(tinyRnnWeights()), { cell: 'lstm' });
      assert.equal(loaded.model.cell, 'lstm');
      assert.equal(loaded.params, undefined);
      assert.match(loaded.warnings[0].message, /weights are for a rnn cell; the lstm run starts from a fresh/);
    });
  });

  describe('links on a real file system', () => {
    let root: string;
    let outside: string;
    before(() => {
      root = mkdtempSync(path.join(tmpdir(), 'unroll-ws-'));
      outside = mkdtempSync(path.join(tmpdir(), 'unroll-out-'));
      writeFileSync(path.join(outside, 'secret.csv'), sine);
      mkdirSync(path.join(root, 'ex'));
      symlinkSync(path.join(outside, 'secret.csv'), path.join(root, 'ex', 'linked.csv'));
      symlinkSync(path.join(root, 'ex', 'loop-b.csv'), path.join(root, 'ex', 'loop-a.csv'));
      symlinkSync(path.join(root, 'ex', 'loop-a.csv'), path.join(root, 'ex', 'loop-b.csv'));
      writeFileSync(path.join(root, 'ex', 'escape.unroll.json'), '{ "data": "linked.csv" }');
      writeFileSync(path.join(root, 'ex', 'loop.unroll.json'), '{ "data": "loop-a.csv" }');
    });
    after(() => {
      rmSync(root, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    });

    it('refuses a symlink that leads outside the workspace', () =>
      expectProblem(
        () =>
          loadAnalysis({ path: path.join(root, 'ex', 'escape.unroll.json'), workspaceRoot: root }, settings, nodeFiles),
        { line: 1, column: 11, message: /leads outside the workspace folder through a symbolic link/ },
      ));

    it('refuses a symlink loop', () =>
      expectProblem(
        () =>
          loadAnalysis({ path: path.join(root, 'ex', 'loop.unroll.json'), workspaceRoot: root }, settings, nodeFiles),
        { line: 1, column: 11, message: /symbolic link loop/ },
      ));
  });
});
